"""M/G/1: mean wait from Pollaczek-Khinchine, W_q = lambda E[S^2]/(2 (1 - rho)), lognormal and deterministic service; utilisation = rho.

Replications run once (module-scoped fixture); each (design point, metric)
is one test: the analytic value must lie inside the model's own 99%
Student-t interval over the replications.
"""

import pytest

from . import cases

CASE = "mg1"


@pytest.fixture(scope="module")
def rows(run_case):
    return run_case(CASE)


@pytest.mark.parametrize("target", cases.targets(CASE), ids=str)
def test_closed_form_inside_99ci(rows, target):
    result = cases.check(target, rows)
    print(result.message)
    inside, message = result.passed, result.message
    assert inside, message
