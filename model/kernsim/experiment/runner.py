"""Run an experiment: design points × replications as pure tasks, on an executor.

A task is ``(design point, replication) -> row``: it depends on nothing else,
so the same seed gives the same row whichever executor or worker runs it. Each
finished row is written to the results folder at once (an atomic part file
and its sha256 in the manifest); a rerun skips what is there.

Executors: ``serial`` (in this process), ``processes`` (a local process pool),
``dask`` (a new LocalCluster, or the cluster at ``scheduler``). The pooled ones
share one driver loop (:class:`Dispatcher`): tasks are drawn lazily, grouped in
batches sized so the pool's per-task cost stays under 5% (:class:`Sizer`), a
bounded number of batches is in flight, and rows stream back as batches
finish. Lost batches run again. ``task_timeout``: an alarm in the process
running the task (serial, process pool; the driver watches for a batch that
ignores it), or the driver's clock (Dask). Ctrl-C stops submitting, abandons
what runs and leaves a resumable folder.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from kernsim.build import offered_load
from kernsim.engine.streams import stable_key, task_seed
from kernsim.errors import KernsimError
from kernsim.experiment.load import DesignPoint, Experiment
from kernsim.experiment.sequential import Plan, Tally, spans_hold
from kernsim.simulate import simulate

if TYPE_CHECKING:
    from kernsim.experiment.store import Store

EXECUTORS = ("serial", "processes", "dask")
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


@dataclass(frozen=True)
class Task:
    """One replication of one design point (which holds the config: never copied)."""

    point: DesignPoint
    replication: int
    root_seed: int
    crn: bool

    @property
    def design_point(self) -> int:
        return self.point.index

    @property
    def params(self) -> dict:
        return self.point.params

    @property
    def config(self) -> Any:
        return self.point.config

    def seed(self) -> np.random.SeedSequence:
        """Common random numbers: the same streams for every design point of a replication."""
        if self.crn:
            return task_seed(self.root_seed, self.replication)
        key = stable_key(json.dumps(self.params, sort_keys=True, default=str))
        return task_seed(self.root_seed, key, self.replication)


class TaskTimeout(BaseException):
    """Raised in a serial task by its alarm (a BaseException: models never swallow it)."""


def head(task: Task) -> dict:
    """The identifying cells of a task's row."""
    return {"design_point": task.design_point, "replication": task.replication,
            "seed": task.root_seed, **{k: cell(v) for k, v in task.params.items()}}


def run_task(task: Task) -> dict:
    """Simulate one task; a raising model becomes a row holding ``_error``."""
    start = time.perf_counter()
    row = head(task)
    try:
        row.update(simulate(task.config, task.seed()))
    except Exception:  # noqa: BLE001 - recorded in the manifest, the sweep goes on
        row["_error"] = traceback.format_exc()
    row["_wall_s"] = time.perf_counter() - start
    return row


def failed_row(task: Task, error: str, wall_s: float = 0.0) -> dict:
    return {**head(task), "_error": error, "_wall_s": wall_s}


def timed_out(seconds: float) -> str:
    return f"timed out after {seconds:g} s (experiment.task_timeout)"


