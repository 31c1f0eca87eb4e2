"""Run an experiment: every unfinished task into its results folder.

Tasks (:mod:`kernsim.experiment.tasks`) run on an executor
(:mod:`kernsim.experiment.dispatch`): ``serial`` (in this process),
``processes`` (a local process pool), ``dask`` (a new LocalCluster, or the
cluster at ``scheduler``). Each finished row is written to the results folder
at once (an atomic part file and its sha256 in the manifest); a rerun skips
what is there. With ``experiment.precision``, the run goes in rounds
(:mod:`kernsim.experiment.sequential`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kernsim.errors import KernsimError
from kernsim.experiment import arguments
from kernsim.experiment.dispatch import Stop, Workers
from kernsim.experiment.load import Experiment
from kernsim.experiment.manifest import Manifest, now
from kernsim.experiment.preflight import preflight
from kernsim.experiment.sequential import FinishedRows, Plan, spans_hold
from kernsim.experiment.tasks import iter_tasks
from kernsim.experiment.writerlock import sole_writer

if TYPE_CHECKING:
    from kernsim.experiment.store import Store


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
    #: part files moved to quarantine/ before the run (damaged, or another config's):
    #: (file, why); their tasks ran again
    quarantined: list[tuple[str, str]] = field(default_factory=list)


def run(exp: Experiment, out: str | Path | None = None, executor: str = "serial",
        workers: int | None = None, allow_unstable: bool = False, overwrite: bool = False,
        progress: Callable[[int, int], None] | None = None,
        scheduler: str | None = None, allow_long: bool = False) -> RunResult:
    """Run every unfinished task of ``exp`` into its results folder.

    With ``experiment.precision``, in rounds: the pilot replications, then more at
    the design points that miss the target (:mod:`kernsim.experiment.sequential`);
    a rerun replays the rounds from the rows on disk. ``scheduler``
    (``tcp://host:port``) runs on that Dask cluster (implies ``executor="dask"``).
    Ctrl-C returns a result with ``interrupted`` set.
    """
    from kernsim.experiment.store import Store  # pandas and pyarrow: only when running

    if not isinstance(exp, Experiment):
        raise KernsimError(f"exp = {exp!r}: must be an Experiment (kernsim.experiment.load.load"
                           "(path)); run_experiment(path) takes a file")
    out = arguments.optional_path("out", out, "a results folder's path")
    for name, value in (("allow_unstable", allow_unstable), ("overwrite", overwrite),
                        ("allow_long", allow_long)):
        arguments.flag(name, value)
    arguments.callback("progress", progress)
    arguments.text("scheduler", scheduler)
    executor = "dask" if scheduler else executor
    preflight(exp, executor, workers, allow_unstable, allow_long, scheduler)
    store = Store(out or Path("results") / exp.name)
    store.check(exp, overwrite)  # refuse before the lock file is written
    with sole_writer(store.out):
        return _run(exp, store, executor, workers, overwrite, progress, scheduler)


def _run(exp: Experiment, store: Store, executor: str, workers: int | None, overwrite: bool,
         progress: Callable[[int, int], None] | None, scheduler: str | None) -> RunResult:
    """:func:`run`, holding the folder's writer lock."""
    manifest = store.open(exp, overwrite=overwrite)
    if exp.pilots:  # warmup = "auto": the pilots' series (deterministic: rewritten alike)
        from kernsim.experiment.warmup import save_pilots  # pandas: as for Store, when needed

        manifest["hashes"]["warmup.parquet"] = save_pilots(exp.pilots, store.out)
    rounds = Rounds(exp, store, manifest, progress)
    rounds.result.quarantined = list(store.quarantined)
    log = {"started": now(), "executor": executor, "workers": workers, "scheduler": scheduler}
    stop = Stop()
    with stop.installed():  # also while compacting: a Ctrl-C then waits for the end
        try:
            with Workers(exp, executor, workers, scheduler, stop, manifest) as pool:
                rounds.run(pool, stop)
        except KeyboardInterrupt:
            stop.requested = True
        except KernsimError:  # e.g. an unknown precision metric: the pilot is kept
            manifest.log_run(tasks_run=rounds.result.ran, **log)
            manifest.interrupted([])
            store.write_manifest(manifest)
            raise
        result = rounds.result
        result.interrupted = stop.requested and (
            _accounted(result) < result.total or not rounds.plan.settled)
        manifest.log_run(tasks_run=result.ran, **log)
        _finish(store, manifest, exp, rounds)
    return result


def _accounted(result: RunResult) -> int:
    return result.ran + result.skipped + len(result.failures)


class Rounds:
    """The rounds of one run: the planned tasks that are not on disk; with a
    precision target, then a check of every unsettled point and the tasks it adds."""

    def __init__(self, exp: Experiment, store: Store, manifest: Manifest,
                 progress: Callable[[int, int], None] | None) -> None:
        self.exp, self.store, self.manifest, self.progress = exp, store, manifest, progress
        self.plan, self.done = Plan(exp), store.done()
        self.tally = FinishedRows(exp, store, self.done) if self.plan.sequential else None
        self.result = RunResult(store.out, 0, 0, 0)
        self.flush = Flusher(store, manifest)

    def run(self, pool: Workers, stop: Stop) -> None:
        self.note()
        self.round(pool)
        while not (stop.requested or self.plan.settled):
            self.plan.check(self.tally)
            self.note()
            self.round(pool)

    def round(self, pool: Workers) -> None:
        spans = self.plan.advance()
        skipped = sum(1 for _ in spans_hold(spans, self.done))
        left = sum(hi - lo for lo, hi in spans.values()) - skipped
        self.result.total += left + skipped
        self.result.skipped += skipped
        for row in pool.rows(iter_tasks(self.exp, self.done, spans), left):
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
        self.manifest.precision(self.result.replications, self.result.unmet)


def _finite(entry: dict) -> dict:
    """NaN and infinities as None (valid JSON)."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in entry.items()}


def _finish(store: Store, manifest: Manifest, exp: Experiment, rounds: Rounds) -> None:
    result = rounds.result
    rounds.note()
    if result.interrupted:
        manifest.interrupted(result.failures)
        store.write_manifest(manifest)
        return
    table = store.compact(result.replications or exp.replications)
    if "_wall_s" in table:  # tasks of a run killed before its manifest was written
        for dp, rep, wall in zip(table["design_point"], table["replication"], table["_wall_s"]):
            manifest.backfill(dp, rep, wall)
    store.hash_outputs(manifest)
    manifest.finished(result.failures)
    store.write_manifest(manifest)


class Flusher:
    """Rewrite the manifest now and then during a run (every 2 s, or less often when
    writing it gets slow), so a killed driver leaves recent hashes and times."""

    def __init__(self, store: Store, manifest: Manifest) -> None:
        self.store, self.manifest = store, manifest
        self.last, self.interval = time.monotonic(), 2.0

    def maybe(self) -> None:
        if time.monotonic() - self.last < self.interval:
            return
        start = time.monotonic()
        self.store.write_manifest(self.manifest)
        self.last = time.monotonic()
        self.interval = max(2.0, 20 * (self.last - start))


def _record(store: Store, manifest: Manifest, row: dict, result: RunResult) -> None:
    if "_error" in row:
        result.failures.append({"design_point": row["design_point"],
                                "replication": row["replication"], "seed": row["seed"],
                                "error": row["_error"]})
        return
    hashes = store.write(row)
    manifest.record_task(row["design_point"], row["replication"], row["_wall_s"], hashes)
    result.ran += 1
