"""``kernsim.stats.intervals``: batch means for one long run, and proportion intervals
(Wilson, Clopper–Pearson)."""

import math
import warnings

import numpy as np
import pytest
from scipy.signal import lfilter
from scipy.stats import beta, binomtest, norm

from kernsim.stats.intervals import batch_means, clopper_pearson, lag1_autocorrelation, wilson

MU = 10.0


def ar1(seed: int, n: int, phi: float, mu: float = MU) -> np.ndarray:
    """Stationary AR(1) x_t = mu + phi (x_{t-1} - mu) + e_t, e ~ N(0, 1)."""
    e = np.random.default_rng(seed).normal(size=n)
    e[0] /= math.sqrt(1 - phi**2)  # start in the stationary distribution
    return mu + lfilter([1.0], [1.0, -phi], e)


def test_batch_means_ci_covers_true_mean_of_ar1_fixed_seed():
    mean, lo, hi = batch_means(ar1(2026, 20_000, 0.9), n_batches=20, level=0.95)
    assert lo < MU < hi
    assert lo < mean < hi


def test_batch_means_coverage_over_200_seeds_is_consistent_with_level():
    hits = 0
    for seed in range(200):
        ci = batch_means(ar1(seed, 20_000, 0.9), n_batches=20, level=0.95, warn=False)
        hits += ci.lo <= MU <= ci.hi
    assert binomtest(hits, 200, 0.95).pvalue > 0.01, hits


def test_batch_means_reports_batches_and_lag1():
    ci = batch_means(np.arange(1003, dtype=float), n_batches=10, warn=False)
    assert ci.n_batches == 10 and ci.batch_size == 100
    assert ci.mean == pytest.approx(np.arange(3, 1003).mean())  # oldest 3 dropped
    assert ci.lag1 == pytest.approx(lag1_autocorrelation(ci.batch_values))
    assert ci.lag1_limit == pytest.approx(norm.ppf(0.975) / math.sqrt(10))


def test_batch_means_warns_when_batches_are_too_short_for_the_correlation():
    x = ar1(1, 1000, 0.999)  # correlation time ~1000 >> batches of 50
    with pytest.warns(RuntimeWarning, match="lag-1 autocorrelation"):
        ci = batch_means(x, n_batches=20)
    assert not ci.independent


def test_batch_means_no_warning_for_long_batches():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert batch_means(ar1(2026, 20_000, 0.5), n_batches=20).independent


def test_lag1_of_alternating_series_is_near_minus_one():
    assert lag1_autocorrelation([1.0, -1.0] * 50) == pytest.approx(-0.99)


def wilson_formula(k, n, level=0.95):
    z = norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def clopper_pearson_formula(k, n, level=0.95):
    a = 1 - level
    lo = beta.ppf(a / 2, k, n - k + 1) if k > 0 else 0.0
    hi = beta.ppf(1 - a / 2, k + 1, n - k) if k < n else 1.0
    return lo, hi


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (7, 20), (81, 263), (1, 1000)])
def test_wilson_and_clopper_pearson_match_their_formulas(k, n):
    p, lo, hi = wilson(k, n)
    assert p == k / n
    assert (lo, hi) == pytest.approx(wilson_formula(k, n), abs=1e-10)
    _, lo, hi = clopper_pearson(k, n)
    assert (lo, hi) == pytest.approx(clopper_pearson_formula(k, n), abs=1e-10)


def test_wilson_and_clopper_pearson_known_values():
    # 0 of 10: Wilson upper z^2/(n+z^2) = 0.2775; Clopper–Pearson upper 1-0.025^(1/10) = 0.3085
    assert wilson(0, 10)[1:] == pytest.approx((0.0, 0.27754), abs=5e-5)
    assert clopper_pearson(0, 10)[1:] == pytest.approx((0.0, 0.30850), abs=5e-5)
    assert clopper_pearson(10, 10)[1:] == pytest.approx((0.69150, 1.0), abs=5e-5)
    # 7 of 20 (textbook): Wilson [0.1812, 0.5671], Clopper–Pearson [0.1539, 0.5922]
    assert wilson(7, 20)[1:] == pytest.approx((0.1812, 0.5671), abs=5e-5)
    assert clopper_pearson(7, 20)[1:] == pytest.approx((0.1539, 0.5922), abs=5e-5)


def test_clopper_pearson_is_wider_than_wilson():
    for k, n in [(3, 30), (15, 30), (29, 30)]:
        _, wl, wh = wilson(k, n)
        _, cl, ch = clopper_pearson(k, n)
        assert ch - cl > wh - wl


def test_proportion_rejects_bad_counts():
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson(5, 3)
