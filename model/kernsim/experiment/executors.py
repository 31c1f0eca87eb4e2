"""Worker pools behind the runner: a local process pool, or a Dask cluster.

Both hand out ``concurrent.futures.Future`` objects, so one driver loop (in
``runner``) streams results as they finish, whichever pool runs them. A pool
also says how it fails:

- ``lost(exc)``: the batch died with its worker and should run again
  (``BrokenProcessPool``; for Dask a cancelled or lost future);
- ``killed(exc)``: the batch killed its worker so often that the pool gave up
  on it (Dask's ``KilledWorker`` after ``distributed.scheduler.allowed-failures``
  retries);
- ``expire(fut)``: a batch overran its time. Process-pool workers run tasks in
  their main thread, where each task has its own SIGALRM (``alarm_in_worker``):
  the driver steps in only for a batch that ignores it, kills every worker and
  starts a new pool (returns True: the other batches in flight run again). Dask
  runs tasks in worker threads, which nothing can interrupt: the driver cancels
  the future and restarts the worker running it (if it has a nanny).

Dask is imported only when a Dask pool is opened (≈0.8 s).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from functools import partial
from typing import Any

#: cost per task of the pool (submit, pickle, result), measured on a 2-core machine
PROCESS_OVERHEAD_S = 0.0005
DASK_OVERHEAD_S = 0.013
#: how long a pool may fail to notice a dead worker before :meth:`ProcessPool.stuck` says
#: so (a pool that works notices within milliseconds)
STUCK_S = 5.0


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
    alarm_in_worker = True
    grace_s = 30.0  # beyond timeout × tasks: worker start-up, a loaded machine
    on_expire = "the worker ignored its alarm: the process pool was restarted"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = self._new()
        self.dead_since: float | None = None
        """When :meth:`stuck` first saw a dead worker in a pool that had not noticed."""

    def _new(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                      initializer=_worker_init)

    def slots(self, exact: bool) -> int:
        """Batches in flight: one per worker when ``exact`` (each one running), else one
        spare per worker as well."""
        return self.workers if exact else 2 * self.workers

    def submit(self, fn: Callable, *args: Any) -> cf.Future:
        try:
            return self._submit(fn, *args)
        except (BrokenProcessPool, RuntimeError):
            self.restart()
            return self._submit(fn, *args)

    def _submit(self, fn: Callable, *args: Any) -> cf.Future:
        """Submit; while the pool still spawns workers (at submit), with SIGINT ignored
        so that a Ctrl-C during a worker's start-up gives no traceback either."""
        if len(getattr(self.pool, "_processes", None) or {}) >= self.workers:
            return self.pool.submit(fn, *args)
        with _sigint_ignored():
            return self.pool.submit(fn, *args)

    @staticmethod
    def running(futures: list) -> dict:
        """Futures whose batch has gone to a worker (which one is not known)."""
        return {f: None for f in futures if f.running()}

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

    def stuck(self) -> bool:
        """A worker is dead and, ``STUCK_S`` later, the pool still has not noticed.

        CPython's pool learns of a dead worker in its manager thread; when the worker
        died half-way through writing a result, that thread blocks for ever reading the
        rest (the other workers, and this process, hold the pipe's write end), and no
        future of the pool ever resolves. The caller then treats everything in flight
        as lost and restarts the pool (:meth:`restart` unblocks that thread).
        """
        processes = getattr(self.pool, "_processes", None) or {}
        dead = any(p.exitcode is not None for p in list(processes.values()))
        if not dead or getattr(self.pool, "_broken", False):
            self.dead_since = None
            return False
        now = time.monotonic()
        if self.dead_since is None:
            self.dead_since = now
        return now - self.dead_since > STUCK_S

    def restart(self) -> None:
        """Kill the workers (by pid) and start a new pool."""
        self._kill()
        self.pool = self._new()
        self.dead_since = None

    def _kill(self) -> None:
        """SIGKILL the workers, then close this process's write end of the results pipe:
        with every writer gone, a manager thread blocked reading a result a killed worker
        left half-written reads end-of-file, marks the pool broken and ends (else it
        blocks for ever, and the interpreter waits for it at exit)."""
        writer = getattr(getattr(self.pool, "_result_queue", None), "_writer", None)
        for pid in list(getattr(self.pool, "_processes", None) or {}):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.pool.shutdown(wait=False, cancel_futures=True)  # drops its _result_queue
        if writer is not None:
            writer.close()

    def close(self, abandon: bool) -> None:
        if abandon:
            self._kill()
        else:
            self.pool.shutdown(wait=True)


