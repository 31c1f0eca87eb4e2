"""M/M/1: mean wait W_q = rho/(mu - lambda) and utilisation = rho.

Replications run once (module-scoped fixture); each (design point, metric)
is one test: the analytic value must lie inside the model's own 99%
Student-t interval over the replications.
"""

import pytest

from . import cases

CASE = "mm1"


@pytest.fixture(scope="module")
def rows(run_case):
    return run_case(CASE)


@pytest.mark.parametrize("target", cases.targets(CASE), ids=str)
def test_closed_form_inside_99ci(rows, target):
    result = cases.check(target, rows)
    print(result.message)
    inside, message = result.passed, result.message
    assert inside, message
