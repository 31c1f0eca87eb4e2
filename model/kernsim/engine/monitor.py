"""Cheap statistics collectors for simulation output."""

from __future__ import annotations

import math
from array import array

import numpy as np

__all__ = ["Quantiles", "Tally", "TimeWeighted"]


class TimeWeighted:
    """Time average of a piecewise-constant ``level`` (e.g. a queue length)."""

    __slots__ = ("area", "last", "level", "start")

    def __init__(self, t0: float = 0.0, level: float = 0.0) -> None:
        self.level = level
        self.start = self.last = t0
        self.area = 0.0

    def update(self, t: float, level: float) -> None:
        """Set the level to ``level`` from time ``t`` on."""
        self.area += self.level * (t - self.last)
        self.last, self.level = t, level

    def add(self, t: float, delta: float) -> None:
        """Change the level by ``delta`` at time ``t``."""
        self.update(t, self.level + delta)

    def reset(self, t: float) -> None:
        """Start a fresh window at ``t``, keeping the current level."""
        self.start = self.last = t
        self.area = 0.0

    def mean(self, t: float) -> float:
        """Time average over [window start, ``t``]; the level if the window is empty."""
        span = t - self.start
        if span <= 0:
            return self.level
        return (self.area + self.level * (t - self.last)) / span

    def __repr__(self) -> str:
        return f"TimeWeighted(level={self.level!r}, start={self.start!r}, last={self.last!r})"


class Tally:
    """Collects observations (e.g. response times) in a compact array."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data = array("d")

    def add(self, x: float) -> None:
        """Record one observation."""
        self._data.append(x)

    def reset(self) -> None:
        """Forget all observations."""
        self._data = array("d")

    @property
    def count(self) -> int:
        """Number of observations."""
        return len(self._data)

    @property
    def mean(self) -> float:
        """Sample mean; nan if empty."""
        return float(self.values().mean()) if self._data else math.nan

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1); nan with fewer than two observations."""
        return float(self.values().var(ddof=1)) if len(self._data) > 1 else math.nan

    def percentile(self, q: float) -> float:
        """Exact ``q``-th percentile (0..100, linear interpolation); nan if empty."""
        if not 0 <= q <= 100:
            raise ValueError(f"q: got {q!r}; must be in [0, 100]")
        return float(np.percentile(self.values(), q)) if self._data else math.nan

    def values(self) -> np.ndarray:
        """A copy of the observations as a float array."""
        return np.array(self._data, dtype=float)

    def __repr__(self) -> str:
        return f"Tally(count={self.count}, mean={self.mean:.6g})"


