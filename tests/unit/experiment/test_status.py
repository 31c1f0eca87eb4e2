"""A run killed mid-way leaves its manifest saying "running"; readers show it as
"interrupted" (no live run holds the folder), and a rerun resumes to the bytes of an
uninterrupted run. A scheduler that does not answer is refused before anything is written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.verify import verify
from kernsim.experiment.writerlock import shown_status, sole_writer

pytestmark = pytest.mark.scenario

#: 16 tasks of ~0.3 s each: still running when killed after its first part lands
LONG = {"experiment": {"name": "long", "replications": 16, "duration": "300ms"}}


def test_a_killed_run_reads_as_interrupted_and_a_rerun_resumes_identically(experiment_file,
                                                                          tmp_path, cli,
                                                                          monkeypatch):
    path = experiment_file("long.toml", **LONG)
    monkeypatch.chdir(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "kernsim.cli", "run", str(path), "--out",
                             "out", "--executor", "serial", "-q"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = tmp_path / "out" / "parts"
    deadline = time.monotonic() + 120  # a bound on waiting, not an assertion on speed
    while proc.poll() is None and time.monotonic() < deadline and not (
            parts.exists() and any(parts.glob("*.parquet"))):
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.fail("the run ended before it could be killed")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "running"  # what the killed run left
    assert shown_status(tmp_path / "out", manifest["status"]) == "interrupted"
    verdict = verify(tmp_path / "out")
    assert any("'interrupted'" in p and "rerun" in p for p in verdict.problems), verdict.problems
    note = cli("summary", "out").stderr
    assert "status interrupted" in note and "rerun" in note
    resumed = cli("run", str(path), "--out", "out", "--executor", "serial", "-q")
    assert resumed.exit_code == 0, resumed.stderr
    assert verify(tmp_path / "out").ok
    lone = run(load(path), out=tmp_path / "lone", executor="serial")
    assert (tmp_path / "out" / "results.parquet").read_bytes() == \
        (lone.out / "results.parquet").read_bytes()


def test_a_folder_a_live_run_holds_reads_as_running(tmp_path):
    with sole_writer(tmp_path / "out"):
        assert shown_status(tmp_path / "out", "running") == "running"
    assert shown_status(tmp_path / "out", "running") == "interrupted"
    assert shown_status(tmp_path / "out", "complete") == "complete"


@pytest.mark.parametrize("address, words", [
    ("tcp://127.0.0.1:1", "no scheduler answers there"),
    ("tcp://127.0.0.1", "tcp://HOST:PORT"),
    ("http://127.0.0.1:8786", "tcp://HOST:PORT"),
    ("tcp://[::1", "tcp://HOST:PORT"),
    ("tcp://127.0.0.1:99999", "tcp://HOST:PORT"),
], ids=["refused", "no-port", "not-tcp", "bad-ipv6", "port-out-of-range"])
def test_a_scheduler_that_cannot_answer_is_refused_before_anything_is_written(
        address, words, experiment_file, cli, tmp_path, monkeypatch):
    experiment_file("x.toml")
    monkeypatch.chdir(tmp_path)
    done = cli("run", "x.toml", "--out", "out", "--scheduler", address, "-q")
    assert done.exit_code == 2
    (line,) = done.stderr.strip().splitlines()
    assert f"--scheduler {address!r}" in line and words in line
    assert not (tmp_path / "out").exists()
