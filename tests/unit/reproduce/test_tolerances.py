"""``kernsim.reproduce.tolerances``: one rule per tag, and what each kind of rule accepts."""

from __future__ import annotations

import math

import pytest

from kernsim.reproduce import STUDIES, published
from kernsim.reproduce import tolerances as tol
from kernsim.reproduce.tolerances import TOLERANCES, Tolerance, for_tag, last_digit


def test_each_kind_bounds_where_it_says():
    rel, scale = Tolerance("rel", 0.1, "r"), Tolerance("scale", 0.05, "s")
    digit, upper = Tolerance("digit", 1.0, "d"), Tolerance("upper", 0.0, "u")
    assert rel.contains(100, 109.9) and not rel.contains(100, 110.1)
    assert scale.contains(28, 30.3, scale=48) and not scale.contains(28, 30.5, scale=48)
    assert digit.contains(300, 349) and not digit.contains(300, 351)
    assert upper.contains(30, 5) and upper.contains(30, 30) and not upper.contains(30, 30.1)
    assert not rel.contains(100, math.nan)
    with pytest.raises(ValueError):
        scale.half_width(28)                     # no full scale given
    for bad in (("percent", 1, "x"), ("rel", -1, "x"), ("rel", 0.1, "")):
        with pytest.raises(ValueError):
            Tolerance(*bad)


@pytest.mark.parametrize("value,half", [(300, 50), (0.92, 0.005), (5, 0.5), (6000, 500),
                                        (8.3, 0.05), (0, 0.5)])
def test_last_digit_is_half_a_unit_of_the_last_non_zero_digit(value, half):
    assert last_digit(value) == pytest.approx(half)


def test_every_tag_has_one_rule_with_a_reason_and_unjudged_tags_are_refused():
    assert {"P", "S", "F", "T"} <= set(TOLERANCES)
    for tag, rule in TOLERANCES.items():
        assert rule.kind in tol.KINDS and rule.reason.startswith(f"tag {tag}"), tag
        assert for_tag(tag) is rule
    for tag in [*tol.NOT_JUDGED, "", "Z"]:
        with pytest.raises(ValueError, match="cannot be judged"):
            for_tag(tag)


@pytest.mark.parametrize("study", STUDIES)
def test_every_published_figure_meant_for_prediction_has_a_tag_with_a_rule(study):
    df = published.load(study)
    meant = df[(df["role"] == "prediction") & df["value"].notna()]
    assert set(meant["tag"]) <= set(TOLERANCES), study


def test_a_relative_cap_bounds_a_scale_rule_only_for_small_values():
    """5% of 48 is ±2.4; capped at 50% of the value, a reading of 1 is judged to ±0.5 and a
    reading of 28 still to ±2.4 (the cap binds below 10% of full scale)."""
    capped = Tolerance("scale", 0.05, "s", relative=0.5)
    assert capped.half_width(1, 48) == 0.5 and capped.half_width(28, 48) == pytest.approx(2.4)
    assert capped.contains(1, 1.45, scale=48) and not capped.contains(1, 0.45, scale=48)
    assert not capped.contains(1, 3.3, scale=48)        # inside the uncapped ±2.4
    assert "50% of the value" in capped.text("x", 1, 48) and "5% of 48" in capped.text("x", 28, 48)
    for tag in ("F", "D"):
        assert for_tag(tag).relative == 0.5, tag
    with pytest.raises(ValueError):
        Tolerance("rel", 0.1, "r", relative=0.5)       # a cap belongs to a scale rule
