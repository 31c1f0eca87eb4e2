"""``kernsim.engine.monitor``: the TimeWeighted and Tally collectors, and Quantiles
(bounded-memory percentiles) against exact numpy ones."""

import math

import numpy as np
import pytest

from kernsim.engine.monitor import Quantiles, Tally, TimeWeighted
from kernsim.engine.streams import Streams

# --------------------------------------------------------------------------- TimeWeighted, Tally


def test_time_weighted_hand_computed():
    tw = TimeWeighted()
    tw.update(2.0, 3.0)  # level 0 on [0, 2)
    tw.update(5.0, 1.0)  # level 3 on [2, 5)
    assert tw.level == 1.0
    assert tw.mean(10.0) == pytest.approx((0 * 2 + 3 * 3 + 1 * 5) / 10)
    assert tw.mean(5.0) == pytest.approx(9 / 5)


def test_time_weighted_reset_keeps_level():
    tw = TimeWeighted()
    tw.update(2.0, 3.0)
    tw.update(5.0, 1.0)
    tw.reset(5.0)  # end of warm-up
    assert tw.level == 1.0
    assert tw.mean(10.0) == pytest.approx(1.0)
    tw.update(7.0, 4.0)
    assert tw.mean(10.0) == pytest.approx((1 * 2 + 4 * 3) / 5)


def test_time_weighted_reset_between_updates():
    tw = TimeWeighted(level=2.0)
    tw.update(4.0, 6.0)
    tw.reset(6.0)  # the level 6 held since t=4 must count only from t=6
    assert tw.mean(8.0) == pytest.approx(6.0)
    tw.update(8.0, 0.0)
    assert tw.mean(12.0) == pytest.approx(6 * 2 / 6)


def test_time_weighted_add():
    tw = TimeWeighted()
    tw.add(1.0, 1)
    tw.add(3.0, 1)
    tw.add(4.0, -2)
    assert tw.level == 0
    assert tw.mean(8.0) == pytest.approx((1 * 2 + 2 * 1) / 8)


def test_time_weighted_empty_window_returns_level():
    tw = TimeWeighted(t0=10.0, level=2.5)
    assert tw.mean(10.0) == 2.5
    assert tw.mean(20.0) == 2.5
    tw.update(12.0, 7.0)
    tw.reset(12.0)
    assert tw.mean(12.0) == 7.0


def test_time_weighted_has_slots():
    with pytest.raises(AttributeError):
        TimeWeighted().other = 1


def test_tally_against_numpy():
    rng = np.random.default_rng(7)
    data = rng.gamma(0.5, 3.0, 1001)
    tally = Tally()
    for x in data:
        tally.add(float(x))
    assert tally.count == 1001
    assert tally.mean == pytest.approx(data.mean(), rel=1e-12)
    assert tally.variance == pytest.approx(data.var(ddof=1), rel=1e-12)
    np.testing.assert_array_equal(tally.values(), data)
    for q in (0, 1, 25, 50, 90, 99, 99.9, 100):
        assert tally.percentile(q) == np.percentile(data, q)


def test_tally_values_is_a_copy_and_add_still_works():
    tally = Tally()
    tally.add(1.0)
    values = tally.values()
    tally.add(2.0)
    values[0] = 99.0
    np.testing.assert_array_equal(tally.values(), [1.0, 2.0])


def test_tally_empty_and_reset():
    tally = Tally()
    assert tally.count == 0
    assert math.isnan(tally.mean)
    assert math.isnan(tally.variance)
    assert math.isnan(tally.percentile(50))
    assert tally.values().shape == (0,)
    tally.add(3.0)
    assert tally.mean == 3.0
    assert math.isnan(tally.variance)
    tally.reset()
    assert tally.count == 0
    assert math.isnan(tally.percentile(95))


@pytest.mark.parametrize("q", [-1, 100.5])
def test_tally_percentile_range(q):
    tally = Tally()
    tally.add(1.0)
    with pytest.raises(ValueError, match="q"):
        tally.percentile(q)


# --------------------------------------------------------------------------- Quantiles

ROUNDING = 1e-9  # float rounding at bucket edges, relative to the stated bound
QS = (0, 0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100)


def data_sets(n: int) -> dict[str, np.ndarray]:
    rng = Streams(np.random.SeedSequence(11)).get("test.quantiles")
    return {
        "exponential": rng.exponential(3.0, n),
        "lognormal, heavy tail": rng.lognormal(0.0, 2.5, n),
        "uniform": rng.uniform(5.0, 6.0, n),
        "normal, both signs": rng.normal(0.0, 1.0, n),
        "constant": np.full(n, 3.7),
        "tie-heavy integers": rng.integers(0, 6, n).astype(float),
        "mostly zeros": np.where(rng.random(n) < 0.9, 0.0, rng.exponential(1.0, n)),
        "tiny and huge": rng.lognormal(0.0, 15.0, n),
    }


def fill(values: np.ndarray, **kw) -> Quantiles:
    q = Quantiles(**kw)
    for x in values:
        q.add(float(x))
    return q


def bound(data: np.ndarray, p: float, alpha: float) -> float:
    """The stated bound: alpha·((1−t)|a| + t|b|) around numpy's linear percentile."""
    s = np.sort(data)
    h = (len(s) - 1) * p / 100
    k = math.floor(h)
    t = h - k
    a, b = s[k], s[min(k + 1, len(s) - 1)]
    return alpha * ((1 - t) * abs(a) + t * abs(b)) * (1 + ROUNDING)


