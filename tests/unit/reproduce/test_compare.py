"""``kernsim.reproduce.compare``: the four roles, what each requires, and which rows are judged."""

from __future__ import annotations

import math

import pytest

from kernsim.reproduce import compare
from kernsim.reproduce.tolerances import TOLERANCES

NAN = math.nan


def row(role: str, published: float = 100.0, tag: str = "P", model: float = 100.0,
        scale: float = NAN) -> compare.Row:
    return compare.exact("q", "s", role, "", model, published, tag, scale=scale)


def test_the_roles_are_exactly_four_and_the_old_names_are_refused():
    assert compare.ROLES == ("calibration", "prediction", "model-only", "identity")
    for old in ("check", "model", "kernsim", ""):
        with pytest.raises(ValueError, match="role"):
            row(old)


@pytest.mark.parametrize("published,tag,scale", [
    (NAN, "P", NAN),      # no published value
    (100, "", NAN),       # no tag, so no tolerance
    (100, "U", NAN),      # a recollection: not judged
    (100, "X", NAN),      # a tag without a rule
    (100, "F", NAN),      # read off a figure whose full scale the row does not give
])
def test_a_prediction_needs_a_published_value_and_a_tolerance(published, tag, scale):
    with pytest.raises(ValueError):
        row("prediction", published, tag, scale=scale)


def test_model_only_has_no_published_value_and_calibration_has_one():
    with pytest.raises(ValueError, match="model-only"):
        row("model-only", 100.0, "")
    with pytest.raises(ValueError, match="calibration"):
        row("calibration", NAN, "P")
    assert row("model-only", NAN, "").within == "n/a"
    assert row("identity", NAN, "").within == "n/a"


def test_only_predictions_are_judged_whatever_the_other_rows_show():
    inside, out = row("prediction", model=105.0), row("prediction", model=150.0)
    assert (inside.within, out.within) == ("yes", "no")
    far = [row("calibration", model=1e6), row("identity", model=-5.0),
           row("model-only", NAN, "", model=3.0)]
    assert [r.within for r in far] == ["n/a"] * 3
    assert compare.outside([inside, out, *far]) == [out]


@pytest.mark.parametrize("tag", sorted(TOLERANCES))
def test_a_prediction_takes_its_tolerance_from_its_tag_and_no_other_row_has_one(tag):
    p = row("prediction", 30.0, tag, scale=48.0)
    assert p.tolerance is TOLERANCES[tag]
    assert p.as_dict()["tolerance_reason"] == TOLERANCES[tag].reason
    for role in ("calibration", "identity"):
        other = row(role, 30.0, tag)
        assert other.tolerance is None and other.tolerance_text == ""
    with pytest.raises(TypeError):   # a row cannot bring its own tolerance
        compare.Row("q", "s", "prediction", "", 1.0, "P", 1.0, tolerance=TOLERANCES["S"])


def test_measured_rows_carry_mean_and_interval():
    r = compare.measured("q", "s", "model-only", "", [1.0, 2.0, 3.0])
    assert r.mean == 2.0 and r.lo < 2.0 < r.hi and r.within == "n/a"


def test_post_hoc_marks_predictions_only_and_the_scorecard_counts_them_apart():
    from kernsim.reproduce import scorecard

    rows = [compare.exact("a", "s", "prediction", "µs", 10.0, 10.0, "P"),     # inside
            compare.exact("b", "s", "prediction", "µs", 20.0, 10.0, "P"),     # outside
            compare.exact("c", "t", "prediction", "µs", 10.0, 10.0, "P"),     # inside
            compare.exact("d", "s", "calibration", "µs", 5.0, 5.0, "P")]
    compare.post_hoc(rows, "change one", lambda r: r.system == "s")
    compare.post_hoc(rows, "change two", lambda r: r.quantity == "b")
    assert [r.post_hoc for r in rows] == ["change one", "change one; change two", "", ""]
    score = scorecard.score("study", rows)
    assert (score.inside, score.judged) == (2, 3)
    assert (score.post_hoc_inside, score.post_hoc_judged) == (1, 2)
    assert (score.blind_inside, score.blind_judged) == (1, 1)
    assert "blind 1/1 (100%), post hoc 1/2" in score.line()
    total = scorecard.total([score, scorecard.score("other", rows[2:])])
    assert (total.post_hoc_judged, total.blind_judged) == (2, 2)
    with pytest.raises(ValueError, match="only a prediction can be post hoc"):
        compare.Row("d", "s", "calibration", "µs", 5.0, "P", 5.0, post_hoc="late")
