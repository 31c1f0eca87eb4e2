"""``kernsim.experiment.runner``: determinism across executors, resume after a kill or an
interrupt, extension, a folder's identity, refusals before anything is written, and a
driver that loses nothing: killed workers, raising tasks, timeouts, flat memory."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import kernsim
from kernsim.engine.dists import Distribution
from kernsim.engine.spec import Built
from kernsim.experiment import tasks
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.verify import verify

#: the experiment table of tasks of a few hundredths of a second each (tiny.toml, 50 ms runs)
LONG = {"name": "long", "seed": 5, "duration": "50000us"}


def read_bytes(folder) -> bytes:
    return (folder / "results.parquet").read_bytes()


def manifest(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def parts(folder) -> list:
    return sorted((folder / "parts").glob("dp*-r*.parquet"))


def reference(exp, tmp_path) -> bytes:
    """results.parquet of an uninterrupted serial run."""
    return (run(exp, out=tmp_path / "reference", executor="serial").out
            / "results.parquet").read_bytes()


def pool_workers(pid: int) -> list:
    """Process-pool workers (spawned) below ``pid``."""
    psutil = pytest.importorskip("psutil")
    kids = psutil.Process(pid).children(recursive=True)
    return [p for p in kids if "spawn_main" in " ".join(_cmdline(p))]


def _cmdline(proc) -> list:
    psutil = pytest.importorskip("psutil")
    try:
        return proc.cmdline()
    except psutil.Error:
        return []


# --------------------------------------------------------------------------- determinism, resume


def test_serial_and_two_process_executors_give_identical_results(kernsim, sweep_file, tmp_path):
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


@pytest.mark.scenario
def test_killed_run_resumes_to_the_bytes_of_an_uninterrupted_run(experiment_file, tmp_path):
    path = experiment_file("long.toml", experiment={**LONG, "replications": 40})
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


@pytest.mark.scenario
def test_worker_killed_by_pid_mid_sweep_loses_nothing(experiment_file, tmp_path):
    exp = load(experiment_file("long.toml", experiment={**LONG, "replications": 24}))
    killed = []

    def tick(done: int, total: int) -> None:
        workers = pool_workers(os.getpid())
        if done >= 4 and not killed and workers:
            killed.append(workers[0].pid)
            os.kill(workers[0].pid, signal.SIGKILL)

    result = run(exp, out=tmp_path / "k", executor="processes", workers=2, progress=tick)
    assert killed, "no worker was killed"
    assert (result.ran, result.failures, result.interrupted) == (24, [], False)
    assert (tmp_path / "k" / "results.parquet").read_bytes() == reference(exp, tmp_path)


def _wait_for_parts(folder, at_least: int, proc, deadline: float) -> None:
    while proc.poll() is None and time.monotonic() < deadline:
        if (folder / "parts").is_dir() and len(parts(folder)) >= at_least:
            return
        time.sleep(0.01)


def _gone(procs, timeout: float = 10) -> bool:
    psutil = pytest.importorskip("psutil")
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    return not alive


@pytest.mark.slow
@pytest.mark.scenario
def test_driver_killed_three_times_and_interrupted_resumes_to_identical_bytes(experiment_file,
                                                                             tmp_path):
    """SIGKILL at three points and one Ctrl-C (SIGINT to the process group, as a
    terminal sends it), then the same command: the bytes of an uninterrupted run."""
    path = experiment_file("long.toml", experiment={**LONG, "replications": 60})
    cmd = [sys.executable, "-m", "kernsim.cli", "run", "long.toml", "--out", "cut",
           "--executor", "processes", "--workers", "2"]
    cut, rng = tmp_path / "cut", random.Random(2026)
    for how, more in (("KILL", 4), ("INT", 8), ("KILL", 6), ("KILL", 10)):
        before = len(parts(cut)) if cut.exists() else 0
        with subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, start_new_session=True) as proc:
            _wait_for_parts(cut, before + more, proc, time.monotonic() + 90)
            time.sleep(rng.uniform(0, 0.15))  # a random moment after that
            workers = pool_workers(proc.pid)
            if how == "KILL":
                os.kill(proc.pid, signal.SIGKILL)
            else:
                os.killpg(proc.pid, signal.SIGINT)
            err = proc.stderr.read()
            proc.wait(timeout=60)
        m = manifest(cut)  # whole JSON at every moment (atomic writes)
        if how == "KILL":
            assert proc.returncode == -signal.SIGKILL, "the run ended before it was killed"
            assert m["status"] in ("running", "interrupted")
            assert _gone(workers), "worker processes outlived their killed driver"
        else:
            assert proc.returncode == 130, err
            assert m["status"] == "interrupted"
            assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
            assert "to resume, run the same command again" in err and "kernsim run" in err
            assert len([h for h in m["hashes"] if h.startswith("parts/")]) == len(parts(cut))
        assert not (cut / "results.parquet").exists()  # stopped before the compaction
        assert before < len(parts(cut)) <= 60  # all 60 when the stop lands after the last task

    done = len(parts(cut))
    again = subprocess.run(cmd + ["-q"], cwd=tmp_path, capture_output=True, text=True,
                           check=False, timeout=180)
    assert again.returncode == 0, again.stderr
    assert (cut / "results.parquet").read_bytes() == reference(load(path), tmp_path)
    m = manifest(cut)
    assert m["status"] == "complete" and m["runs"][-1]["tasks_run"] == 60 - done
    assert sorted(m["tasks"]) == sorted(f"0/{r}" for r in range(60))
    assert verify(cut).ok, verify(cut).problems


def test_raising_replications_runs_only_the_new_ones(sweep_file, tmp_path):
    path, out = sweep_file, tmp_path / "out"
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


def test_other_config_in_same_folder_is_refused_unless_overwrite(kernsim, sweep_file, tmp_path):
    path, out = sweep_file, tmp_path / "out"
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


# --------------------------------------------------------------------------- refused before a run

#: tiny.toml with a slower server: ρ = 1.2
UNSTABLE = {"components": {"cpu": {"service": {"dist": "exponential", "mean": "12us"}}}}


def test_validate_warns_about_unstable_open_queue_and_exits_0(kernsim, experiment_file):
    experiment_file("x.toml", **UNSTABLE)
    proc = kernsim("validate", "x.toml")
    assert proc.returncode == 0, proc.stderr
    warning = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning")]
    assert len(warning) == 1
    assert "'cpu'" in warning[0] and "ρ = 1.2" in warning[0]
    assert "--allow-unstable" in warning[0]


def test_run_refuses_unstable_open_queue_without_allow_unstable(kernsim, experiment_file, tmp_path):
    experiment_file("x.toml", **UNSTABLE)
    proc = kernsim("run", "x.toml", "--out", "out", "--executor", "serial", "-q")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "'cpu'" in proc.stderr and "ρ = 1.2" in proc.stderr
    assert "--allow-unstable" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_run_with_allow_unstable_runs_unstable_open_queue(kernsim, experiment_file, tmp_path):
    experiment_file("x.toml", **UNSTABLE)
    proc = kernsim("run", "x.toml", "--out", "out", "--executor", "serial", "-q",
                   "--allow-unstable")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "results.parquet").is_file()
    assert len(list((tmp_path / "out" / "parts").glob("*.parquet"))) == 2


# --------------------------------------------------------------------------- failing tasks

#: two design points: one server, or a service time read from a CSV file
GATED = {"experiment": {"name": "gated", "seed": 3, "replications": 3},
         "sweep": {"components.cpu.servers": [1, 2]}}


class Gate(Distribution):
    """5 µs while the file ``path`` exists; raises where it is drawn otherwise (in a
    worker process: the config travels with its task, built)."""

    name = "gate"

    def __init__(self, path: str) -> None:
        self.path = path
        self._mean, self._var = 5.0, 0.0

    def sample_n(self, rng, n: int) -> np.ndarray:
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"{self.path} not found")
        return np.full(n, 5.0)


#: a fast design point and one that runs for minutes unless stopped
def slow(timeout: str) -> dict:
    return {"experiment": {"name": "slow", "seed": 9, "replications": 2, "duration": "1000us",
                           "task_timeout": timeout},
            "sweep": {"experiment.duration": ["1000us", "1000000s"]}}


SIMULATE = tasks.simulate



def _raise_on_two_servers(config, seed, traced=False):
    if config.components["cpu"].servers == 2:
        raise ValueError("boom: two servers")
    return SIMULATE(config, seed, traced)


def test_raising_task_is_recorded_the_sweep_goes_on_and_run_exits_1(experiment_file, tmp_path,
                                                                      monkeypatch, cli):
    experiment_file("x.toml", "sweep", experiment={"name": "x", "seed": 4})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tasks, "simulate", _raise_on_two_servers)
    result = cli("run", "x.toml", "--out", "out", "--executor", "serial", "-q")
    assert result.exit_code == 1, result.output
    for rep in range(3):
        assert (f"failed design point 1 replication {rep} (seed 4): ValueError: boom: two "
                "servers") in result.stderr
    assert "3 task(s) failed" in result.stderr
    m = manifest(tmp_path / "out")
    assert m["status"] == "failed"
    assert [(f["design_point"], f["replication"], f["seed"]) for f in m["failures"]] == [
        (1, 0, 4), (1, 1, 4), (1, 2, 4)]
    assert all("Traceback" in f["error"] and "boom" in f["error"] for f in m["failures"])
    assert len(parts(tmp_path / "out")) == 3  # design point 0: every replication


@pytest.mark.scenario
def test_task_raising_in_worker_processes_is_recorded_and_rerun_on_resume(experiment_file,
                                                                         tmp_path):
    gate = tmp_path / "gate"
    exp = load(experiment_file("f.toml", **GATED))
    cpu = exp.points[1].config.components["cpu"]  # design point 1 draws from the gate
    cpu.service = Built("gate", Gate(str(gate)))
    out = tmp_path / "out"
    result = run(exp, out=out, executor="processes", workers=2)
    assert result.ran == 3
    assert sorted((f["design_point"], f["replication"]) for f in result.failures) == [
        (1, 0), (1, 1), (1, 2)]
    assert all("not found" in f["error"] for f in result.failures)
    assert manifest(out)["status"] == "failed"
    assert not verify(out).ok

    gate.touch()
    again = run(exp, out=out, executor="processes", workers=2)
    assert (again.ran, again.skipped, again.failures) == (3, 3, [])
    assert manifest(out)["status"] == "complete"


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_task_over_its_timeout_is_recorded_and_the_sweep_goes_on(executor, experiment_file,
                                                                 tmp_path):
    """No timing in the assertions: the normal tasks take milliseconds against a 5 s
    timeout, the slow ones (10⁶ s simulated) would run for days."""
    exp = load(experiment_file("slow.toml", **slow("5s")))
    result = run(exp, out=tmp_path / "out", executor=executor, workers=2, allow_long=True)
    assert result.ran == 2
    assert sorted((f["design_point"], f["replication"]) for f in result.failures) == [
        (1, 0), (1, 1)]
    assert all(f["error"].startswith("timed out after 5 s") for f in result.failures)
    assert manifest(tmp_path / "out")["failures"] == result.failures


# --------------------------------------------------------------------------- driver memory

MEMORY_PROBE = """\
import json, os, sys
from kernsim.experiment.load import load
from kernsim.experiment.runner import run

