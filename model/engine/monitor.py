"""Cheap statistics collectors for simulation output."""

from __future__ import annotations

import math
from array import array

import numpy as np

__all__ = ["Tally", "TimeWeighted"]


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
