"""Tandem Jackson network: mean sojourn = sum of per-station M/M/c sojourns; utilisation of each station.

Replications run once (module-scoped fixture); each (design point, metric)
is one test: the analytic value must lie inside the model's own 99%
Student-t interval over the replications.
"""

import pytest

from . import cases

CASE = "jackson"


@pytest.fixture(scope="module")
def rows(run_case):
    return run_case(CASE)


@pytest.mark.parametrize("target", cases.targets(CASE), ids=str)
def test_closed_form_inside_99ci(rows, target):
    result = cases.check(target, rows)
    print(result.message)
    inside, message = result.passed, result.message
    assert inside, message
