"""The runner and its results folder: determinism, resume, extension, manifest, summaries."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from importlib import metadata
from io import StringIO

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import kernsim
from kernsim.analysis.stats import summarize
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.store import load_results

#: two design points (1 or 2 servers) of a small open queue
SWEEP = """\
[experiment]
name = "sweep"
seed = 11
replications = 3
duration = "3000us"

[workload]
interarrival = { dist = "exponential", mean = "10us" }

[components.cpu]
servers = 1
service = { dist = "exponential", mean = "6us" }

[sweep]
"components.cpu.servers" = [1, 2]
"""

#: 40 tasks of a few hundredths of a second each: time enough to kill a run half-way
LONG = """\
[experiment]
name = "long"
seed = 5
replications = 40
duration = "50000us"

[workload]
interarrival = { dist = "exponential", mean = "10us" }

[components.cpu]
service = { dist = "exponential", mean = "5us" }
"""


def read_bytes(folder) -> bytes:
    return (folder / "results.parquet").read_bytes()


def manifest(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def parts(folder) -> list:
    return sorted((folder / "parts").glob("dp*-r*.parquet"))


def test_serial_and_two_process_executors_give_identical_results(kernsim, write, tmp_path):
    write("x.toml", SWEEP)
    serial = kernsim("run", "x.toml", "--out", "a", "--executor", "serial", "-q")
    procs = kernsim("run", "x.toml", "--out", "b", "--executor", "processes", "--workers", "2",
                    "-q")
    assert serial.returncode == 0, serial.stderr
    assert procs.returncode == 0, procs.stderr
    a, b = tmp_path / "a", tmp_path / "b"
    assert read_bytes(a) == read_bytes(b)
    df_a, df_b = pd.read_parquet(a / "results.parquet"), pd.read_parquet(b / "results.parquet")
    assert_frame_equal(df_a, df_b, check_exact=True)
    assert len(df_a) == 2 * 3
    assert manifest(b)["runs"][0]["executor"] == "processes"


def test_killed_run_resumes_to_the_bytes_of_an_uninterrupted_run(write, tmp_path):
    path = write("long.toml", LONG)
    cmd = [sys.executable, "-m", "kernsim.cli", "run", "long.toml", "--out", "cut",
           "--executor", "serial"]
    cut = tmp_path / "cut"
    with subprocess.Popen(cmd + ["-q"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) as proc:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if (cut / "parts").is_dir() and len(parts(cut)) >= 3:
                break
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    done = len(parts(cut))
    assert 3 <= done < 40
    assert not (cut / "results.parquet").exists()
    assert manifest(cut)["status"] == "running"

    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, encoding="utf-8",
                           check=False)
    assert again.returncode == 0, again.stderr
    assert f"resumed: {done} tasks were already done" in again.stderr
    assert len(parts(cut)) == 40

    run(load(path), out=tmp_path / "whole", executor="serial")
    assert read_bytes(cut) == read_bytes(tmp_path / "whole")
    m = manifest(cut)
    assert m["status"] == "complete"
    assert len(m["runs"]) == 1 and m["runs"][0]["tasks_run"] == 40 - done
    assert sorted(m["tasks"]) == sorted(f"0/{r}" for r in range(40))


def test_raising_replications_runs_only_the_new_ones(write, tmp_path):
    path, out = write("x.toml", SWEEP), tmp_path / "out"
    first = kernsim.run_experiment(path, out=out, overrides=["experiment.replications=2"])
    stamps = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts(out)}
    assert len(stamps) == 2 * 2

    second = kernsim.run_experiment(path, out=out, overrides=["experiment.replications=4"])
    assert len(parts(out)) == 2 * 4
    kept = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts(out)
            if p.name in stamps}
    assert kept == stamps, "the first replications' part files were rewritten"
    assert [r["tasks_run"] for r in manifest(out)["runs"]] == [4, 4]
    assert len(manifest(out)["tasks"]) == 2 * 4
    old = second[second["replication"] < 2].reset_index(drop=True)
    assert_frame_equal(old, first, check_exact=True)
    assert sorted(second["replication"].unique()) == [0, 1, 2, 3]


def test_other_config_in_same_folder_is_refused_unless_overwrite(kernsim, write, tmp_path):
    path, out = write("x.toml", SWEEP), tmp_path / "out"
    run(load(path), out=out)
    before = read_bytes(out)

    refused = kernsim("run", "x.toml", "--out", "out", "--executor", "serial", "-q",
                      "--set", "experiment.seed=12", "--set", "experiment.replications=2")
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert "different configuration" in refused.stderr
    assert "--out" in refused.stderr and "--overwrite" in refused.stderr
    assert read_bytes(out) == before

    replaced = kernsim("run", "x.toml", "--out", "out", "--executor", "serial", "-q",
                       "--set", "experiment.seed=12", "--set", "experiment.replications=2",
                       "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    df = pd.read_parquet(out / "results.parquet")
    assert len(parts(out)) == 2 * 2 and len(df) == 2 * 2
    assert set(df["seed"]) == {12}
    assert manifest(out)["root_seed"] == 12


@pytest.fixture
def sweep_run(write, tmp_path):
    """SWEEP run once, serial, into tmp_path/out."""
    path, out = write("x.toml", SWEEP), tmp_path / "out"
    run(load(path), out=out, executor="serial")
    return out


def test_manifest_records_config_identity_environment_and_task_times(sweep_run, write):
    exp = load(sweep_run.parent / "x.toml")
    m = manifest(sweep_run)
    assert m["config"] == exp.resolved()
    assert m["config_hash"] == exp.config_hash
    assert m["version"] == kernsim.__version__
    assert set(m["git"]) == {"commit", "dirty"}
    assert m["root_seed"] == 11
    assert {"python", "system", "machine"} <= set(m["platform"])
    assert m["versions"]["python"] == platform.python_version()
    for package in ("simpy", "numpy", "scipy", "pandas", "pyarrow"):
        assert m["versions"][package] == metadata.version(package)
    assert m["started"] and m["ended"] and m["started"] <= m["ended"]
    assert m["status"] == "complete"
    assert sorted(m["tasks"]) == sorted(f"{dp}/{r}" for dp in range(2) for r in range(3))
    assert all(isinstance(w, float) and w > 0 for w in m["tasks"].values())


def test_load_results_has_one_row_per_task_and_the_swept_column(sweep_run):
    df = kernsim.load_results(sweep_run)
    assert len(df) == 2 * 3
    assert list(zip(df["design_point"], df["replication"])) == [
        (dp, r) for dp in range(2) for r in range(3)]
    assert df.attrs["params"] == ["components.cpu.servers"]
    assert df.groupby("design_point")["components.cpu.servers"].unique().map(list).tolist() == [
        [1], [2]]


def test_summarize_mean_lies_inside_its_confidence_interval(sweep_run):
    table = kernsim.summarize(kernsim.load_results(sweep_run))
    assert len(table) > 0 and set(table["n"]) == {3}
    assert (table["ci_low"] <= table["mean"]).all()
    assert (table["mean"] <= table["ci_high"]).all()


def test_summary_command_prints_csv_markdown_and_table(sweep_run, kernsim):
    csv = kernsim("summary", "out", "--format", "csv")
    md = kernsim("summary", "out", "--format", "markdown")
    table = kernsim("summary", "out", "--format", "table")
    assert (csv.returncode, md.returncode, table.returncode) == (0, 0, 0)
    parsed = pd.read_csv(StringIO(csv.stdout), float_precision="round_trip")  # exact floats
    expected = summarize(load_results(sweep_run))
    assert_frame_equal(parsed, expected, check_exact=True)

    md_lines = md.stdout.strip().splitlines()
    assert md_lines[0].startswith("| design_point | components.cpu.servers | metric |")
    assert len(md_lines) == 2 + len(expected)
    assert "throughput" in table.stdout and "95% CI" in table.stdout


def test_list_names_the_quickstart_study(kernsim):
    proc = kernsim("list")
    assert proc.returncode == 0
    assert any(line.startswith("quickstart  quickstart:")
               for line in proc.stdout.splitlines())


@pytest.mark.parametrize("crn", [True, False], ids=["crn", "independent"])
def test_design_points_see_the_same_arrivals_exactly_when_crn_is_on(crn, write, tmp_path):
    path = write("x.toml", SWEEP)
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
