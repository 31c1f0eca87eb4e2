"""Worker pools behind the runner: a local process pool, or a Dask cluster.

Both hand out ``concurrent.futures.Future`` objects, so one driver loop (in
``runner``) streams results as they finish, whichever pool runs them. A pool
also says how it fails:

- ``lost(exc)``: the batch died with its worker and should run again
  (``BrokenProcessPool``; for Dask a cancelled or lost future);
- ``killed(exc)``: the batch killed its worker so often that the pool gave up
  on it (Dask's ``KilledWorker`` after ``distributed.scheduler.allowed-failures``
  retries);
- ``expire(fut)``: a task overran ``task_timeout``. The process pool cannot stop
  one worker's task, so it kills every worker and starts a new pool (returns
  True: the other batches in flight must be resubmitted). Dask cancels the
  future and restarts the one worker running it, if it has a nanny.

Dask is imported only when a Dask pool is opened (≈0.8 s).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any

#: cost per task of the pool (submit, pickle, result), measured on a 2-core machine
PROCESS_OVERHEAD_S = 0.0005
DASK_OVERHEAD_S = 0.013


def _worker_init() -> None:
    """In each worker process: Ctrl-C is the driver's business (no tracebacks from
    workers), and a worker whose driver died exits instead of lingering."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


class ProcessPool:
    """A ``ProcessPoolExecutor`` (spawn) that is replaced whenever it breaks."""

    overhead_s = PROCESS_OVERHEAD_S

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = self._new()

    def _new(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                      initializer=_worker_init)

    def slots(self, timed: bool) -> int:
        """Batches in flight: one spare per worker, none when tasks are timed (a batch
        then starts the moment it is submitted, so its start time is known)."""
        return self.workers if timed else 2 * self.workers

    def submit(self, fn: Callable, batch: Any) -> cf.Future:
        try:
            return self.pool.submit(fn, batch)
        except (BrokenProcessPool, RuntimeError):
            self.restart()
            return self.pool.submit(fn, batch)

    @staticmethod
    def wait(futures: list, timeout: float) -> set:
        return cf.wait(futures, timeout, return_when=cf.FIRST_COMPLETED).done

    @staticmethod
    def lost(exc: BaseException) -> bool:
        return isinstance(exc, BrokenProcessPool)

    @staticmethod
    def killed(exc: BaseException) -> bool:
        return False

    def expire(self, fut: cf.Future) -> bool:
        self.restart()
        return True

    def restart(self) -> None:
        """Kill the workers (by pid) and start a new pool."""
        self._kill()
        self.pool = self._new()

    def _kill(self) -> None:
        for pid in list(getattr(self.pool, "_processes", None) or {}):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.pool.shutdown(wait=False, cancel_futures=True)

    def close(self, abandon: bool) -> None:
        if abandon:
            self._kill()
        else:
            self.pool.shutdown(wait=True)


class DaskPool:
    """A Dask client: on a new ``LocalCluster`` (processes, one thread each) or on
    the cluster at ``scheduler`` (``tcp://host:8786``)."""

    overhead_s = DASK_OVERHEAD_S

    def __init__(self, workers: int | None, scheduler: str | None) -> None:
        import logging

        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler is None:
            self.cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                        threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
        self.client = Client(scheduler or self.cluster)
        self.client.wait_for_workers(1, timeout=60)
        self._threads, self._asked = 1, 0.0

    def slots(self, timed: bool) -> int:
        """Batches in flight: the cluster's threads (re-read every 5 s: workers may come
        and go), twice that unless tasks are timed."""
        if time.monotonic() - self._asked > 5:
            self._threads = max(1, sum(self.client.nthreads().values()))
            self._asked = time.monotonic()
        return self._threads if timed else 2 * self._threads

    def submit(self, fn: Callable, batch: Any) -> cf.Future:
        dfut = self.client.submit(fn, batch, pure=False)
        fut: cf.Future = cf.Future()
        fut.dask_future = dfut  # type: ignore[attr-defined]  # for expire()
        dfut.add_done_callback(partial(_settle, fut))
        return fut

    @staticmethod
    def wait(futures: list, timeout: float) -> set:
        return cf.wait(futures, timeout, return_when=cf.FIRST_COMPLETED).done

    @staticmethod
    def lost(exc: BaseException) -> bool:
        from distributed.comm.core import CommClosedError

        return isinstance(exc, (cf.CancelledError, CommClosedError))

    @staticmethod
    def killed(exc: BaseException) -> bool:
        from distributed.scheduler import KilledWorker

        return isinstance(exc, KilledWorker)

    def expire(self, fut: cf.Future) -> bool:
        """Cancel the task; restart the worker running it (Python cannot stop a thread)."""
        dfut = fut.dask_future  # type: ignore[attr-defined]
        where = [w for w, keys in self.client.processing().items() if dfut.key in keys]
        dfut.cancel()
        if where:
            try:
                self.client.restart_workers(where, timeout=60)
            except Exception:  # noqa: BLE001 - no nanny: the worker stays busy until it returns
                pass
        return False

    def close(self, abandon: bool) -> None:
        if self.cluster is not None:  # our workers: no heartbeat errors while they stop
            self.client.run(_quiet)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _quiet() -> None:
    import logging

    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def _settle(fut: cf.Future, dfut: Any) -> None:
    """Copy a finished Dask future's outcome to its concurrent.futures twin."""
    if dfut.status == "cancelled":
        fut.set_exception(cf.CancelledError(f"dask future {dfut.key} was cancelled"))
        return
    try:
        fut.set_result(dfut.result())
    except BaseException as exc:  # noqa: BLE001 - handed to the driver as the outcome
        fut.set_exception(exc)


def open_pool(executor: str, workers: int | None, scheduler: str | None):
    """The pool for ``executor`` ("processes" or "dask")."""
    if executor == "dask":
        return DaskPool(workers, scheduler)
    return ProcessPool(workers or os.cpu_count() or 1)
