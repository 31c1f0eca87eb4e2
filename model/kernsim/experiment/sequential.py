"""Sequential replications: per design point, more replications until a precision target is met.

A design point whose config has ``experiment.precision`` first gets the pilot
(``experiment.replications``). At a checkpoint of ``n`` replications, each
named metric's Student-t interval (confidence ``level``) of the mean over
replications ``0 … n-1`` is compared with the target: it is met when
``half_width ≤ relative_half_width × |mean|`` (never with fewer than two
values). A point that meets every metric, or has reached
``max_replications``, is settled; the others move to their next checkpoint
(:func:`next_count`) and are checked again. Points without a target are
settled at the pilot count.

The checkpoints depend only on the rows (never on timing, executor or
workers) and replication ``r`` keeps its seed, so a point that settles at
``n`` holds exactly the rows of a fixed run with ``replications = n``, and a
rerun replays the same checkpoints from the part files on disk.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kernsim.errors import ConfigError
from kernsim.stats.intervals import t_interval

#: columns of a row that are not metrics (as kernsim.analysis.stats.KEYS)
KEYS = ("design_point", "replication", "seed", "replication_seed")
#: a round adds at least this fraction of the current count (and at least one
#: replication), and multiplies it by at most GROWTH: a noisy pilot's variance
#: estimate can be far off
MIN_STEP = 0.1
GROWTH = 4


def next_count(count: int, need: float, cap: int) -> int:
    """The next checkpoint after ``count``: the estimated ``need`` (n·(hw/target)²),
    within [count + max(1, 10% of count), 4 × count], and at most ``cap``."""
    low = count + max(1, math.ceil(MIN_STEP * count))
    high = GROWTH * count
    want = high if not math.isfinite(need) else math.ceil(need)
    return min(cap, max(low, min(want, high)))


def check(values: list[float], relative: float, level: float) -> dict:
    """Mean, CI half-width and target of ``values``; ``need``: the estimated count."""
    mean, low, high = t_interval(values, level)
    half = float((high - low) / 2)
    target = relative * abs(mean)
    met = bool(half <= target)  # NaN (fewer than 2 values) is never met
    n = len(values)
    need = n * (half / target) ** 2 if target > 0 and math.isfinite(half) else math.inf
    return {"mean": mean, "half_width": half, "target": target, "met": met,
            "need": n if met else need}


@dataclass
class Point:
    """One design point's count: its current checkpoint, and how it ended."""

    index: int
    params: dict
    precision: Any  # PrecisionSpec or None
    count: int
    issued: int = 0  # replications below this were handed to the runner (or found done)
    settled: bool = False
    failed: bool = False  # a replication below ``count`` has no row: not checked
    checks: dict[str, dict] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return all(c["met"] for c in self.checks.values())


class Plan:
    """Replications per design point: fixed, or grown round by round by a target."""

    def __init__(self, exp: Any) -> None:
        pilot = exp.replications
        self.points = [Point(p.index, p.params, p.config.experiment.precision, pilot,
                             settled=p.config.experiment.precision is None)
                       for p in exp.points]

    @property
    def sequential(self) -> bool:
        return any(p.precision is not None for p in self.points)

    @property
    def settled(self) -> bool:
        return all(p.settled for p in self.points)

    def counts(self) -> dict[int, int]:
        return {p.index: p.count for p in self.points}

    def advance(self) -> dict[int, tuple[int, int]]:
        """Replications ``[lo, hi)`` of each point not yet handed out; marks them handed."""
        spans = {p.index: (p.issued, p.count) for p in self.points if p.issued < p.count}
        for p in self.points:
            p.issued = max(p.issued, p.count)
        return spans

    def check(self, tally: FinishedRows) -> None:
        """Check every unsettled point at its count; settle it or move its count on."""
        todo = [p for p in self.points if not p.settled]
        tally.load((p.index, r) for p in todo for r in range(p.count))
        for point in todo:
            self._check(point, tally)

    def _check(self, point: Point, tally: FinishedRows) -> None:
        spec = point.precision
        rows = tally.rows_of(point.index, point.count)
        if rows is None:
            point.settled = point.failed = True
            return
        point.checks = {m: check(_column(rows, m, point, tally), spec.relative_half_width,
                                 spec.level) for m in spec.metric}
        if point.met or point.count >= spec.max_replications:
            point.settled = True
            return
        need = max(c["need"] for c in point.checks.values())
        point.count = next_count(point.count, need, spec.max_replications)

    def unmet(self) -> list[dict]:
        """Settled points that reached ``max_replications`` without meeting the target:
        one entry per point and missed metric."""
        return [{"design_point": p.index, "params": p.params, "replications": p.count,
                 "metric": m, "mean": c["mean"], "half_width": c["half_width"],
                 "relative_half_width": _relative(c), "target": p.precision.relative_half_width}
                for p in self.points if p.settled and not p.failed
                for m, c in p.checks.items() if not c["met"]]


def _relative(c: dict) -> float:
    return c["half_width"] / abs(c["mean"]) if c["mean"] else math.inf


def _column(rows: list[dict], metric: str, point: Point, tally: FinishedRows) -> list[float]:
    if not any(metric in row for row in rows):
        raise ConfigError(f"experiment.precision.metric = {metric!r}: not a metric of the "
                          f"results (design point {point.index}); available: "
                          f"{', '.join(tally.metrics(rows)) or '(none)'}")
    return [float(row.get(metric, math.nan)) for row in rows]


class FinishedRows:
    """The numeric metrics of finished replications, by (design point, replication):
    rows the runner hands over, and rows read from part files when a check needs them."""

    def __init__(self, exp: Any, store: Any, done: set) -> None:
        self.params = {p.index: set(p.params) for p in exp.points}
        self.store, self.done = store, done
        self.rows: dict[tuple[int, int], dict] = {}

    def add(self, row: dict) -> None:
        skip = self.params.get(row["design_point"], set())
        self.rows[(row["design_point"], row["replication"])] = {
            k: v for k, v in row.items()
            if k not in KEYS and k not in skip and not k.startswith("_") and _number(v)}

    def load(self, keys: Iterable[tuple[int, int]]) -> None:
        """Read the rows of finished replications not in memory yet."""
        wanted = [k for k in keys if k not in self.rows and k in self.done]
        for row in self.store.read_rows(wanted):
            self.add(row)

    def rows_of(self, index: int, count: int) -> list[dict] | None:
        """Rows of replications ``0 … count-1``; None if one is missing (it failed)."""
        rows = [self.rows.get((index, r)) for r in range(count)]
        return None if any(r is None for r in rows) else rows

    @staticmethod
    def metrics(rows: list[dict]) -> list[str]:
        return sorted({k for row in rows for k in row})


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def spans_hold(spans: dict[int, tuple[int, int]], keys: Iterable[tuple[int, int]]) -> Iterator:
    """The keys that fall in ``spans`` (replications [lo, hi) of their design point)."""
    for dp, rep in keys:
        lo, hi = spans.get(dp, (0, 0))
        if lo <= rep < hi:
            yield dp, rep
