"""``kernsim.experiment.sequential``: sequential replications (``experiment.precision``):
per-point counts, the target, identity with fixed runs, resume, and bad values.

The model is experiments/validation/mm1.toml cut to 1 ms runs: design point 0
(ρ = 0.5) needs a few tens of replications for a ±10% CI of the mean wait,
design point 1 (ρ ≈ 0.91) hundreds, so a cap of 40 stops it short.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
from experiment_files import ROOT
from pandas.testing import assert_frame_equal

from kernsim.errors import ConfigError
from kernsim.experiment.load import config_hash, from_dict, read_toml
from kernsim.experiment.runner import run
from kernsim.experiment.sequential import next_count
from kernsim.experiment.verify import verify
from kernsim.stats.intervals import t_interval

MM1 = ROOT / "experiments" / "validation" / "mm1.toml"
METRICS = ["throughput", "wait_mean"]
TARGET, PILOT, CAP = 0.1, 5, 40


def raw(cap: int | None = CAP, replications: int = PILOT) -> dict:
    data = read_toml(MM1)
    data["sweep"]["zip"] = {"workload.interarrival.mean": [2.0, 1.1],
                            "experiment.duration": ["1000us", "1000us"]}
    data["experiment"].update(warmup="100us", replications=replications)
    if cap is not None:
        data["experiment"]["precision"] = {"metric": METRICS, "relative_half_width": TARGET,
                                           "max_replications": cap}
    return data


def toml(precision: str = "", points: str = "[2.0, 1.1]", durations: str = '["1000us", "1000us"]',
         replications: int = PILOT) -> str:
    """What ``raw`` holds, as an experiment file that extends mm1.toml."""
    return (f'extends = "{MM1.as_posix()}"\n[experiment]\nwarmup = "100us"\n'
            f"replications = {replications}\n{precision}\n[sweep.zip]\n"
            f'"workload.interarrival.mean" = {points}\n"experiment.duration" = {durations}\n')


SPEC = (f'precision = {{ metric = {json.dumps(METRICS)}, relative_half_width = {TARGET}, '
        f"max_replications = {CAP} }}")


def results(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "results.parquet")


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def stamps(folder: Path) -> dict:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in (folder / "parts").glob("dp*-r*.parquet")}


def half_width(values, level: float = 0.95) -> tuple[float, float]:
    mean, low, high = t_interval(values, level)
    return (high - low) / 2, mean


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """One uninterrupted serial sequential run (cap 40)."""
    out = tmp_path_factory.mktemp("precision") / "single"
    result = run(from_dict(raw()), out=out, executor="serial")
    return out, result


def test_points_end_with_their_own_counts_each_meeting_the_target_or_flagged(single):
    out, result = single
    m, df = manifest(out), results(out)
    counts = {int(k): v for k, v in m["replications_by_point"].items()}
    assert counts == result.replications
    assert counts[0] < counts[1], "the high-variance point should need more replications"
    assert df.groupby("design_point").size().to_dict() == counts
    flagged = {(u["design_point"], u["metric"]) for u in m["precision_unmet"]}
    for dp, group in df.groupby("design_point"):
        assert list(group["replication"]) == list(range(counts[dp]))
        for metric in METRICS:
            hw, mean = half_width(group[metric])
            met = hw <= TARGET * abs(mean)
            assert met != ((dp, metric) in flagged), (dp, metric, hw / mean)
            if not met:
                assert counts[dp] == CAP
    assert flagged == {(1, "wait_mean")}
    assert m["status"] == "complete" and m["replications"] == PILOT
    assert verify(out).ok, verify(out).problems
    pilot = df.query("design_point == 0")["wait_mean"].iloc[:PILOT]
    hw, mean = half_width(pilot)
    assert hw > TARGET * abs(mean), "the pilot alone met the target: no round was tested"


def test_rows_equal_fixed_runs_of_the_same_counts(single, tmp_path):
    out, result = single
    df = results(out)
    for dp, n in result.replications.items():
        fixed = run(from_dict(raw(cap=None, replications=n)), out=tmp_path / f"r{n}",
                    executor="serial")
        want = results(fixed.out)
        want = want[want["design_point"] == dp].reset_index(drop=True)
        got = df[df["design_point"] == dp].reset_index(drop=True)
        assert_frame_equal(got, want, check_exact=True)


def test_cli_process_pool_gives_the_serial_bytes_and_warns_about_the_capped_point(
        single, kernsim, tmp_path):
    out, _ = single
    (tmp_path / "x.toml").write_text(toml(SPEC), encoding="utf-8")
    done = kernsim("run", "x.toml", "--out", "pool", "--executor", "processes",
                   "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "pool" / "results.parquet").read_bytes() == \
        (out / "results.parquet").read_bytes()
    warning = [line for line in done.stderr.splitlines() if line.startswith("warning")]
    assert len(warning) == 1
    assert all(s in warning[0] for s in ("design point 1", "max_replications = 40",
                                         "wait_mean", "target 0.1"))
    assert "sequential replications: 2 design point(s)" in done.stderr


def test_raising_the_cap_resumes_without_rerunning_and_ends_as_one_run(single, tmp_path):
    out, whole = single
    first = run(from_dict(raw(cap=15)), out=tmp_path / "r", executor="serial")
    assert first.replications == {0: 15, 1: 15}
    assert {u["design_point"] for u in first.unmet} == {0, 1}
    before = stamps(first.out)

    second = run(from_dict(raw()), out=tmp_path / "r", executor="serial")
    after = stamps(first.out)
    assert {k: after[k] for k in before} == before, "finished part files were rewritten"
    total = sum(whole.replications.values())
    assert second.skipped == 30 and second.ran == total - 30
    assert [r["tasks_run"] for r in manifest(first.out)["runs"]] == [30, total - 30]
    assert second.replications == whole.replications
    assert results(first.out).equals(results(out))
    assert (first.out / "results.parquet").read_bytes() == (out / "results.parquet").read_bytes()


def test_a_run_cut_mid_round_resumes_to_the_same_rows(single, tmp_path):
    out, whole = single

    def cut(done: int, total: int) -> None:
        if done == 2 * PILOT + 3:  # three tasks into the second round
            raise KeyboardInterrupt

    first = run(from_dict(raw()), out=tmp_path / "c", executor="serial", progress=cut)
    assert first.interrupted and first.ran == 2 * PILOT + 3
    assert manifest(first.out)["status"] == "interrupted"
    before = stamps(first.out)
    second = run(from_dict(raw()), out=tmp_path / "c", executor="serial")
    assert not second.interrupted and second.skipped == len(before)
    assert second.ran == sum(whole.replications.values()) - len(before)
    assert (first.out / "results.parquet").read_bytes() == (out / "results.parquet").read_bytes()
    assert verify(first.out).ok, verify(first.out).problems


def test_without_precision_the_manifest_has_no_per_point_counts(tmp_path):
    result = run(from_dict(raw(cap=None, replications=2)), out=tmp_path / "f",
                 executor="serial")
    m = manifest(result.out)
    assert result.replications is None and result.unmet == []
    assert "replications_by_point" not in m and "precision_unmet" not in m
    assert len(results(result.out)) == 2 * 2


def test_precision_is_not_part_of_the_config_hash():
    base = raw(cap=None)
    assert config_hash(raw()) == config_hash(base) == config_hash(raw(cap=15))
    other = copy.deepcopy(base)
    other["experiment"]["seed"] = 99
    assert config_hash(other) != config_hash(base)


@pytest.mark.parametrize("count,need,cap,want", [
    (10, 25.2, 200, 26),   # the estimate
    (10, 10.5, 200, 11),   # at least 10% (and one) more
    (100, 101, 200, 110),
    (10, 1e9, 200, 40),    # at most 4×
    (10, float("inf"), 200, 40),
    (10, 300, 30, 30),     # never beyond the cap
])
def test_next_checkpoint_follows_the_estimate_within_its_bounds(count, need, cap, want):
    assert next_count(count, need, cap) == want


# --------------------------------------------------------------------------- bad values

def precision(**changes) -> dict:
    spec = {"metric": "throughput", "relative_half_width": 0.05, "max_replications": 20}
    spec.update(changes)
    return {k: v for k, v in spec.items() if v is not None}


BAD = [
    ("empty-metric", precision(metric=""), 2, ("experiment.precision.metric = ''",
                                               "must name a metric")),
    ("empty-metric-list", precision(metric=[]), 2, ("experiment.precision.metric = []",)),
    ("metric-not-a-name", precision(metric=["throughput", 3]), 2,
     ("experiment.precision.metric", "must name a metric")),
    ("zero-half-width", precision(relative_half_width=0), 2,
     ("experiment.precision.relative_half_width = 0", "greater than 0")),
    ("half-width-one", precision(relative_half_width=1), 2,
     ("experiment.precision.relative_half_width = 1", "less than 1")),
    ("level-one", precision(level=1.0), 2, ("experiment.precision.level = 1.0", "less than 1")),
    ("level-zero", precision(level=0), 2, ("experiment.precision.level = 0", "greater than 0")),
    ("cap-below-pilot", precision(max_replications=5), 10,
     ("experiment.precision.max_replications = 5", "≥ experiment.replications = 10")),
    ("pilot-of-one", precision(), 1, ("experiment.replications = 1", "≥ 2",
                                      "experiment.precision")),
    ("no-cap", precision(max_replications=None), 2,
     ("experiment.precision.max_replications", "missing")),
    ("unknown-key", {**precision(), "alpha": 0.05}, 2,
     ("experiment.precision.alpha: unknown key", "relative_half_width, max_replications")),
]


@pytest.mark.parametrize("spec,replications,line", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_precision_names_the_key_the_value_and_what_is_allowed(spec, replications, line):
    data = raw(cap=None, replications=replications)
    data["experiment"]["precision"] = spec
    with pytest.raises(ConfigError) as err:
        from_dict(data)
    assert any(all(s in row for s in line) for row in str(err.value).splitlines()), err.value


def test_cli_bad_precision_exits_2_with_one_line(kernsim, write):
    write("x.toml", toml("precision = { metric = 'wait_mean', relative_half_width = 1.5, "
                         "max_replications = 20 }"))
    done = kernsim("validate", "x.toml")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "experiment.precision.relative_half_width = 1.5: input should be less than 1" \
        in done.stderr


def test_unknown_metric_exits_2_before_the_pilot_listing_the_metrics(kernsim, write, tmp_path):
    write("x.toml", toml(SPEC.replace('"wait_mean"', '"wait_avg"'), points="[2.0]",
                         durations='["300us"]', replications=2))
    for command in (("validate", "x.toml"),
                    ("run", "x.toml", "--out", "out", "--executor", "serial", "-q")):
        done = kernsim(*command)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1
        assert all(s in lines[0] for s in ("experiment.precision.metric = 'wait_avg'",
                                           "available:", "throughput", "wait_mean"))
    assert not (tmp_path / "out").exists(), "refused before anything is written"


def test_a_fault_metric_is_left_to_the_run_since_only_replications_with_a_fault_have_it(
        experiment_file):
    """The probe's short run may see no fault (here the fault comes after the probe's end):
    with [faults], ``fault.*`` names pass the probe; without, they are refused."""
    from kernsim.experiment.load import load
    from kernsim.experiment.preflight import check_metrics

    precision = {"metric": "fault.requests_lost", "relative_half_width": 0.5,
                 "max_replications": 4}
    plain = load(experiment_file("plain.toml", experiment={"precision": precision}))
    with pytest.raises(ConfigError, match="fault.requests_lost"):
        check_metrics(plain)
    faults = {"mode": "injection", "kind": "crash", "at": "19000us"}  # the probe: ~10000 us
    check_metrics(load(experiment_file("f.toml", experiment={"precision": precision,
                                                             "duration": "20000us"},
                                       faults=faults, system={"architecture": "microkernel"})))
