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