class DaskPool:
    """A Dask client: on a new ``LocalCluster`` (processes, one thread each) or on
    the cluster at ``scheduler`` (``tcp://host:8786``)."""

    overhead_s = DASK_OVERHEAD_S
    alarm_in_worker = False
    grace_s = 0.0
    on_expire = "the dask future was cancelled and its worker restarted"

    def __init__(self, workers: int | None, scheduler: str | None) -> None:
        import logging

        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler is None:
            with _sigint_ignored():  # inherited by the workers: Ctrl-C is for the driver
                self.cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                                            threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
            self.client.register_plugin(_ignore_sigint_plugin())  # workers restarted later
        else:
            self.client = Client(scheduler, timeout=30)
        self.client.wait_for_workers(1, timeout=60)
        self._threads, self._asked = 1, 0.0
        self._restarts: list[threading.Thread] = []

    def slots(self, exact: bool) -> int:
        """Batches in flight: the cluster's threads (re-read every 5 s: workers may come
        and go) when ``exact`` (each one running), else twice that."""
        if time.monotonic() - self._asked > 5:
            self._threads = max(1, sum(self.client.nthreads().values()))
            self._asked = time.monotonic()
        return self._threads if exact else 2 * self._threads

    def submit(self, fn: Callable, *args: Any) -> cf.Future:
        dfut = self.client.submit(fn, *args, pure=False)
        fut: cf.Future = cf.Future()
        fut.dask_future = dfut  # type: ignore[attr-defined]  # for expire()
        dfut.add_done_callback(partial(_settle, fut))
        return fut

    @staticmethod
    def wait(futures: list, timeout: float) -> set:
        return cf.wait(futures, timeout, return_when=cf.FIRST_COMPLETED).done

    def running(self, futures: list) -> dict:
        """Futures whose task a worker has, and that worker (the driver's clock for
        timeouts starts when a worker takes the task, again if another one does)."""
        where = {k: w for w, keys in self.client.processing().items() for k in keys}
        return {f: where[f.dask_future.key] for f in futures if f.dask_future.key in where}

    @staticmethod
    def lost(exc: BaseException) -> bool:
        from distributed.comm.core import CommClosedError

        return isinstance(exc, (cf.CancelledError, CommClosedError))

    @staticmethod
    def killed(exc: BaseException) -> bool:
        from distributed.scheduler import KilledWorker

        return isinstance(exc, KilledWorker)

    @staticmethod
    def stuck() -> bool:
        """Dask reports a lost worker's futures itself: never stuck."""
        return False

    def expire(self, fut: cf.Future) -> bool:
        """Cancel the task; restart the worker running it (Python cannot stop a thread),
        in the background: the driver goes on meanwhile."""
        dfut = fut.dask_future  # type: ignore[attr-defined]
        where = [w for w, keys in self.client.processing().items() if dfut.key in keys]
        dfut.cancel()
        if where:
            thread = threading.Thread(target=_restart, args=(self.client, where), daemon=True)
            thread.start()
            self._restarts.append(thread)
        return False

    def close(self, abandon: bool) -> None:
        for thread in [] if abandon else self._restarts:
            thread.join(timeout=130)
        if self.cluster is not None:  # our workers: no heartbeat errors while they stop
            self.client.run(_quiet)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _restart(client: Any, workers: list[str]) -> None:
    # fails without a nanny (the worker then stays busy) or once the client is closed
    with suppress(Exception):
        client.restart_workers(workers, timeout=120, raise_for_error=False)


def _quiet() -> None:
    import logging

    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name.startswith("distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while child processes start: an ignored signal stays ignored
    across exec, and Python then installs no KeyboardInterrupt handler. Blocked too,
    so that a Ctrl-C meanwhile stays pending (Linux) and reaches the driver after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _ignore_sigint_plugin() -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class IgnoreSigint(WorkerPlugin):
        name = "kernsim-ignore-sigint"

        def setup(self, worker: Any) -> None:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)

    return IgnoreSigint()


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