def cell(value: Any) -> Any:
    """Swept values as table cells: scalars as they are, tables and lists as JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def run_batch(tasks: list[Task], timeout_s: float | None = None) -> list[dict]:
    """Run tasks one after the other (in a worker); each under its alarm if timed."""
    return [run_timed(t, timeout_s) for t in tasks]


def iter_tasks(exp: Experiment, skip: set | frozenset = frozenset(),
               spans: dict[int, tuple[int, int]] | None = None) -> Iterator[Task]:
    """Every task of ``exp`` not in ``skip`` (pairs (design point, replication)), lazily:
    replications ``0 … replications-1`` of each point, or ``[lo, hi)`` of the points in
    ``spans`` (by design point index)."""
    seed, crn = exp.config.experiment.seed, exp.config.experiment.common_random_numbers
    for point in exp.points:
        lo, hi = (0, exp.replications) if spans is None else spans.get(point.index, (0, 0))
        for rep in range(lo, hi):
            if (point.index, rep) not in skip:
                yield Task(point, rep, seed, crn)


def tasks_for(exp: Experiment) -> list[Task]:
    return list(iter_tasks(exp))


def check_stable(exp: Experiment) -> list[str]:
    """Warnings for design points whose open workload overloads a component (ρ ≥ 1)."""
    out = []
    for point in exp.points:
        for name, rho in offered_load(point.config).items():
            if rho >= 1:
                where = f" at {point.params}" if point.params else ""
                out.append(f"component {name!r}{where}: offered load ρ = {rho:.3g} ≥ 1 (unstable)")
    return out


def preflight(exp: Experiment, executor: str, workers: int | None,
              allow_unstable: bool) -> None:
    """Refuse a run before anything is written: bad executor or workers, unstable load."""
    if executor not in EXECUTORS:
        raise KernsimError(f"--executor {executor!r}: allowed: {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise KernsimError(f"--workers {workers}: must be an integer ≥ 1")
    if executor == "dask":
        _need_dask()
    unstable = check_stable(exp)
    if unstable and not allow_unstable:
        raise KernsimError("; ".join(unstable) + " — pass --allow-unstable to run it anyway")


def _need_dask() -> None:
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise KernsimError("--executor dask needs dask.distributed: "
                           "pip install 'kernsim[dask]' (or 'dask[distributed]')")


@dataclass
class RunResult:
    out: Path
    total: int
    ran: int
    skipped: int
    failures: list[dict] = field(default_factory=list)
    interrupted: bool = False
    #: with a precision target: replications per design point, and the points that
    #: reached max_replications without meeting it (see ``Plan.unmet``)
    replications: dict[int, int] | None = None
    unmet: list[dict] = field(default_factory=list)


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


def run(exp: Experiment, out: str | Path | None = None, executor: str = "serial",
        workers: int | None = None, allow_unstable: bool = False, overwrite: bool = False,
        progress: Callable[[int, int], None] | None = None,
        scheduler: str | None = None) -> RunResult:
    """Run every unfinished task of ``exp`` into its results folder.

    With ``experiment.precision``, in rounds: the pilot replications, then more at
    the design points that miss the target (:mod:`kernsim.experiment.sequential`);
    a rerun replays the rounds from the rows on disk. ``scheduler``
    (``tcp://host:port``) runs on that Dask cluster (implies ``executor="dask"``).
    Ctrl-C returns a result with ``interrupted`` set.
    """
    from kernsim.experiment.store import Store, now  # pandas and pyarrow: only when running

    executor = "dask" if scheduler else executor
    preflight(exp, executor, workers, allow_unstable)
    store = Store(out or Path("results") / exp.name)
    manifest = store.open(exp, overwrite=overwrite)
    rounds = Rounds(exp, store, manifest, progress)
    log = {"started": now(), "executor": executor, "workers": workers, "scheduler": scheduler}
    stop = Stop()
    with stop.installed():  # also while compacting: a Ctrl-C then waits for the end
        try:
            with Engine(exp, executor, workers, scheduler, stop, manifest) as engine:
                rounds.run(engine, stop)
        except KeyboardInterrupt:
            stop.requested = True
        except KernsimError:  # e.g. an unknown precision metric: the pilot is kept
            _log_run(manifest, log, rounds.result)
            manifest["status"] = "interrupted"
            store.write_manifest(manifest)
            raise
        result = rounds.result
        result.interrupted = stop.requested and (
            _accounted(result) < result.total or not rounds.plan.settled)
        _log_run(manifest, log, result)
        _finish(store, manifest, exp, rounds)
    return result


def _log_run(manifest: dict, log: dict, result: RunResult) -> None:
    from kernsim.experiment.store import now

    manifest["runs"].append({"started": log["started"], "ended": now(),
                             **{k: v for k, v in log.items() if k != "started"},
                             "tasks_run": result.ran})


def _accounted(result: RunResult) -> int:
    return result.ran + result.skipped + len(result.failures)


class Rounds:
    """The rounds of one run: the planned tasks that are not on disk; with a
    precision target, then a check of every unsettled point and the tasks it adds."""

    def __init__(self, exp: Experiment, store: Store, manifest: dict,
                 progress: Callable[[int, int], None] | None) -> None:
        self.exp, self.store, self.manifest, self.progress = exp, store, manifest, progress
        self.plan, self.done = Plan(exp), store.done()
        self.tally = Tally(exp, store, self.done) if self.plan.sequential else None
        self.result = RunResult(store.out, 0, 0, 0)
        self.flush = Flusher(store, manifest)

    def run(self, engine: Engine, stop: Stop) -> None:
        self.note()
        self.round(engine)
        while not (stop.requested or self.plan.settled):
            self.plan.check(self.tally)
            self.note()
            self.round(engine)

    def round(self, engine: Engine) -> None:
        spans = self.plan.advance()
        skipped = sum(1 for _ in spans_hold(spans, self.done))
        left = sum(hi - lo for lo, hi in spans.values()) - skipped
        self.result.total += left + skipped
        self.result.skipped += skipped
        for row in engine.rows(iter_tasks(self.exp, self.done, spans), left):
            self.record(row)

    def record(self, row: dict) -> None:
        _record(self.store, self.manifest, row, self.result)
        if self.tally is not None and "_error" not in row:
            self.tally.add(row)
        self.flush.maybe()
        if self.progress:
            self.progress(_accounted(self.result), self.result.total)

    def note(self) -> None:
        """Record the counts so far (and, once settled, the points that missed)."""
        if not self.plan.sequential:
            return
        self.result.replications = self.plan.counts()
        self.result.unmet = [_finite(u) for u in self.plan.unmet()]
        self.manifest["replications_by_point"] = {
            str(k): v for k, v in self.result.replications.items()}
        self.manifest["precision_unmet"] = self.result.unmet


def _finite(entry: dict) -> dict:
    """NaN and infinities as None (valid JSON)."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in entry.items()}


def _finish(store: Store, manifest: dict, exp: Experiment, rounds: Rounds) -> None:
    from kernsim.experiment.store import now

    result = rounds.result
    rounds.note()
    manifest["failures"] = result.failures
    if result.interrupted:
        manifest["status"] = "interrupted"
        store.write_manifest(manifest)
        return
    table = store.compact(result.replications or exp.replications)
    if "_wall_s" in table:  # tasks of a run killed before its manifest was written
        for dp, rep, wall in zip(table["design_point"], table["replication"], table["_wall_s"]):
            manifest["tasks"].setdefault(f"{dp}/{rep}", round(float(wall), 6))
    store.hash_outputs(manifest)
    manifest["status"] = "failed" if result.failures else "complete"
    manifest["ended"] = now()
    store.write_manifest(manifest)


class Flusher:
    """Rewrite the manifest now and then during a run (every 2 s, or less often when
    writing it gets slow), so a killed driver leaves recent hashes and times."""

    def __init__(self, store: Store, manifest: dict) -> None:
        self.store, self.manifest = store, manifest
        self.last, self.interval = time.monotonic(), 2.0

    def maybe(self) -> None:
        if time.monotonic() - self.last < self.interval:
            return
        start = time.monotonic()
        self.store.write_manifest(self.manifest)
        self.last = time.monotonic()
        self.interval = max(2.0, 20 * (self.last - start))


def _record(store: Store, manifest: dict, row: dict, result: RunResult) -> None:
    key = f"{row['design_point']}/{row['replication']}"
    if "_error" in row:
        result.failures.append({"design_point": row["design_point"],
                                "replication": row["replication"], "seed": row["seed"],
                                "error": row["_error"]})
        return
    manifest["hashes"].update(store.write(row, row.pop("_samples", None)))
    manifest["tasks"][key] = round(row["_wall_s"], 6)
    result.ran += 1


class Engine:
    """Runs rounds of tasks: in this process, or on one pool, opened for the first
    round that has tasks to run and closed when the run ends."""

    def __init__(self, exp: Experiment, executor: str, workers: int | None,
                 scheduler: str | None, stop: Stop, manifest: dict) -> None:
        self.executor, self.workers, self.scheduler = executor, workers, scheduler
        self.stop, self.manifest = stop, manifest
        self.timeout_s = _timeout_s(exp)
        self.pool: Any = None
        self.dispatcher: Dispatcher | None = None

    def rows(self, tasks: Iterator[Task], left: int) -> Iterator[dict]:
        if self.executor == "serial" or not left:
            yield from _serial(tasks, self.stop, self.timeout_s)
            return
        self.dispatcher = Dispatcher(self._pool(), tasks, left, self.timeout_s,
                                     _mean_wall(self.manifest))
        yield from self.dispatcher.rows(self.stop)

    def _pool(self) -> Any:
        if self.pool is None:
            from kernsim.experiment.executors import open_pool

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


def _mean_wall(manifest: dict) -> float | None:
    walls = list(manifest.get("tasks", {}).values())
    return sum(walls) / len(walls) if walls else None


# --------------------------------------------------------------------------- serial


def _serial(tasks: Iterator[Task], stop: Stop, timeout_s: float | None) -> Iterator[dict]:
    for task in tasks:
        if stop.requested:
            return
        with stop.interruptible():
            row = run_timed(task, timeout_s)
        yield row


class Alarm:
    """SIGALRM handler that raises TaskTimeout only while a task is armed."""

    def __init__(self) -> None:
        self.armed = False

    def __call__(self, signum: int, frame: Any) -> None:
        if self.armed:
            self.armed = False
            raise TaskTimeout


def run_timed(task: Task, timeout_s: float | None) -> dict:
    """Run a task in this thread; with a timeout, under SIGALRM when this is a main
    thread on POSIX (the serial driver, a process-pool worker; not a Dask thread)."""
    if not timeout_s or not _can_alarm():
        return run_task(task)
    start, alarm = time.perf_counter(), Alarm()
    previous = signal.signal(signal.SIGALRM, alarm)
    alarm.armed = True
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return run_task(task)
    except TaskTimeout:
        return failed_row(task, timed_out(timeout_s), time.perf_counter() - start)
    finally:
        alarm.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


# --------------------------------------------------------------------------- pooled


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
            for fut in self.pool.wait(list(self.flight), POLL_S):
                yield from self._finished(fut)
            yield from self._expired()

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

    def _resubmit_all(self) -> None:
        """The pool was restarted: whatever was in flight runs again (no loss counted)."""
        self.queue.extendleft(f.batch for f in reversed(list(self.flight.values())))
        self.flight.clear()
