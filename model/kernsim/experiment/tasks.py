"""Tasks: one replication of one design point, and how a worker runs it.

A task is ``(design point, replication) -> row``: it depends on nothing else, so
the same seed gives the same row whichever executor or worker runs it. A model
that raises gives a row holding ``_error``; ``task_timeout`` is an alarm in the
process running the task (the serial driver, a process-pool worker).
"""

from __future__ import annotations

import json
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from kernsim.engine.streams import seed_text, stable_key, task_seed
from kernsim.experiment.load import DesignPoint, Experiment
from kernsim.simulate import simulate


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

    @property
    def traced(self) -> bool:
        """Whether ``experiment.trace`` names this task's replication."""
        trace = getattr(self.config.experiment, "trace", None)
        return trace is not None and self.replication in trace.replications

    def seed(self) -> np.random.SeedSequence:
        """Common random numbers: the same streams for every design point of a replication."""
        if self.crn:
            return task_seed(self.root_seed, self.replication)
        key = stable_key(json.dumps(self.params, sort_keys=True, default=str))
        return task_seed(self.root_seed, key, self.replication)


class TaskTimeout(BaseException):
    """Raised in a serial task by its alarm (a BaseException: models never swallow it)."""


def head(task: Task, seed: np.random.SeedSequence | None = None) -> dict:
    """The identifying cells of a task's row: ``seed`` is the point's root seed,
    ``replication_seed`` the replication's own seed sequence (:func:`seed_text`; ``seed``
    when the caller has it already)."""
    return {"design_point": task.design_point, "replication": task.replication,
            "seed": task.root_seed, "replication_seed": seed_text(seed or task.seed()),
            **{k: cell(v) for k, v in task.params.items()}}


def run_task(task: Task) -> dict:
    """Simulate one task; a raising model becomes a row holding ``_error``."""
    start = time.perf_counter()
    seed = task.seed()
    row = head(task, seed)
    try:
        row.update(simulate(task.config, seed, traced=task.traced))
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
    try:  # armed inside: an alarm due at once (a timeout of 1 ns) is caught here too
        alarm.armed = True
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        return run_task(task)
    except TaskTimeout:
        return failed_row(task, timed_out(timeout_s), time.perf_counter() - start)
    finally:
        alarm.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def iter_tasks(exp: Experiment, skip: set | frozenset = frozenset(),
               spans: dict[int, tuple[int, int]] | None = None) -> Iterator[Task]:
    """Every task of ``exp`` not in ``skip`` (pairs (design point, replication)), lazily:
    replications ``0 … replications-1`` of each point, or ``[lo, hi)`` of the points in
    ``spans`` (by design point index)."""
    crn = exp.config.experiment.common_random_numbers
    for point in exp.points:
        seed = point.config.experiment.seed  # the base seed unless the sweep sets it
        lo, hi = (0, exp.replications) if spans is None else spans.get(point.index, (0, 0))
        for rep in range(lo, hi):
            if (point.index, rep) not in skip:
                yield Task(point, rep, seed, crn)


def tasks_for(exp: Experiment) -> list[Task]:
    return list(iter_tasks(exp))