@pytest.mark.parametrize("alpha", [5e-4, 1e-2])
@pytest.mark.parametrize("name", list(data_sets(1)))
def test_quantiles_percentiles_within_stated_relative_error(name, alpha):
    data = data_sets(20_011)[name]
    q = fill(data, alpha=alpha, exact=512)  # far past the exact block: the histogram answers
    for p in QS:
        exact = float(np.percentile(data, p))
        assert abs(q.percentile(p) - exact) <= bound(data, p, alpha), (name, p, q.percentile(p), exact)


@pytest.mark.parametrize("name", list(data_sets(1)))
def test_quantiles_extremes_zeros_and_constant_data_are_exact(name):
    data = data_sets(5_003)[name]
    q = fill(data, exact=64)
    assert q.percentile(0) == data.min() and q.percentile(100) == data.max()
    if name == "constant":
        assert all(q.percentile(p) == 3.7 for p in QS)
    if name == "mostly zeros":
        assert q.percentile(50) == 0.0 == np.percentile(data, 50)


def test_quantiles_bound_can_fail_a_coarse_sketch_misses_a_fine_bound():
    """The check above is not vacuous: alpha = 5% answers are off by more than 0.05%."""
    data = data_sets(20_011)["exponential"]
    q = fill(data, alpha=0.05, exact=512)
    assert any(abs(q.percentile(p) - np.percentile(data, p)) > bound(data, p, 5e-4) for p in QS)


def test_quantiles_up_to_the_exact_block_everything_is_numpy_bit_for_bit():
    q = Quantiles()
    data = data_sets(q.exact)["lognormal, heavy tail"]
    for x in data:
        q.add(float(x))
    assert q.mean == float(np.mean(data))
    assert q.variance == float(np.var(data, ddof=1))
    for p in QS:
        assert q.percentile(p) == float(np.percentile(data, p))


@pytest.mark.parametrize("name", ["exponential", "normal, both signs", "tiny and huge"])
def test_quantiles_mean_and_variance_past_the_block(name):
    data = data_sets(30_001)[name]
    q = fill(data, exact=1000)
    assert q.count == len(data)
    assert math.isclose(q.mean, math.fsum(data) / len(data), rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(q.variance, float(np.var(data, ddof=1)), rel_tol=1e-9)


def test_quantiles_memory_does_not_grow_with_the_count():
    rng = Streams(np.random.SeedSequence(12)).get("test.quantiles.memory")
    q = Quantiles(exact=1000)
    sizes = []
    for _ in range(5):
        for x in rng.exponential(1.0, 40_000):
            q.add(float(x))
        sizes.append(len(q._hist[0].counts))
        assert len(q._block) <= q.exact
    lo, hi = q.percentile(0), q.percentile(100)
    assert sizes[-1] <= math.log(hi / lo) / q._lg + 2  # one counter per bucket in the range


def test_quantiles_merge_is_adding_the_values():
    data = data_sets(9_000)["exponential"]
    whole = fill(data, exact=500)
    parts = [fill(chunk, exact=500) for chunk in np.array_split(data, 3)]
    merged = Quantiles(exact=500)
    for part in parts:
        merged.merge(part)
    assert merged.count == whole.count
    assert all(merged.percentile(p) == whole.percentile(p) for p in QS)
    assert math.isclose(merged.mean, whole.mean, rel_tol=1e-13)
    small = Quantiles()
    for part in [fill(c) for c in np.array_split(data[:3000], 3)]:
        small.merge(part)  # still within one block: exact, as numpy on the concatenation
    assert small.percentile(99) == float(np.percentile(data[:3000], 99))


def test_quantiles_empty_reset_and_bad_input():
    q = Quantiles()
    assert q.count == 0 and math.isnan(q.mean) and math.isnan(q.percentile(50))
    q.add(1.0)
    assert math.isnan(q.variance)
    q.reset()
    assert q.count == 0
    for bad in (0.0, 0.5, -1.0):
        with pytest.raises(ValueError, match="alpha"):
            Quantiles(alpha=bad)
    with pytest.raises(ValueError, match="exact"):
        Quantiles(exact=0)
    with pytest.raises(ValueError, match="q"):
        q.percentile(101)
    q = Quantiles(exact=2)
    with pytest.raises(ValueError, match="finite"):
        for x in (1.0, math.nan, 2.0):  # checked when the block goes to the histogram
            q.add(x)
    with pytest.raises(ValueError, match="alpha"):
        Quantiles().merge(Quantiles(alpha=0.01))


@pytest.mark.parametrize("exact", [100_000, 64])  # all in the block / mostly in buckets
@pytest.mark.parametrize("merge", [1, 10])
def test_quantiles_histogram_counts_every_value_in_its_bucket(exact, merge):
    """Every observation lies in (lower, upper] of the bucket that counts it; zeros get
    [0, 0] and negatives mirrored buckets; the widths are (γ^merge − 1)·lower."""
    x = Streams(np.random.SeedSequence(16)).get("x").lognormal(3.0, 1.0, 2000)
    x = np.concatenate([x, [0.0, 0.0, -5.0]])
    q = Quantiles(exact=exact)
    for v in x:
        q.add(v)
    lower, upper, count = q.histogram(merge)
    assert count.sum() == len(x) and (count > 0).all()
    assert (np.diff(lower) > 0).all() and (lower <= upper).all()
    where = np.searchsorted(upper, x, side="left")
    assert ((lower[where] < x) | (x == 0)).all() and (x <= upper[where]).all()
    assert np.bincount(where, minlength=len(count)).tolist() == count.tolist()
    gamma = (1 + q.alpha) / (1 - q.alpha)
    pos = lower > 0
    np.testing.assert_allclose(upper[pos] / lower[pos], gamma ** merge, rtol=1e-12)
    assert count[(lower == 0) & (upper == 0)].tolist() == [2]


def test_quantiles_histogram_merge_must_be_positive():
    with pytest.raises(ValueError, match="merge"):
        Quantiles().histogram(0)
