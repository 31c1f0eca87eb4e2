"""``kernsim.stats.quantiles``: quantile CIs from order statistics (distribution-free) and
the bootstrap."""

import numpy as np
import pytest
from scipy.stats import binom, binomtest

from kernsim.stats.quantiles import order_statistic_ranks, quantile_ci, quantile_ci_bootstrap

Q, N = 0.9, 100
TRUE_P90 = np.log(10.0)  # exponential(1): -ln(1 - 0.9)


def test_order_statistic_ranks_have_the_stated_coverage():
    lo, hi, coverage = order_statistic_ranks(N, Q, 0.95)
    assert coverage == pytest.approx(binom.cdf(hi - 1, N, Q) - binom.cdf(lo - 1, N, Q))
    assert coverage >= 0.95
    # the narrowest symmetric choice: one rank less wide on either side falls below the level
    assert binom.cdf(hi - 2, N, Q) - binom.cdf(lo - 1, N, Q) < 0.95 or \
        binom.cdf(hi - 1, N, Q) - binom.cdf(lo, N, Q) < 0.95


def test_order_statistic_quantile_ci_coverage():
    samples = np.random.default_rng(5).exponential(size=(2000, N))
    lo_rank, hi_rank, coverage = order_statistic_ranks(N, Q, 0.95)
    ordered = np.sort(samples, axis=1)
    hits = int(((ordered[:, lo_rank - 1] <= TRUE_P90) & (TRUE_P90 <= ordered[:, hi_rank - 1]))
               .sum())
    assert binomtest(hits, 2000, coverage).pvalue > 0.01, (hits, coverage)
    assert quantile_ci(samples[0], Q).lo == ordered[0, lo_rank - 1]


def test_quantile_ci_is_unbounded_with_too_few_samples():
    ci = quantile_ci(np.arange(1.0, 51.0), 0.99)  # a 95% CI of p99 needs n >= 299
    assert ci.hi == np.inf and ci.lo > -np.inf


def test_bootstrap_quantile_ci_covers_true_value_fixed_seed():
    x = np.random.default_rng(8).exponential(size=500)
    ci = quantile_ci_bootstrap(x, Q, seed=1)
    assert ci.lo < TRUE_P90 < ci.hi
    assert ci.lo <= ci.estimate <= ci.hi
    assert ci == quantile_ci_bootstrap(x, Q, seed=1)  # reproducible


def test_bootstrap_and_order_statistic_ci_widths_differ_by_less_than_half():
    x = np.random.default_rng(9).exponential(size=1000)
    a, b = quantile_ci(x, Q), quantile_ci_bootstrap(x, Q, seed=2)
    assert abs((a.hi - a.lo) - (b.hi - b.lo)) < 0.5 * (a.hi - a.lo)
