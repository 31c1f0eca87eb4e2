"""Bimodal replications: a point whose replications split into two modes, each with its share.

Near a ticket lock's collapse a replication settles in a fast or a collapsed
mode and stays there; the mean over replications then lies between two modes
that no run shows, and its t-interval can leave the possible range. The rule
(:func:`split`), on the replication values of one point:

1. sort them and cut at the largest gap between neighbours: a lower and an
   upper cluster, each of at least one replication;
2. the point is **bimodal** when that gap is both
   (a) at least ``SEPARATION`` (4) times the pooled within-cluster standard
   deviation, when a cluster has two replications or more to estimate it
   (two singletons skip (a)): separated far beyond replication noise; and
   (b) at least ``RELATIVE`` (25%) of the larger cluster mean in absolute
   value: a difference of kind (fast against collapsed), not of a few
   percent, however small the within-cluster spread happens to be;
3. otherwise it is one mode of all replications.

Each mode reports its mean, 95% t-interval and share of the replications. The
*main* mode (the one a single value stands for) holds the most replications;
on a tie, the lower one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernsim.stats.intervals import t_interval

SEPARATION = 4.0
RELATIVE = 0.25


@dataclass(frozen=True)
class Mode:
    """One cluster of replications: their mean, 95% t-interval, and share of all."""

    mean: float
    lo: float
    hi: float
    count: int
    share: float

    @classmethod
    def of(cls, values: np.ndarray, total: int) -> Mode:
        mean, lo, hi = t_interval(values)
        return cls(mean, lo, hi, len(values), len(values) / total)


@dataclass(frozen=True)
class Split:
    """One mode (all replications) or two (lower first)."""

    modes: tuple[Mode, ...]

    @property
    def bimodal(self) -> bool:
        return len(self.modes) == 2

    @property
    def main(self) -> Mode:
        """The mode with the most replications; on a tie, the lower."""
        return max(self.modes, key=lambda m: m.count)   # max keeps the first (lower) on a tie

    def describe(self, digits: int = 3) -> str:
        """"12.3 (3/5) | 41.2 (2/5)" for two modes, "" for one."""
        if not self.bimodal:
            return ""
        total = sum(m.count for m in self.modes)
        return " | ".join(f"{m.mean:.{digits}g} ({m.count}/{total})" for m in self.modes)


def pooled_sd(lower: np.ndarray, upper: np.ndarray) -> float:
    """Pooled within-cluster standard deviation; NaN when neither cluster has two values."""
    dof = len(lower) + len(upper) - 2
    if len(lower) < 2 and len(upper) < 2:
        return np.nan
    ss = sum(float(((x - x.mean()) ** 2).sum()) for x in (lower, upper))
    return float(np.sqrt(ss / dof))


def split(values) -> Split:
    """The modes of one point's replication values (NaNs dropped), by the rule above."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return Split((Mode.of(x, max(len(x), 1)),))
    gaps = np.diff(x)
    i = int(np.argmax(gaps)) + 1
    lower, upper = x[:i], x[i:]
    gap = float(gaps[i - 1])
    sd = pooled_sd(lower, upper)
    separated = np.isnan(sd) or gap >= SEPARATION * sd
    large = gap >= RELATIVE * max(abs(float(lower.mean())), abs(float(upper.mean())))
    if gap > 0 and separated and large:
        return Split((Mode.of(lower, len(x)), Mode.of(upper, len(x))))
    return Split((Mode.of(x, len(x)),))
