"""TimeWeighted and Tally collectors."""

import math

import numpy as np
import pytest

from kernsim.engine.monitor import Tally, TimeWeighted


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
