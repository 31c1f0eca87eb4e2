"""Run an experiment: design points × replications as pure tasks, on an executor.

A task is ``(config, seed) -> row``: it depends on nothing else, so the same
seed gives the same row whichever executor or worker runs it. Each finished
row is written to the results folder at once; a rerun skips what is there.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import numpy as np

from model.engine.streams import stable_key, task_seed
from model.errors import KernsimError
from model.experiment.load import Experiment
from model.system.build import offered_load, simulate

if TYPE_CHECKING:
    from model.experiment.store import Store

EXECUTORS = ("serial", "processes")


@dataclass(frozen=True)
class Task:
    """One replication of one design point."""

    design_point: int
    replication: int
    params: dict
    config: Any
    root_seed: int
    crn: bool

    def seed(self) -> np.random.SeedSequence:
        """Common random numbers: the same streams for every design point of a replication."""
        if self.crn:
            return task_seed(self.root_seed, self.replication)
        key = stable_key(json.dumps(self.params, sort_keys=True, default=str))
        return task_seed(self.root_seed, key, self.replication)


def run_task(task: Task) -> dict:
    """Simulate one task; a raising model becomes a row holding ``_error``."""
    start = time.perf_counter()
    row: dict = {"design_point": task.design_point, "replication": task.replication,
                 "seed": task.root_seed, **{k: cell(v) for k, v in task.params.items()}}
    try:
        row.update(simulate(task.config, task.seed()))
    except Exception:  # noqa: BLE001 - recorded in the manifest, the sweep goes on
        row["_error"] = traceback.format_exc()
    row["_wall_s"] = time.perf_counter() - start
    return row


def cell(value: Any) -> Any:
    """Swept values as table cells: scalars as they are, tables and lists as JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def run_batch(tasks: list[Task]) -> list[dict]:
    return [run_task(t) for t in tasks]


def tasks_for(exp: Experiment) -> list[Task]:
    seed, crn = exp.config.experiment.seed, exp.config.experiment.common_random_numbers
    return [
        Task(p.index, r, p.params, p.config, seed, crn)
        for p in exp.points
        for r in range(exp.replications)
    ]


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
    unstable = check_stable(exp)
    if unstable and not allow_unstable:
        raise KernsimError("; ".join(unstable) + " — pass --allow-unstable to run it anyway")


@dataclass
class RunResult:
    out: Path
    total: int
    ran: int
    skipped: int
    failures: list[dict] = field(default_factory=list)
    interrupted: bool = False


def run(exp: Experiment, out: str | Path | None = None, executor: str = "serial",
        workers: int | None = None, allow_unstable: bool = False, overwrite: bool = False,
        progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run every unfinished task of ``exp`` into its results folder."""
    from model.experiment.store import Store, now  # pandas and pyarrow: only when running

    preflight(exp, executor, workers, allow_unstable)
    store = Store(out or Path("results") / exp.name)
    manifest = store.open(exp, overwrite=overwrite)
    done = store.done()
    todo = [t for t in tasks_for(exp) if (t.design_point, t.replication) not in done]
    result = RunResult(store.out, len(todo) + len(done), 0, len(done))
    started = now()
    try:
        for row in _execute(todo, executor, workers):
            _record(store, manifest, row, result)
            if progress:
                progress(result.ran + result.skipped, result.total)
    except KeyboardInterrupt:
        result.interrupted = True
    manifest["runs"].append({"started": started, "ended": now(), "executor": executor,
                             "workers": workers, "tasks_run": result.ran})
    manifest["failures"] = result.failures
    if not result.interrupted:
        table = store.compact(exp.replications)
        if "_wall_s" in table:  # tasks of a run killed before its manifest was written
            for dp, rep, wall in zip(table["design_point"], table["replication"], table["_wall_s"]):
                manifest["tasks"].setdefault(f"{dp}/{rep}", round(float(wall), 6))
        manifest["status"] = "failed" if result.failures else "complete"
        manifest["ended"] = now()
    else:
        manifest["status"] = "interrupted"
    store.write_manifest(manifest)
    return result


def _record(store: Store, manifest: dict, row: dict, result: RunResult) -> None:
    key = f"{row['design_point']}/{row['replication']}"
    if "_error" in row:
        result.failures.append({"design_point": row["design_point"],
                                "replication": row["replication"], "seed": row["seed"],
                                "error": row["_error"]})
        return
    store.write(row, row.pop("_samples", None))
    manifest["tasks"][key] = round(row["_wall_s"], 6)
    result.ran += 1


def _execute(tasks: list[Task], executor: str, workers: int | None) -> Iterator[dict]:
    if executor == "serial" or not tasks:
        return (run_task(t) for t in tasks)
    return _processes(tasks, workers or os.cpu_count() or 1)


def _batches(tasks: list[Task], workers: int) -> list[list[Task]]:
    size = max(1, min(8, len(tasks) // (workers * 4)))
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


def _processes(tasks: list[Task], workers: int) -> Iterator[dict]:
    """A process pool; if a worker dies, a new pool reruns what was lost."""
    pending = _batches(tasks, workers)
    while pending:
        pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"))
        futures: dict[Future, list[Task]] = {pool.submit(run_batch, b): b for b in pending}
        pending = []
        try:
            yield from _drain(futures, pending)
        finally:
            pool.shutdown(wait=not pending, cancel_futures=True)


def _drain(futures: dict[Future, list[Task]], lost: list) -> Iterable[dict]:
    while futures:
        finished, _ = wait(futures, return_when=FIRST_COMPLETED)
        for fut in finished:
            batch = futures.pop(fut)
            try:
                rows = fut.result()
            except BrokenProcessPool:
                lost.append(batch)
                continue
            yield from rows
        if lost:
            lost.extend(futures.values())
            return
