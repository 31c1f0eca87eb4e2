"""Machine repairman M/M/1//N (closed): throughput and response time from the birth-death solution.

Replications run once (module-scoped fixture); each (design point, metric)
is one test: the analytic value must lie inside the model's own 99%
Student-t interval over the replications.
"""

import pytest

from . import cases

CASE = "repairman"


@pytest.fixture(scope="module")
def rows(run_case):
    return run_case(CASE)


@pytest.mark.parametrize("target", cases.targets(CASE), ids=str)
def test_closed_form_inside_99ci(rows, target):
    result = cases.check(target, rows)
    print(result.message)
    inside, message = result.passed, result.message
    assert inside, message
