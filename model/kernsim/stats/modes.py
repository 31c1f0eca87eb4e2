"""Bimodal replications: a point whose replications split into two modes, each with its share.

Near a ticket lock's collapse a run stays fast or collapses, for the whole
run or from some moment on; the mean over replications then lies between a
tight fast mode and the collapsed runs, and its t-interval can leave the
possible range. The rule (:func:`split`), on the replication values of one
point:

1. sort them; every cut between neighbours gives a lower and an upper
   cluster, each of at least one replication; take the cut whose gap is
   largest against the standard deviation of the tighter cluster (of those
   with two replications or more);
2. the point is **bimodal** when that cut's gap is both
   (a) *separated*: that ratio exceeds what one normal mode gives in 95% of
   cases for the same number of replications, the cut chosen the same way
   (:func:`null_quantile`: Monte Carlo, ``DRAWS`` draws from the named
   stream ``"modes.null"`` under ``SEED``): a cluster so tight that the
   others cannot be its noise (two replications, two singletons: (a) is
   skipped); and
   (b) *large*: at least ``RELATIVE`` (10%) of the larger cluster mean in
   absolute value, twice the 5%-of-full-scale resolution a plot is read to:
   a difference of kind (fast against collapsed), not of a few percent;
3. otherwise it is one mode of all replications.

Each mode reports its mean, 95% t-interval and share of the replications; a
mode of runs that collapsed part-way is a mixture in time, not a state. The
*main* mode (the one a single value stands for) holds the most replications;
on a tie, the lower one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from kernsim.engine.streams import Streams
from kernsim.stats.intervals import t_interval

LEVEL = 0.95          # (a): one normal mode is split in 1 - LEVEL of cases (the level of every CI)
RELATIVE = 0.10       # (b): the gap is at least this share of the larger cluster mean
DRAWS = 20_000        # Monte Carlo draws of the null statistic per replication count
SEED = 20121          # root of the "modes.null" stream (fixed: the thresholds never move)


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


def statistic(x: np.ndarray) -> tuple[int, float]:
    """On sorted ``x`` (n ≥ 3): the cut (the upper cluster's first index) whose gap over
    the tighter cluster's standard deviation is largest, and that ratio. Every cut into two
    non-empty clusters is tried; :func:`null_quantile` tries them all the same way."""
    cut, ratios = cut_ratios(x[np.newaxis, :])
    return int(cut[0]), float(ratios[0])


def cut_ratios(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise on sorted ``x`` (m × n, n ≥ 3): the best cut and its ratio (see
    :func:`statistic`); a cluster of one value has no spread (it never is the tighter)."""
    m, n = x.shape
    s1 = np.concatenate([np.zeros((m, 1)), np.cumsum(x, axis=1)], axis=1)
    s2 = np.concatenate([np.zeros((m, 1)), np.cumsum(x * x, axis=1)], axis=1)
    cuts = np.arange(1, n)                                  # upper cluster starts at x[:, i]

    def sd(count, total, squares):
        with np.errstate(invalid="ignore", divide="ignore"):
            var = (squares - total * total / count) / (count - 1)
        return np.where(count >= 2, np.sqrt(np.maximum(var, 0.0)), np.inf)

    low = sd(cuts, s1[:, cuts], s2[:, cuts])
    high = sd(n - cuts, s1[:, [n]] - s1[:, cuts], s2[:, [n]] - s2[:, cuts])
    gap = x[:, cuts] - x[:, cuts - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(gap > 0, gap / np.minimum(low, high), 0.0)
    best = np.argmax(ratio, axis=1)
    return cuts[best], ratio[np.arange(m), best]


@cache
def null_quantile(n: int) -> float:
    """The ``LEVEL`` quantile of :func:`statistic`'s ratio for ``n`` draws of one normal
    mode (NaN for n < 3, where no cluster has two values): ``DRAWS`` samples of the stream
    ``"modes.null"``, the same on every call."""
    if n < 3:
        return np.nan
    rng = Streams(np.random.SeedSequence(SEED)).child("modes.null").get(str(n))
    x = np.sort(rng.standard_normal((DRAWS, n)), axis=1)
    return float(np.quantile(cut_ratios(x)[1], LEVEL))


def split(values) -> Split:
    """The modes of one point's replication values (NaNs dropped), by the rule above."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return Split((Mode.of(x, max(len(x), 1)),))
    if len(x) == 2:                       # two singletons: (b) alone decides
        i, separated = 1, True
    else:
        i, ratio = statistic(x)
        separated = ratio > null_quantile(len(x))
    lower, upper = x[:i], x[i:]
    gap = float(upper[0] - lower[-1])
    large = gap >= RELATIVE * max(abs(float(lower.mean())), abs(float(upper.mean())))
    if gap > 0 and separated and large:
        return Split((Mode.of(lower, len(x)), Mode.of(upper, len(x))))
    return Split((Mode.of(x, len(x)),))