def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

def peak_mb():  # not ru_maxrss: after fork and exec it starts at the parent's peak
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024

if __name__ == "__main__":
    exp = load(sys.argv[1])
    seen = {}
    def tick(done, total):
        if done == total // 10:
            seen["rss_10"] = rss_mb()
        if done == total:  # the last row is written; compaction comes next
            seen.update(rss_100=rss_mb(), peak_loop=peak_mb())
    result = run(exp, out=sys.argv[2], executor="processes", workers=2, progress=tick)
    print(json.dumps({"ran": result.ran, **seen, "peak": peak_mb()}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
def test_driver_memory_stays_flat_over_5000_tiny_tasks(write, experiment_file, tmp_path):
    """Bound: the driver's RSS grows by < 8 MB over the last 4,500 tasks (< 1.8 KB a
    task), and peaks under 200 MB while tasks run (measured ≈ 133: Python, numpy,
    pandas, pyarrow ≈ 125 MB). What legitimately grows is the manifest: a wall time
    and a sha256 per task (≈ 0.4 KB; measured growth ≈ 4.4 MB with allocator slack).
    Keeping each task's row (≈ 1 KB as a dict) and its part table or bytes (≈ 5 KB)
    would break it. The final compaction reads the 5,000 parts back (in chunks of
    512): peak under 300 MB (measured ≈ 175)."""
    path = experiment_file("tiny.toml", experiment={**LONG, "replications": 5000,
                                                    "duration": "200us"})
    probe = write("probe.py", textwrap.dedent(MEMORY_PROBE))
    proc = subprocess.run([sys.executable, str(probe), str(path), str(tmp_path / "out")],
                          capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    print(got)
    assert got["ran"] == 5000
    assert got["rss_100"] - got["rss_10"] < 8, got
    assert got["peak_loop"] < 200, got
    assert got["peak"] < 300, got


@pytest.mark.parametrize("kwargs,text", [
    ({"overrides": "experiment.replications=1"}, "must be a list of 'key=value' strings"),
    ({"overrides": [3]}, "must be a list of 'key=value' strings"),
    ({"out": 5}, "out = 5: must be a results folder's path"),
], ids=["overrides-str", "overrides-int", "out-int"])
def test_bad_api_arguments_raise_kernsim_error_before_writing(kwargs, text, sweep_file, tmp_path,
                                                              monkeypatch):
    from kernsim.errors import KernsimError

    monkeypatch.chdir(tmp_path)  # where the default results folder would go
    with pytest.raises(KernsimError, match=text):
        kernsim.run_experiment(sweep_file, **kwargs)
    assert not (tmp_path / "results").exists()


def test_a_seed_beyond_an_int64_column_is_refused_by_validate(experiment_file):
    from kernsim.errors import ConfigError

    with pytest.raises(ConfigError, match="experiment.seed = 9223372036854775808"):
        load(experiment_file(experiment={"seed": 2**63}))
