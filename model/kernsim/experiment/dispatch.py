"""Dispatch: rows of tasks from this process or from a pool of workers.

The serial driver runs tasks here, one by one. The pooled executors share one
driver loop (:class:`Dispatcher`): tasks are drawn lazily, grouped in batches
sized so the pool's per-task cost stays under 5% (:class:`Sizer`), a bounded
number of batches is in flight, and rows stream back as batches finish. Lost
batches run again. ``task_timeout``: an alarm in the process running the task
(serial, process pool; the driver watches for a batch that ignores it), or the
driver's clock (Dask). Ctrl-C (:class:`Stop`) stops submitting and abandons
what runs.
"""

from __future__ import annotations

import math
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Self

from kernsim.experiment.executors import open_pool
from kernsim.experiment.load import Experiment
from kernsim.experiment.manifest import Manifest
from kernsim.experiment.tasks import Task, failed_row, run_batch, run_timed, timed_out

#: how often the driver looks at the clock (timeouts, Ctrl-C) while it waits
POLL_S = 0.2


#: a batch lasts at least this many times the pool's per-task cost (≤ 5% overhead)
BATCH_OVERHEAD_RATIO = 20


#: at most this many tasks per batch, and at least 4 batches per worker of what is left
MAX_BATCH = 256

SPREAD = 4

#: a batch lost with its worker this often runs task by task, alone; a task lost


#: this often while running alone is recorded as failed
LOSSES_BEFORE_ALONE = 2

LOSSES_ALONE = 2


class Stop:
    """SIGINT as a request: the driver stops submitting at its next look. Only while
    a serial task runs (``interruptible``) does it raise KeyboardInterrupt at once."""

    def __init__(self) -> None:
        self.requested = False
        self.raising = False

    def __call__(self, signum: int, frame: Any) -> None:
        self.requested = True
        if self.raising:
            raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[Stop]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = signal.signal(signal.SIGINT, self)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        if self.requested:
            raise KeyboardInterrupt
        self.raising = True
        try:
            yield
        finally:
            self.raising = False


class Workers:
    """Runs rounds of tasks: in this process, or on one pool, opened for the first
    round that has tasks to run and closed when the run ends. Batches are sized from
    the task times the manifest holds (earlier runs' included)."""

    def __init__(self, exp: Experiment, executor: str, workers: int | None,
                 scheduler: str | None, stop: Stop, manifest: Manifest) -> None:
        self.executor, self.workers, self.scheduler = executor, workers, scheduler
        """How tasks run: ``serial``, ``processes`` or ``dask``; the pool's size and the
        Dask scheduler's address, if any."""
        self.stop, self.manifest = stop, manifest
        self.timeout_s = _timeout_s(exp)
        """``experiment.task_timeout`` in seconds, or None."""
        self.pool: Any = None
        """The pool, once a round has had tasks for it."""
        self.dispatcher: Dispatcher | None = None

    def rows(self, tasks: Iterator[Task], left: int) -> Iterator[dict]:
        """The rows of ``tasks`` (``left`` of them), as they finish."""
        if self.executor == "serial" or not left:
            yield from serial(tasks, self.stop, self.timeout_s)
            return
        self.dispatcher = Dispatcher(self._pool(), tasks, left, self.timeout_s,
                                     self.manifest.mean_wall())
        yield from self.dispatcher.rows(self.stop)

    def _pool(self) -> Any:
        if self.pool is None:
            self.pool = open_pool(self.executor, self.workers, self.scheduler)
        return self.pool

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            in_flight = self.dispatcher is not None and bool(self.dispatcher.flight)
            self.pool.close(abandon=self.stop.requested or in_flight)


def _timeout_s(exp: Experiment) -> float | None:
    timeout = exp.config.experiment.task_timeout
    return None if timeout is None else timeout / 1e6  # config durations are in µs


def serial(tasks: Iterator[Task], stop: Stop, timeout_s: float | None) -> Iterator[dict]:
    """Run ``tasks`` here, one by one; Ctrl-C interrupts the task that runs."""
    for task in tasks:
        if stop.requested:
            return
        with stop.interruptible():
            row = run_timed(task, timeout_s)
        yield row


@dataclass
class Batch:
    tasks: list[Task]
    losses: int = 0
    alone: bool = False  # runs with nothing else in flight (after repeated losses)


@dataclass
class Flight:
    batch: Batch
    started: float | None = None  # when the pool was first seen running it (monotonic)
    where: Any = None  # on which worker, if the pool says