class Quantiles:
    """Count, mean, variance and percentiles of observations in bounded memory.

    The first ``exact`` observations are kept as they are: up to that count,
    every statistic is what :class:`Tally` gives (numpy's mean, variance and
    linearly interpolated percentile, bit for bit). From then on they go, a
    block of ``exact`` at a time, into a log-linear histogram: bucket ``i``
    holds the magnitudes in (γ^(i-1), γ^i] with γ = (1 + α)/(1 − α), i.e. a
    relative width of ≈ 2α, and stands for 2γ^i/(γ + 1), within α of each;
    zeros are counted apart and negative values mirrored. Memory is the block
    plus one counter per bucket in use (log(max/min)/2α of them, whatever the
    count), and :meth:`add` is an append (a numpy pass per block).

    Error bound, past ``exact`` observations: the order statistics are found
    exactly by rank, so each is estimated within a relative error ``alpha``
    (zeros, the minimum and the maximum exactly: estimates are clipped to
    [min, max]); a percentile between order statistics ``a`` and ``b`` with
    weight ``t`` is within ``alpha·((1−t)|a| + t|b|)`` of numpy's, i.e. within
    ``alpha`` relative when the data have one sign. The mean and variance are
    summed per block (numpy) and across blocks (compensated, Chan's update).
    """

    __slots__ = ("_block", "_hist", "_lg", "_m2", "_max", "_min", "_n", "_sum", "alpha", "exact")

    def __init__(self, alpha: float = 5e-4, exact: int = 16384) -> None:
        if not 0 < alpha < 0.5:
            raise ValueError(f"alpha: got {alpha!r}; must be in (0, 0.5)")
        if exact < 1:
            raise ValueError(f"exact: got {exact!r}; must be >= 1")
        self.alpha = alpha
        self.exact = exact
        self._lg = math.log((1 + alpha) / (1 - alpha))
        self.reset()

    def add(self, x: float) -> None:
        """Record one observation."""
        if len(self._block) >= self.exact:
            self._flush()
        self._block.append(x)

    def reset(self) -> None:
        """Forget all observations."""
        self._block = array("d")
        self._hist = _Buckets(), _Buckets()  # positive, negative (mirrored)
        self._n = 0                 # observations already in the histogram
        self._sum = (0.0, 0.0)      # their sum (compensated: high, low)
        self._m2 = 0.0              # their sum of squared deviations from the mean
        self._min, self._max = math.inf, -math.inf

    def merge(self, other: Quantiles) -> None:
        """Add ``other``'s observations (same ``alpha``) to these."""
        if other.alpha != self.alpha:
            raise ValueError(f"merge: alpha {other.alpha!r} differs from {self.alpha!r}")
        if not self._n and not other._n and len(self._block) + len(other._block) <= self.exact:
            self._block.extend(other._block)
            return
        self._flush()
        for mine, theirs in zip(self._hist, other._hist):
            mine.merge(theirs)
        self._combine(other._n, other._sum, other._m2, other._min, other._max)
        for x in other._block:
            self.add(x)

    @property
    def count(self) -> int:
        """Number of observations."""
        return self._n + len(self._block)

    @property
    def mean(self) -> float:
        """Sample mean; nan if empty."""
        if not self._n:
            return float(np.mean(self._block)) if self._block else math.nan
        n, total, _ = self._moments()
        return total / n

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1); nan with fewer than two observations."""
        if self.count < 2:
            return math.nan
        if not self._n:
            return float(np.var(self._block, ddof=1))
        n, _, m2 = self._moments()
        return m2 / (n - 1)

    def percentile(self, q: float) -> float:
        """``q``-th percentile (0..100, linear interpolation; see the class for the error)."""
        if not 0 <= q <= 100:
            raise ValueError(f"q: got {q!r}; must be in [0, 100]")
        if not self._n:
            return float(np.percentile(self._block, q)) if self._block else math.nan
        ladder = self._ladder()
        n = int(ladder[1][-1])
        h = (n - 1) * q / 100
        k = math.floor(h)
        a, b = _order(ladder, k), _order(ladder, min(k + 1, n - 1))
        return a + (h - k) * (b - a)

    def histogram(self, merge: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lower edges, upper edges and counts of the non-empty buckets, increasing, over
        every observation (the block included). Bucket ``j`` holds the magnitudes in
        (γ^((j−1)·merge), γ^(j·merge)]: ``merge`` consecutive buckets of the class
        docstring as one, a relative width of ≈ 2α·merge. Zeros are one bucket [0, 0];
        negative values are mirrored ([−upper, −lower))."""
        if merge < 1:
            raise ValueError(f"merge: got {merge!r}; must be >= 1")
        pos, neg = self._buckets()
        lower, upper, counts = pos.edges(self._lg, merge)
        nl, nu, nc = neg.edges(self._lg, merge)
        zero = np.zeros(1 if pos.zeros else 0)
        return (np.concatenate([-nu[::-1], zero, lower]),
                np.concatenate([-nl[::-1], zero, upper]),
                np.concatenate([nc[::-1], np.full(len(zero), pos.zeros, dtype=np.int64), counts]))

    def _buckets(self) -> tuple[_Buckets, _Buckets]:
        """Copies of the positive and negative buckets with the block added."""
        pos, neg = (h.copy() for h in self._hist)
        x = np.frombuffer(self._block, dtype=float) if self._block else np.empty(0)
        pos.add(self._index(x[x > 0]), zeros=int(np.count_nonzero(x == 0)))
        neg.add(self._index(-x[x < 0]))
        return pos, neg

    def _ladder(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """Bucket values in increasing order, cumulative counts, minimum and maximum,
        the block included."""
        pos, neg = self._buckets()
        x = np.frombuffer(self._block, dtype=float) if self._block else np.empty(0)
        lo = min(self._min, float(x.min())) if len(x) else self._min
        hi = max(self._max, float(x.max())) if len(x) else self._max
        gamma = math.exp(self._lg)
        pv, pc = pos.items(gamma)
        nv, nc = neg.items(gamma)
        values = np.concatenate([-nv[::-1], [0.0], pv])
        counts = np.concatenate([nc[::-1], [pos.zeros], pc])
        return values, np.cumsum(counts), lo, hi
    def _index(self, x: np.ndarray) -> np.ndarray:
        """Bucket indices ceil(log_γ x) of positive values (in place: one temporary)."""
        y = np.log(x)
        y /= self._lg
        return np.ceil(y, out=y).astype(np.int64)

    def _flush(self) -> None:
        """Move the block into the histogram and the running moments."""
        if not self._block:
            return
        x = np.frombuffer(self._block, dtype=float)
        if not np.isfinite(x).all():
            raise ValueError("Quantiles: observations must be finite")
        self._hist[0].add(self._index(x[x > 0]), zeros=int(np.count_nonzero(x == 0)))
        self._hist[1].add(self._index(-x[x < 0]))
        dev = x - float(x.mean())
        dev *= dev
        self._combine(len(x), (float(x.sum()), 0.0), float(dev.sum()), float(x.min()),
                      float(x.max()))
        self._block = array("d")

    def _combine(self, n: int, total: tuple[float, float], m2: float, lo: float,
                 hi: float) -> None:
        """Chan et al.'s update of (count, sum, M2) with another part's."""
        if not n:
            return
        mine, self._n = self._n, self._n + n
        if mine:
            delta = (total[0] + total[1]) / n - (self._sum[0] + self._sum[1]) / mine
            self._m2 += m2 + delta * delta * mine * n / self._n
        else:
            self._m2 = m2
        self._sum = _two_sum(self._sum, total)
        self._min, self._max = min(self._min, lo), max(self._max, hi)

    def _moments(self) -> tuple[int, float, float]:
        """(count, sum, M2) of everything, the block included (not flushed)."""
        n, total, m2 = self._n, self._sum[0] + self._sum[1], self._m2
        if not self._block:
            return n, total, m2
        x = np.frombuffer(self._block, dtype=float)
        k, s = len(x), float(x.sum())
        delta = s / k - total / n
        m2 += float(((x - s / k) ** 2).sum()) + delta * delta * n * k / (n + k)
        hi, lo = _two_sum(self._sum, (s, 0.0))
        return n + k, hi + lo, m2

    def __repr__(self) -> str:
        return f"Quantiles(count={self.count}, mean={self.mean:.6g}, alpha={self.alpha!r})"


def _order(ladder: tuple[np.ndarray, np.ndarray, float, float], k: int) -> float:
    """Estimate of the ``k``-th smallest observation (0-based): the minimum and the
    maximum exactly, any other its bucket's value clipped to [minimum, maximum]."""
    values, cum, lo, hi = ladder
    if k == 0:
        return lo
    if k == int(cum[-1]) - 1:
        return hi
    return min(max(float(values[np.searchsorted(cum, k, side="right")]), lo), hi)


def _two_sum(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Compensated sum of two (high, low) pairs (Knuth's TwoSum on the highs)."""
    s = a[0] + b[0]
    bb = s - a[0]
    err = (a[0] - (s - bb)) + (b[0] - bb)
    return s, a[1] + b[1] + err


class _Buckets:
    """Counts per bucket index, in a numpy array grown to the indices seen."""

    __slots__ = ("counts", "offset", "zeros")

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.int64)
        self.offset = 0
        self.zeros = 0

    def copy(self) -> _Buckets:
        out = _Buckets()
        out.counts, out.offset, out.zeros = self.counts.copy(), self.offset, self.zeros
        return out

    def add(self, idx: np.ndarray, zeros: int = 0) -> None:
        self.zeros += zeros
        if not len(idx):
            return
        lo, hi = int(idx.min()), int(idx.max())
        self._cover(lo, hi)
        self.counts[lo - self.offset:hi - self.offset + 1] += np.bincount(idx - lo)

    def merge(self, other: _Buckets) -> None:
        self.zeros += other.zeros
        if len(other.counts):
            lo = other.offset
            self._cover(lo, lo + len(other.counts) - 1)
            self.counts[lo - self.offset:lo - self.offset + len(other.counts)] += other.counts

    def _cover(self, lo: int, hi: int) -> None:
        """Grow the array so that it spans indices lo..hi."""
        if not len(self.counts):
            self.counts, self.offset = np.zeros(hi - lo + 1, dtype=np.int64), lo
            return
        start, end = min(lo, self.offset), max(hi, self.offset + len(self.counts) - 1)
        if start < self.offset or end >= self.offset + len(self.counts):
            grown = np.zeros(end - start + 1, dtype=np.int64)
            grown[self.offset - start:self.offset - start + len(self.counts)] = self.counts
            self.counts, self.offset = grown, start

    def edges(self, lg: float, merge: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lower and upper edges exp(lg·(j−1)·merge), exp(lg·j·merge) and counts of the
        non-empty merged buckets ``j`` = ceil(index / merge), increasing."""
        used = np.flatnonzero(self.counts)
        merged = -(-(used + self.offset) // merge)  # ceil division, any sign
        j, first = np.unique(merged, return_index=True)
        counts = np.add.reduceat(self.counts[used], first) if len(used) else np.zeros(0, np.int64)
        return np.exp(lg * ((j - 1) * merge)), np.exp(lg * (j * merge)), counts

    def items(self, gamma: float) -> tuple[np.ndarray, np.ndarray]:
        """Representative values and counts of the non-empty buckets, increasing."""
        used = np.flatnonzero(self.counts)
        values = 2 * gamma ** (used + self.offset).astype(float) / (gamma + 1)
        return values, self.counts[used]
