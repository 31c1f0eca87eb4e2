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


def test_a_timeout_due_at_once_is_recorded_not_raised(experiment_file, cli):
    """task_timeout = "1ns": the alarm may ring before the task starts; it is still the
    task's timeout (a failed row per task, exit 1), never a TaskTimeout traceback."""
    path = experiment_file(experiment={"task_timeout": "1ns"})
    result = cli("run", str(path), "--out", str(path.parent / "out"), "--executor", "serial",
                 "-q")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "TaskTimeout" not in result.output
    assert result.stderr.count("timed out after 1e-09 s") == 2
