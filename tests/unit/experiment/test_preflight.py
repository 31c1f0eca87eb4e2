"""Checks before a run: a run past the length bounds asks for --allow-long, with the
expected number of requests it is judged by."""

from __future__ import annotations

import pytest

from kernsim.build import expected_requests
from kernsim.errors import KernsimError
from kernsim.experiment.load import load
from kernsim.experiment.preflight import MAX_RUN_REQUESTS, MAX_TASK_REQUESTS, check_long, preflight


def test_expected_requests_is_the_offered_rate_times_warmup_plus_duration(experiment_file):
    exp = load(experiment_file(experiment={"warmup": "500us", "duration": "2000us"}))
    assert expected_requests(exp.config) == pytest.approx((500 + 2000) / 10)  # mean gap 10 us


def test_a_closed_workload_is_bounded_by_its_queue_free_cycle(experiment_file):
    exp = load(experiment_file(workload={"kind": "closed", "clients": 4, "think": "15us"},
                               drop=("workload.interarrival",)))
    assert expected_requests(exp.config) == pytest.approx(4 * 2000 / (15 + 5))


def test_one_long_replication_is_refused_without_allow_long_and_named(experiment_file, cli,
                                                                      tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    experiment_file("x.toml", experiment={"duration": "1e30s"})
    done = cli("run", "x.toml", "--out", "out", "-q")
    assert done.exit_code == 2
    assert "experiment.duration" in done.stderr and "--allow-long" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    assert "--allow-long" in cli("validate", "x.toml").stderr  # a warning there


def test_many_replications_of_short_ones_are_judged_as_a_whole(experiment_file):
    per_task = 100e6 / 10  # 100 s at one request per 10 us
    reps = int(MAX_RUN_REQUESTS / per_task) + 1
    assert per_task < MAX_TASK_REQUESTS
    exp = load(experiment_file(experiment={"replications": reps, "duration": "100s"}))
    (message,) = check_long(exp)
    assert "whole run" in message
    with pytest.raises(KernsimError, match="--allow-long"):
        preflight(exp, "serial", None, allow_unstable=False)
    preflight(exp, "serial", None, allow_unstable=False, allow_long=True)


def test_every_shipped_experiment_is_within_the_bounds():
    from kernsim.experiment.catalog import studies_dir

    for path in sorted(studies_dir().rglob("*.toml")):
        if path.parent.name != "workloads":  # fragments that other files extend
            assert check_long(load(path)) == [], path


def test_shares_not_summing_to_one_are_named_with_the_mix_they_make(experiment_file, cli,
                                                                     tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    classes = {"r": {"share": 0.3, "path": ["cpu"]}, "w": {"share": 0.3, "path": ["cpu"]}}
    experiment_file("x.toml", workload={"classes": classes})
    done = cli("validate", "x.toml")
    assert done.exit_code == 0
    assert "shares sum to 0.6" in done.stderr and "r 0.5, w 0.5" in done.stderr
    classes["w"]["share"] = 0.7
    experiment_file("y.toml", workload={"classes": classes})
    assert "shares" not in cli("validate", "y.toml").stderr


def test_relaxation_time_is_morses_mm1_form_at_the_stations_total_rate(experiment_file):
    from kernsim.build import relaxation_times

    exp = load(experiment_file(components={"cpu": {"servers": 2}}))
    rho = (1 / 10) * 5 / 2  # arrivals per us × mean service / servers
    assert relaxation_times(exp.config) == {"cpu": pytest.approx(1 / ((2 / 5) * (1 - rho**0.5) ** 2))}


def test_validate_gives_offered_load_and_advises_on_run_length_against_relaxation_time(
        experiment_file, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    experiment_file("short.toml")  # tiny: no warm-up, 2000 us ≈ 34 relaxation times
    short = cli("validate", "short.toml").stderr
    assert "relaxation time ≈" in short and "component 'cpu'" in short
    assert "offered load per station: cpu 0.5" in short  # λ = 1/10 per us, service 5 us
    assert "experiment.warmup is under 5" in short and "experiment.duration is under 100" in short
    experiment_file("long.toml", experiment={"warmup": "1000us", "duration": "20ms"})
    long = cli("validate", "long.toml").stderr
    assert "relaxation time ≈" in long and "warning" not in long
