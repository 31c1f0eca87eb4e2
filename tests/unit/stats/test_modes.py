"""``kernsim.stats.modes``: when replications split into two modes, and what each reports."""

from __future__ import annotations

import numpy as np
import pytest

from kernsim.stats.modes import RELATIVE, SEPARATION, pooled_sd, split


def test_a_fast_and_a_collapsed_mode_are_reported_apart_with_their_shares():
    s = split([41.0, 12.5, 42.0, 12.0, 13.0])
    assert s.bimodal
    low, high = s.modes
    assert (low.count, high.count) == (3, 2)
    assert (low.share, high.share) == (0.6, 0.4)
    assert low.mean == pytest.approx(12.5) and high.mean == pytest.approx(41.5)
    assert low.lo < low.mean < low.hi and high.hi <= 48   # each interval stays in its mode
    assert s.main is low
    assert s.describe() == "12.5 (3/5) | 41.5 (2/5)"


def test_replications_that_agree_are_one_mode_whatever_their_largest_gap():
    # a gap far beyond the within-cluster spread, but small against the values: (b) fails
    s = split([40.0, 40.01, 40.02, 41.0])
    assert not s.bimodal and s.modes[0].count == 4 and s.describe() == ""
    # a large relative gap that noise explains: (a) fails
    spread = split([1.0, 2.0, 3.0, 4.5, 5.5])
    assert not spread.bimodal


def test_both_conditions_decide_on_either_side_of_their_thresholds():
    # clusters {9, 11} and {g + 11, g + 13}: pooled sd √2, the gap g judged against 4·√2
    lower, sd = np.array([9.0, 11.0]), np.sqrt(2)
    for factor, bimodal in ((1 + 1e-6, True), (1 - 1e-6, False)):
        gap = factor * SEPARATION * sd                 # and far above RELATIVE of the values
        upper = np.array([11.0 + gap, 13.0 + gap])
        assert pooled_sd(lower, upper) == pytest.approx(sd)
        assert split([*lower, *upper]).bimodal == bimodal, factor
    # two singletons: only the relative size decides
    assert split([4.0, 4.0 / (1 - RELATIVE) * (1 + 1e-9)]).bimodal
    assert not split([4.0, 4.0 / (1 - RELATIVE) * (1 - 1e-9)]).bimodal


def test_a_tie_makes_the_lower_mode_the_main_one_and_few_values_are_one_mode():
    assert split([10.0, 40.0]).main.mean == 10.0
    assert not split([7.0]).bimodal and split([7.0]).main.mean == 7.0
    assert not split([3.0, 3.0, 3.0]).bimodal
    assert split([np.nan, 5.0, 20.0]).main.count == 1
