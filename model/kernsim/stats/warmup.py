"""Warm-up (initial transient) detection by MSER-5.

MSER-5 (White 1997; Franklin & White 2008) averages the series in batches of 5
and, for every candidate truncation point ``d`` (in batches), computes

    MSER(d) = sum_{j > d} (Z_j - mean(Z_{d+1..m}))^2 / (m - d)^2

the squared standard error of the mean of what is kept. The truncation point
is the ``d`` that minimises it, searched over the first half of the batches
only (near the end the statistic rests on a handful of batches and is noise).
A minimum at the edge of that half means the run is too short to tell where
the transient ends: the result is flagged ``reliable = False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class WarmupCut:
    """Where to truncate a series: drop ``index`` observations (``batches`` × batch size).

    ``time`` is the index label of the first kept observation when the series is
    a pandas Series (for example simulated time), else the same as ``index``.
    ``statistic[d]`` is MSER(d) for every candidate ``d`` (in batches).
    """

    index: int
    time: Any
    batches: int
    batch_size: int
    reliable: bool
    statistic: np.ndarray = field(repr=False)

    def __int__(self) -> int:
        return self.index


def batch_series(values, batch_size: int = 5) -> np.ndarray:
    """Means of consecutive non-overlapping batches; a short last batch is dropped."""
    x = np.asarray(values, dtype=float)
    m = len(x) // batch_size
    return x[: m * batch_size].reshape(m, batch_size).mean(axis=1)


def mser_statistic(batch_means: np.ndarray) -> np.ndarray:
    """MSER(d) for d = 0 .. m-2: squared standard error of the mean after dropping d batches."""
    z = np.asarray(batch_means, dtype=float)
    m = len(z)
    kept = m - np.arange(m)                     # batches kept after dropping d
    tail_sum = np.cumsum(z[::-1])[::-1]         # sum of z[d:]
    tail_sq = np.cumsum((z * z)[::-1])[::-1]    # sum of z[d:]^2
    sse = tail_sq - tail_sum**2 / kept          # sum of squared deviations of z[d:]
    return (np.maximum(sse, 0.0) / kept**2)[: max(m - 1, 0)]


def mser5(series, batch_size: int = 5) -> WarmupCut:
    """MSER-5 truncation point of ``series`` (array or pandas Series, in time order)."""
    values = np.asarray(series, dtype=float)
    if np.isnan(values).any():
        raise ValueError("mser5: the series holds NaN values")
    z = batch_series(values, batch_size)
    if len(z) < 4:
        raise ValueError(f"mser5: need at least {4 * batch_size} observations; got {len(values)}")
    stat = mser_statistic(z)
    half = len(z) // 2
    d = int(np.argmin(stat[: half + 1]))
    index = d * batch_size
    time = series.index[index] if _is_series(series) else index
    return WarmupCut(index=index, time=time, batches=d, batch_size=batch_size,
                     reliable=d < half, statistic=stat)


def truncate(series, cut: WarmupCut | int):
    """The series without its first ``cut`` observations (keeps a pandas index)."""
    n = int(cut)
    return series.iloc[n:] if _is_series(series) else np.asarray(series)[n:]


def _is_series(values: Any) -> bool:
    """A pandas Series (told by its interface: this module does not import pandas)."""
    return hasattr(values, "iloc") and hasattr(values, "index")
