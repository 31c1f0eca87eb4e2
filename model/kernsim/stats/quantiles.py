"""Quantiles (latency percentiles) with confidence intervals.

Two methods for i.i.d. samples (for example per-request latencies of
independent runs, or per-replication p99 values):

- :func:`quantile_ci` — distribution-free: the CI is a pair of order statistics
  ``x_(l) <= x_(u)`` chosen so that ``P(x_(l) <= xi_q <= x_(u)) >= level``, where
  the count of samples below the true quantile is Binomial(n, q). Its exact
  coverage (for a continuous distribution) is returned; it needs no shape
  assumption, only enough samples (a 95% CI of the p99 needs n >= 299 to have
  both ends finite).
- :func:`quantile_ci_bootstrap` — ``scipy.stats.bootstrap`` of the sample
  quantile (percentile method by default: BCa's jackknife is unreliable for
  quantiles of small samples).

Per-request latencies of one simulation run are autocorrelated: use these on
independent values, not on a single run's stream.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class QuantileCI(NamedTuple):
    """Point estimate (``numpy.quantile``), CI ends, and the CI's coverage (nan if unknown)."""

    estimate: float
    lo: float
    hi: float
    coverage: float


def order_statistic_ranks(n: int, q: float, level: float = 0.95) -> tuple[int, int, float]:
    """1-based ranks ``(l, u)`` of the distribution-free CI and its exact coverage.

    With ``B ~ Binomial(n, q)``: ``P(x_(l) <= xi_q <= x_(u)) = F_B(u-1) - F_B(l-1)``.
    ``l`` is the largest rank with ``F_B(l-1) <= (1-level)/2`` and ``u`` the smallest
    with ``F_B(u-1) >= 1-(1-level)/2``; ``l = 0`` or ``u = n+1`` mean that end is
    unbounded (too few samples).
    """
    from scipy.stats import binom

    if not 0 < q < 1:
        raise ValueError(f"q: got {q!r}; must be in (0, 1)")
    alpha = (1 - level) / 2
    cdf = binom.cdf(np.arange(n + 1), n, q)            # cdf[k] = F_B(k)
    below = np.flatnonzero(cdf <= alpha)
    above = np.flatnonzero(cdf >= 1 - alpha)
    lo_rank = int(below[-1]) + 1 if below.size else 0
    hi_rank = int(above[0]) + 1 if above.size else n + 1
    f_hi = cdf[hi_rank - 1] if hi_rank <= n else 1.0
    f_lo = cdf[lo_rank - 1] if lo_rank >= 1 else 0.0
    return lo_rank, hi_rank, float(f_hi - f_lo)


def quantile_ci(values, q: float, level: float = 0.95) -> QuantileCI:
    """Distribution-free (binomial order-statistic) CI of the ``q`` quantile.

    An end that needs an order statistic beyond the sample is ``-inf``/``inf``.
    """
    x = np.sort(_clean(values))
    lo_rank, hi_rank, coverage = order_statistic_ranks(len(x), q, level)
    lo = x[lo_rank - 1] if lo_rank >= 1 else -np.inf
    hi = x[hi_rank - 1] if hi_rank <= len(x) else np.inf
    return QuantileCI(float(np.quantile(x, q)), float(lo), float(hi), coverage)


def quantile_ci_bootstrap(values, q: float, level: float = 0.95, n_resamples: int = 2000,
                          method: str = "percentile", seed: int | None = 0) -> QuantileCI:
    """Bootstrap CI of the ``q`` quantile (``scipy.stats.bootstrap``, fixed ``seed``)."""
    from scipy.stats import bootstrap

    x = _clean(values)

    def stat(sample, axis=-1):
        return np.quantile(sample, q, axis=axis)

    res = bootstrap((x,), stat, confidence_level=level, n_resamples=n_resamples,
                    method=method, vectorized=True, rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return QuantileCI(float(np.quantile(x, q)), float(ci.low), float(ci.high), np.nan)


def _clean(values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size < 2:
        raise ValueError(f"need at least 2 values; got {x.size}")
    return x
