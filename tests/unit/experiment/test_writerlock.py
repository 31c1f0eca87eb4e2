"""One writer per results folder: a second run into a folder that a run is writing exits
2 at once, naming the holder's pid, and writes nothing; the first run's folder verifies
and holds the bytes of an uninterrupted run."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.verify import verify
from kernsim.experiment.writerlock import LOCK_NAME, sole_writer

pytestmark = pytest.mark.scenario

#: about half a second per task, 16 tasks: the first run is still writing when the second,
#: started as soon as the first has opened the folder, asks for it
LONG = {"experiment": {"name": "long", "replications": 16, "duration": "300ms"}}


def test_a_second_writer_is_refused_naming_the_holder_and_writes_nothing(kernsim, experiment_file,
                                                                          tmp_path):
    experiment_file("x.toml")
    out = tmp_path / "out"
    with sole_writer(out):  # this test process holds the folder
        proc = kernsim("run", "x.toml", "--out", "out", "--executor", "serial", "-q")
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and f"(pid {os.getpid()})" in lines[0], proc.stderr
        assert "Traceback" not in proc.stderr
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # nothing written
    again = kernsim("run", "x.toml", "--out", "out", "--executor", "serial", "-q")
    assert again.returncode == 0, again.stderr  # the lock went with its holder
    assert verify(out).ok


def test_overwrite_is_refused_too_while_another_run_writes(kernsim, experiment_file, tmp_path):
    experiment_file("x.toml")
    with sole_writer(tmp_path / "out"):
        proc = kernsim("run", "x.toml", "--out", "out", "--overwrite", "-q")
    assert proc.returncode == 2 and "another kernsim run" in proc.stderr


def test_two_concurrent_runs_leave_one_verified_folder_equal_to_a_lone_run(experiment_file,
                                                                           tmp_path):
    path = experiment_file("long.toml", **LONG)
    env = {**os.environ, "NO_COLOR": "1"}
    first = subprocess.Popen([sys.executable, "-m", "kernsim.cli", "run", str(path), "--out",
                              "shared", "--executor", "serial", "-q"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    manifest = tmp_path / "shared" / "manifest.json"
    deadline = time.monotonic() + 120  # a bound on waiting, not an assertion on speed
    while not manifest.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run([sys.executable, "-m", "kernsim.cli", "run", str(path), "--out",
                             "shared", "--executor", "serial", "-q"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 2, second.stderr
    assert f"(pid {first.pid})" in second.stderr, second.stderr
    assert verify(tmp_path / "shared").ok
    lone = run(load(path), out=tmp_path / "lone", executor="serial")
    assert (tmp_path / "shared" / "results.parquet").read_bytes() == \
        (lone.out / "results.parquet").read_bytes()
