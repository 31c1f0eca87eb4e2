"""``kernsim.experiment.tasks``: a task's seeds (common random numbers across design points)."""

from __future__ import annotations

import pytest

import kernsim


@pytest.mark.parametrize("crn", [True, False], ids=["crn", "independent"])
def test_design_points_see_the_same_arrivals_exactly_when_crn_is_on(crn, sweep_file, tmp_path):
    path = sweep_file
    df = kernsim.run_experiment(path, out=tmp_path / "out",
                              overrides=[f"experiment.common_random_numbers={str(crn).lower()}"])
    by_dp = df.pivot(index="replication", columns="design_point", values="arrived")
    # the design points do differ (servers 1 vs 2), so the comparison is not vacuous
    resp = df.pivot(index="replication", columns="design_point", values="response_mean")
    assert (resp[0] != resp[1]).all()
    if crn:
        assert (by_dp[0] == by_dp[1]).all()
    else:
        assert (by_dp[0] != by_dp[1]).all()
