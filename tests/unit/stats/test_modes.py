"""``kernsim.stats.modes``: when replications split into two modes, and what each reports."""

from __future__ import annotations

import numpy as np
import pytest

from kernsim.engine.streams import Streams
from kernsim.stats import modes
from kernsim.stats.modes import LEVEL, RELATIVE, cut_ratios, null_quantile, split


def test_a_fast_and_a_collapsed_mode_are_reported_apart_with_their_shares():
    s = split([41.0, 12.5, 42.0, 12.0, 13.0])
    assert s.bimodal
    low, high = s.modes
    assert (low.count, high.count) == (3, 2)
    assert (low.share, high.share) == (0.6, 0.4)
    assert low.mean == pytest.approx(12.5) and high.mean == pytest.approx(41.5)
    assert low.lo < low.mean < low.hi
    assert s.main is low
    assert s.describe() == "12.5 (3/5) | 41.5 (2/5)"


def test_a_tight_fast_mode_beside_runs_that_collapsed_part_way_is_split_off():
    """Three runs never collapse (tight), two collapse from different moments (spread): the
    cut is where the tight cluster starts, not at the largest gap."""
    s = split([29.8, 40.5, 47.67, 47.70, 47.75])
    assert s.bimodal and [m.count for m in s.modes] == [2, 3]
    assert s.main.mean == pytest.approx(47.7067, abs=1e-4)


def test_replications_that_agree_are_one_mode_whatever_their_spread():
    # far beyond the tighter cluster's spread, but small against the values: (b) fails
    s = split([40.0, 40.01, 40.02, 41.0])
    assert not s.bimodal and s.modes[0].count == 4 and s.describe() == ""
    # a large relative gap that one noisy mode explains: (a) fails
    assert not split([1.0, 2.0, 3.0, 4.5, 5.5]).bimodal


def test_separation_decides_on_either_side_of_the_null_quantile():
    """Clusters {9, 11} and {g + 11, g + 13}: the best cut's ratio is g / √2."""
    q = null_quantile(4)
    for factor, bimodal in ((1 + 1e-6, True), (1 - 1e-6, False)):
        gap = factor * q * np.sqrt(2)                  # and far above RELATIVE of the values
        values = [9.0, 11.0, 11.0 + gap, 13.0 + gap]
        assert modes.statistic(np.array(values))[1] == pytest.approx(factor * q)
        assert split(values).bimodal == bimodal, factor
    # two values, two singletons: only the relative size decides
    assert split([4.0, 4.0 / (1 - RELATIVE) * (1 + 1e-9)]).bimodal
    assert not split([4.0, 4.0 / (1 - RELATIVE) * (1 - 1e-9)]).bimodal


@pytest.mark.parametrize("n", [3, 5, 8])
def test_one_normal_mode_is_split_at_the_stated_rate(n):
    """Fresh draws (another stream) exceed the null quantile in 1 − LEVEL of cases: a
    binomial 99.9% band over 4000 draws, widened by the quantile's own Monte Carlo error."""
    rng = Streams(np.random.SeedSequence(7)).get(f"test.modes.{n}")
    draws = 4000
    x = np.sort(rng.standard_normal((draws, n)), axis=1)
    rate = float((cut_ratios(x)[1] > null_quantile(n)).mean())
    p = 1 - LEVEL
    sd = np.sqrt(p * (1 - p) / draws + p * (1 - p) / modes.DRAWS)
    assert abs(rate - p) <= 3.29 * sd, rate
    assert null_quantile(n) == null_quantile.__wrapped__(n)     # the same on every call


def test_a_tie_makes_the_lower_mode_the_main_one_and_few_values_are_one_mode():
    assert split([10.0, 40.0]).main.mean == 10.0
    assert not split([7.0]).bimodal and split([7.0]).main.mean == 7.0
    assert not split([3.0, 3.0, 3.0]).bimodal
    assert split([np.nan, 5.0, 20.0]).main.count == 1
    assert np.isnan(null_quantile(2))
