"""The queueing core against closed forms: M/M/1, M/M/c (Erlang C), M/G/1
(Pollaczek-Khinchine), a tandem Jackson network and the machine repairman.

Each case's replications run once per session (``run_case`` caches them and
splits them between xdist workers); each (case, design point, metric) is one
test: the analytic value must lie inside the model's own Student-t interval at
the family-wise 99% level of ``cases.LEVEL``.
"""

import pytest

from . import cases

TARGETS = [t for name in ("mm1", "mmc", "mg1", "jackson", "repairman")
           for t in cases.targets(name)]


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_closed_form_inside_familywise_ci(run_case, target):
    result = cases.check(target, run_case(target.case))
    print(result.message)
    assert result.passed, result.message
