"""``kernsim.reproduce.compare``: tolerances, and which rows are judged."""

from __future__ import annotations

import math

import pytest

from kernsim.reproduce import compare


def test_relative_absolute_and_upper_tolerances_bound_where_they_say():
    rel, ab, up = (compare.relative(0.1, "S"), compare.absolute(2.4, "F"),
                   compare.upper(0.1, "bound"))
    assert rel.contains(100, 109.9) and not rel.contains(100, 110.1)
    assert ab.contains(28, 30.3) and not ab.contains(28, 30.5)
    assert up.contains(30, 5) and up.contains(30, 32.9) and not up.contains(30, 33.1)
    with pytest.raises(ValueError):
        compare.Tolerance("percent", 1, "")


def test_rows_judge_predictions_not_calibration_or_missing_values():
    tol = compare.relative(0.2, "U")
    assert compare.exact("q", "s", "check", "", 110, 100, "U", tol).within == "yes"
    assert compare.exact("q", "s", "prediction", "", 130, 100, "U", tol).within == "no"
    assert compare.exact("q", "s", "calibration", "", 130, 100, "U", tol).within == "n/a"
    assert compare.exact("q", "s", "prediction", "", 130, math.nan, "", tol).within == "n/a"
    row = compare.measured("q", "s", "prediction", "", [1.0, 2.0, 3.0], 2.0)
    assert (row.mean, row.ratio) == (2.0, 1.0) and row.lo < 2.0 < row.hi
