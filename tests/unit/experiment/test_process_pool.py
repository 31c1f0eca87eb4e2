"""``kernsim.experiment.executors.ProcessPool`` when a worker dies half-way through
writing its result: CPython's pool then blocks for ever reading the rest, and nothing
it holds resolves. The half-written result is put in the pipe by hand, so the case is
the same every run."""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import struct
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from kernsim.experiment import executors
from kernsim.experiment.executors import ProcessPool


def _half_written_result(pool: ProcessPool) -> None:
    """What a worker killed in mid-write leaves: a header announcing 19074 bytes, and 10."""
    writer = pool.pool._result_queue._writer
    os.write(writer.fileno(), struct.pack("!i", 19074) + b"x" * 10)


def _manager(pool: ProcessPool):
    return pool.pool._executor_manager_thread


def _started(pool: ProcessPool) -> cf.Future:
    """A pool with a worker busy on a long task (its future pending)."""
    fut = pool.submit(time.sleep, 60)
    deadline = time.monotonic() + 30
    while not fut.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fut.running()
    return fut


def test_a_restart_unblocks_a_pool_stuck_on_a_half_written_result():
    pool = ProcessPool(1)
    fut = _started(pool)
    manager = _manager(pool)
    _half_written_result(pool)
    time.sleep(0.5)                      # the manager thread is now reading the rest
    assert manager.is_alive() and not fut.done()
    pool.restart()                       # kills the worker, closes our write end
    with pytest.raises(BrokenProcessPool):
        fut.result(timeout=20)
    manager.join(timeout=20)
    assert not manager.is_alive()
    assert pool.submit(pow, 2, 10).result(timeout=60) == 1024   # the new pool works
    pool.close(abandon=False)


def test_a_dead_worker_the_pool_does_not_notice_is_reported_stuck(monkeypatch):
    monkeypatch.setattr(executors, "STUCK_S", 0.2)
    pool = ProcessPool(2)
    fut = _started(pool)
    pool.submit(time.sleep, 60)
    assert not pool.stuck()              # every worker alive
    _half_written_result(pool)
    time.sleep(0.5)
    victim = next(iter(pool.pool._processes))
    os.kill(victim, signal.SIGKILL)      # its death goes unnoticed: the manager is blocked
    deadline = time.monotonic() + 20
    while not pool.stuck() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.stuck() and not fut.done()
    pool.restart()
    assert not pool.stuck()
    with pytest.raises(BrokenProcessPool):
        fut.result(timeout=20)
    pool.close(abandon=True)