@dataclass
class Sizer:
    """Tasks per batch. A batch should last ≥ 20 × the pool's per-task cost (so that
    cost is ≤ 5% of the work: with Dask's ≈13 ms, batches of ≥ 0.26 s), yet every
    worker should get ≥ 4 batches of what is left (balance at the end). The task
    time is the running mean of finished tasks (seeded by earlier runs' times);
    until one finishes, and when the driver times each task, a batch is one task."""

    overhead_s: float
    workers: int
    single: bool
    mean_s: float | None = None
    seen: int = 0

    def observe(self, wall_s: float) -> None:
        self.seen += 1
        self.mean_s = wall_s if self.mean_s is None else \
            self.mean_s + (wall_s - self.mean_s) / min(self.seen, 100)

    def size(self, left: int) -> int:
        if self.single or self.mean_s is None:
            return 1
        want = math.ceil(BATCH_OVERHEAD_RATIO * self.overhead_s / max(self.mean_s, 1e-6))
        spread = max(1, left // (SPREAD * self.workers))
        return max(1, min(want, spread, MAX_BATCH))


class Dispatcher:
    """Keeps a pool busy with batches of tasks and yields rows as batches finish.

    Timeouts: where the pool's workers run tasks in their main thread (processes),
    each task has its own alarm there and the driver only watches for a batch
    that overruns ``timeout × tasks + pool.grace_s`` (a task stuck where the alarm
    cannot reach). Otherwise (Dask) a batch is one task and the driver's clock
    starts when the pool reports it running.
    """

    def __init__(self, pool: Any, tasks: Iterator[Task], left: int,
                 timeout_s: float | None, mean_s: float | None) -> None:
        self.pool, self.tasks, self.left = pool, tasks, left
        self.timeout_s = timeout_s
        self.queue: deque[Batch] = deque()  # lost batches: they run first
        self.flight: dict[Any, Flight] = {}
        self.looked = 0.0  # last look at the clock of the batches in flight
        single = bool(timeout_s) and not pool.alarm_in_worker
        self.sizer = Sizer(pool.overhead_s, max(1, pool.slots(True)), single, mean_s)

    def rows(self, stop: Stop) -> Iterator[dict]:
        while not stop.requested:
            self._fill()
            if not self.flight:
                return
            done = self.pool.wait(list(self.flight), POLL_S)
            for fut in done:
                yield from self._finished(fut)
            yield from self._expired()
            # a stuck pool delivers no result at all: look only after a wait that gave none
            if not done and self.flight and self.pool.stuck():
                yield from self._lost_all()

    def _fill(self) -> None:
        limit = self.pool.slots(self.sizer.single)
        while len(self.flight) < limit:
            batch = self._next()
            if batch is None:
                return
            fut = self.pool.submit(run_batch, batch.tasks, self.timeout_s)
            self.flight[fut] = Flight(batch)

    def _next(self) -> Batch | None:
        if any(f.batch.alone for f in self.flight.values()):
            return None
        if self.queue:
            if self.queue[0].alone and self.flight:
                return None
            return self.queue.popleft()
        tasks = [t for _, t in zip(range(self.sizer.size(self.left)), self.tasks)]
        self.left -= len(tasks)
        return Batch(tasks) if tasks else None

    def _finished(self, fut: Any) -> Iterator[dict]:
        batch = self.flight.pop(fut).batch
        try:
            rows = fut.result()
        except BaseException as exc:  # noqa: BLE001 - a pool failure, not a model error
            yield from self._failed(batch, exc)
            return
        for row in rows:
            self.sizer.observe(row["_wall_s"])
        yield from rows

    def _failed(self, batch: Batch, exc: BaseException) -> Iterator[dict]:
        if self.pool.lost(exc):
            yield from self._lost(batch, exc)
        elif self.pool.killed(exc) and len(batch.tasks) > 1:
            self.queue.extend(Batch([t]) for t in batch.tasks)  # find the one that kills
        else:
            error = "".join(traceback.format_exception(exc))
            yield from (failed_row(t, error) for t in batch.tasks)

    def _lost(self, batch: Batch, exc: BaseException) -> Iterator[dict]:
        """A batch lost with its worker runs again; lost again, task by task alone; a
        task lost while alone too often is the one that kills its worker."""
        batch.losses += 1
        if batch.alone and batch.losses >= LOSSES_BEFORE_ALONE + LOSSES_ALONE:
            yield failed_row(batch.tasks[0], f"worker process died {batch.losses} times "
                             f"running this task ({type(exc).__name__}: {exc})")
        elif batch.losses >= LOSSES_BEFORE_ALONE and not batch.alone:
            self.queue.extendleft(Batch([t], batch.losses, alone=True)
                                  for t in reversed(batch.tasks))
        else:
            self.queue.appendleft(batch)

    def _expired(self) -> Iterator[dict]:
        if not self.timeout_s or time.monotonic() - self.looked < POLL_S:
            return
        running, now = self.pool.running(list(self.flight)), time.monotonic()
        self.looked = now
        for fut, flight in list(self.flight.items()):
            if fut not in self.flight or fut.done():
                continue
            if fut not in running:  # not (or no longer) on a worker: no clock
                flight.started = None
            elif flight.started is None or running[fut] != flight.where:
                flight.started, flight.where = now, running[fut]
            if flight.started is not None and now - flight.started > self._budget(flight):
                yield from self._expire(fut, flight, now)

    def _budget(self, flight: Flight) -> float:
        return self.timeout_s * len(flight.batch.tasks) + self.pool.grace_s

    def _expire(self, fut: Any, flight: Flight, now: float) -> Iterator[dict]:
        del self.flight[fut]
        error = f"{timed_out(self.timeout_s)}; {self.pool.on_expire}"
        yield from (failed_row(t, error, now - flight.started) for t in flight.batch.tasks)
        if self.pool.expire(fut):
            self._resubmit_all()

    def _lost_all(self) -> Iterator[dict]:
        """The pool lost a worker without noticing (``pool.stuck``): every batch in flight
        counts as lost with its worker, and the pool starts anew."""
        lost = list(self.flight.values())
        self.flight.clear()
        self.pool.restart()
        exc = BrokenProcessPool("a worker process died and the pool did not notice")
        for flight in reversed(lost):
            yield from self._lost(flight.batch, exc)

    def _resubmit_all(self) -> None:
        """The pool was restarted: whatever was in flight runs again (no loss counted)."""
        self.queue.extendleft(f.batch for f in reversed(list(self.flight.values())))
        self.flight.clear()
