"""``kernsim.system.servers``: a server domain's threads and their queue, and striped locks,
on tiny hand-driven scenarios (the kernel is a stand-in holding the simulation and the
``advance`` the server calls when a queued job gets its core back)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from kernsim.engine.sim import Sim
from kernsim.engine.streams import Streams, task_seed
from kernsim.system.cores import Cores
from kernsim.system.job import Job
from kernsim.system.locks import SpinLock
from kernsim.system.servers import Server, Striped


class Scene:
    """A server ``fs`` of ``threads`` threads on ``count`` cores; jobs start on a core."""

    def __init__(self, threads: int, count: int = 4, warmup: float = 0.0) -> None:
        self.sim = Sim(Streams(task_seed(1)), warmup)
        self.cores = Cores(self.sim, count, lambda: 0.0)
        self.advanced: list[Job] = []
        kernel = SimpleNamespace(sim=self.sim, advance=self.advanced.append)
        self.server = Server(kernel, "fs", threads, self.cores)

    def job(self) -> Job:
        j = Job((), 0, 0.0, None, self.cores)
        self.cores.acquire(j, lambda _: None)
        return j

    def at(self, t: float, action) -> None:
        self.sim.after(t, lambda call: action())


def test_a_job_takes_a_free_thread_and_keeps_its_core():
    s = Scene(threads=2)
    a = s.job()
    assert s.server.enter(a) is True
    assert s.server.busy == 1 and a.servers == [s.server]
    assert a in s.cores.holders and s.cores.free == 3


def test_a_job_finding_every_thread_busy_queues_without_its_core():
    s = Scene(threads=2)
    a, b, c = s.job(), s.job(), s.job()
    assert (s.server.enter(a), s.server.enter(b), s.server.enter(c)) == (True, True, False)
    assert s.server.busy == 2 and list(s.server.queue) == [c] and c.servers == []
    assert c not in s.cores.holders and s.cores.free == 2  # 4 cores, a and b on two


def test_leave_hands_the_thread_to_the_first_queued_job_which_takes_a_core_and_goes_on():
    s = Scene(threads=1)
    a, b, c = s.job(), s.job(), s.job()
    for j in (a, b, c):
        s.server.enter(j)
    s.server.leave(a)  # a leaves: the thread passes to b, not back to the pool
    assert s.server.busy == 1 and list(s.server.queue) == [c]
    assert b.servers == [s.server] and b in s.cores.holders and s.advanced == [b]
    s.server.leave(b)
    assert s.advanced == [b, c] and not s.server.queue


def test_leave_with_nobody_queued_frees_the_thread():
    s = Scene(threads=2)
    a, b = s.job(), s.job()
    s.server.enter(a)
    s.server.enter(b)
    s.server.leave(a)
    assert s.server.busy == 1
    s.server.leave(b)
    assert s.server.busy == 0 and s.advanced == []


def test_forget_drops_a_queued_job_so_the_thread_goes_back_to_the_pool():
    s = Scene(threads=1)
    a, b = s.job(), s.job()
    s.server.enter(a)
    s.server.enter(b)
    s.server.forget(b)
    s.server.forget(a)  # not queued: nothing happens
    s.server.leave(a)
    assert s.server.busy == 0 and s.advanced == []


def test_utilisation_is_the_time_weighted_busy_threads_over_the_threads():
    s = Scene(threads=2)
    a, b = s.job(), s.job()
    s.server.enter(a)  # 1 busy on 0..4
    s.at(4.0, lambda: s.server.enter(b))  # 2 busy on 4..8
    s.sim.run()
    assert s.server.metrics(8.0) == {"util.fs": (1 * 4.0 + 2 * 4.0) / 8.0 / 2}


def test_the_end_of_the_warm_up_restarts_the_utilisation_from_the_current_level():
    s = Scene(threads=2, warmup=4.0)
    a, b = s.job(), s.job()
    s.server.enter(a)  # 1 busy from 0
    s.at(6.0, lambda: s.server.enter(b))  # 2 busy from 6
    s.sim.start()
    s.sim.run()
    assert s.server.metrics(8.0) == {"util.fs": (1 * 2.0 + 2 * 2.0) / 4.0 / 2}


# --------------------------------------------------------------------------- striped locks


class Recorder:
    """A stand-in lock that records the requests it is given."""

    def __init__(self, index: int, log: list) -> None:
        self.index, self.log = index, log

    def request(self, job, work: float, mean: float, cat: str) -> None:
        self.log.append(self.index)


def test_each_striped_request_goes_to_the_stripe_its_uniform_draw_names():
    """Draws come 1024 at a time from the stripe stream and are used last first."""
    log: list[int] = []
    striped = Striped("s", [Recorder(i, log) for i in range(3)], np.random.default_rng(3))
    for _ in range(1030):
        striped.request(None, 1.0, 1.0, "kernel")
    ref = np.random.default_rng(3)
    first, second = (ref.integers(0, 3, 1024).tolist() for _ in range(2))
    assert log == first[::-1] + second[::-1][:6]
    assert set(log) == {0, 1, 2}


def test_striped_metrics_total_the_stripes():
    """Two MCS stripes without hand-off cost: stripe 0 grants a (hold 4); stripe 1 grants b
    (hold 2), then c, which waited 2 (hold 6)."""
    sim = Sim(Streams(task_seed(1)))
    cores = Cores(sim, 4, lambda: 0.0)
    locks = [SpinLock(sim, f"s[{i}]", 0.0, lambda job: None, ticket=False) for i in range(2)]
    striped = Striped("s", locks, np.random.default_rng(0))
    a, b, c = (Job((), 0, 0.0, None, cores) for _ in range(3))
    for j, lock, work in ((a, locks[0], 4.0), (b, locks[1], 2.0), (c, locks[1], 6.0)):
        cores.acquire(j, lambda _: None)
        lock.request(j, work, work, "kernel")
    sim.run()
    got = striped.metrics()
    assert got["lock.s.acquisitions"] == 3
    assert got["lock.s.wait_mean"] == pytest.approx(2 / 3, rel=1e-12)  # (0 + 0 + 2) / 3
    assert got["lock.s.wait_p99"] == float(np.percentile([0.0, 0.0, 2.0], 99))
    assert got["lock.s.hold_mean"] == (4.0 + 2.0 + 6.0) / 3
