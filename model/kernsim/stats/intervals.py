"""Confidence intervals on plain arrays (numpy/scipy only).

Replications: :func:`t_interval`. One long run: :func:`batch_means`.
Proportions: :func:`proportion_ci`, :func:`wilson`, :func:`clopper_pearson`.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import ndtri, stdtrit  # quantiles; scipy.stats costs ~1 s to import


def t_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval (low, high) of i.i.d. replication values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if n < 2:
        return mean, np.nan, np.nan
    half = stdtrit(n - 1, 0.5 + level / 2) * x.std(ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half



# --- a single long run: batch means --------------------------------------------------------


class BatchMeansCI(tuple):
    """``(mean, lo, hi)`` of :func:`batch_means`, with the diagnostics as attributes.

    Unpacks like :func:`t_interval` (``mean, lo, hi = batch_means(x)``); also
    carries ``lag1`` (lag-1 autocorrelation of the batch means), ``lag1_limit``
    (the two-sided ``level`` bound ``z / sqrt(k)`` for independent batches),
    ``independent`` (``|lag1| <= lag1_limit``), ``n_batches`` and ``batch_size``.
    """

    def __new__(cls, mean, lo, hi, **info):
        self = super().__new__(cls, (mean, lo, hi))
        self.__dict__.update(info)
        return self

    mean = property(lambda self: self[0])
    lo = property(lambda self: self[1])
    hi = property(lambda self: self[2])


def lag1_autocorrelation(values) -> float:
    """Sample lag-1 autocorrelation r1 = sum (x_i - m)(x_{i+1} - m) / sum (x_i - m)^2."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < 3:
        return np.nan
    d = x - x.mean()
    denom = float(d @ d)
    return float(d[:-1] @ d[1:]) / denom if denom > 0 else np.nan


def batch_means(values, n_batches: int = 20, level: float = 0.95,
                warn: bool = True) -> BatchMeansCI:
    """Mean and Student-t CI of one long (warm-up-free) run by non-overlapping batch means.

    The series is cut into ``n_batches`` equal batches (the first ``len % n_batches``
    observations are dropped, as the oldest); the batch means are treated as
    i.i.d. and :func:`t_interval` gives the CI. Checked: the lag-1 autocorrelation
    of the batch means must lie within ``±z/sqrt(k)``; if it does not, the batches
    are too short for the correlation of the run, and (with ``warn``) a
    ``RuntimeWarning`` says so: use fewer, longer batches or a longer run.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if n_batches < 2:
        raise ValueError(f"n_batches: got {n_batches!r}; must be >= 2")
    size = len(x) // n_batches
    if size < 1:
        raise ValueError(f"batch_means: {len(x)} observations for {n_batches} batches")
    means = x[len(x) - size * n_batches:].reshape(n_batches, size).mean(axis=1)
    mean, lo, hi = t_interval(means, level)
    r1 = lag1_autocorrelation(means)
    limit = float(ndtri(0.5 + level / 2) / np.sqrt(n_batches))
    independent = bool(abs(r1) <= limit) if not np.isnan(r1) else False
    if warn and not independent:
        warnings.warn(f"batch_means: lag-1 autocorrelation of the {n_batches} batch means is "
                      f"{r1:.3f} (|r1| > {limit:.3f}); batches of {size} are too short, "
                      "use fewer batches or a longer run", RuntimeWarning, stacklevel=2)
    return BatchMeansCI(float(mean), float(lo), float(hi), lag1=r1, lag1_limit=limit, independent=independent,
                        n_batches=n_batches, batch_size=size, batch_values=means)


# --- proportions ---------------------------------------------------------------------------


def proportion_ci(successes: int, trials: int, level: float = 0.95,
                  method: str = "wilson") -> tuple[float, float, float]:
    """Estimate k/n and its CI: ``method`` "wilson" (score interval, no continuity
    correction) or "clopper-pearson" (exact, conservative); scipy's ``binomtest``."""
    from scipy.stats import binomtest

    methods = {"wilson": "wilson", "clopper-pearson": "exact", "exact": "exact"}
    if method not in methods:
        raise ValueError(f"method: got {method!r}; allowed: wilson, clopper-pearson")
    k, n = int(successes), int(trials)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"proportion_ci: need 0 <= successes <= trials, trials >= 1; "
                         f"got {k}/{n}")
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method=methods[method])
    return k / n, float(ci.low), float(ci.high)


def wilson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float, float]:
    """Wilson score interval of a proportion: ``(k/n, low, high)``."""
    return proportion_ci(successes, trials, level, "wilson")


def clopper_pearson(successes: int, trials: int,
                    level: float = 0.95) -> tuple[float, float, float]:
    """Clopper–Pearson (exact binomial) interval of a proportion: ``(k/n, low, high)``."""
    return proportion_ci(successes, trials, level, "clopper-pearson")
