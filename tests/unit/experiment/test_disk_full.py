"""A disk that fills mid-run: the run stops with one line naming the folder and the
cause, keeps every part it wrote whole, and the same command resumes to the bytes of an
uninterrupted run once there is room."""

from __future__ import annotations

import errno

import pytest

from kernsim.experiment import store
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.verify import verify

pytestmark = pytest.mark.scenario

#: 8 tasks; the disk fills after the third part
SWEEP = {"experiment": {"name": "full", "replications": 8}}


def test_a_full_disk_stops_the_run_cleanly_and_a_rerun_resumes_identically(
        experiment_file, tmp_path, cli, monkeypatch):
    path = experiment_file("x.toml", **SWEEP)
    monkeypatch.chdir(tmp_path)
    real, parts = store.atomic_write, []

    def filling(target, data, sync=True):
        if target.parent.name == "parts":
            if len(parts) == 3:
                tmp = target.with_name(f".{target.name}.tmp")
                tmp.write_bytes(data[: len(data) // 2])  # what a full disk leaves
                raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
            parts.append(target)
        real(target, data, sync)

    monkeypatch.setattr(store, "atomic_write", filling)
    full = cli("run", str(path), "--out", "out", "--executor", "serial", "-q")
    assert full.exit_code == 2, full.output
    (line,) = full.stderr.strip().splitlines()
    assert "No space left on device" in line and "out" in line, line
    assert "Traceback" not in full.output
    monkeypatch.setattr(store, "atomic_write", real)  # room again
    again = cli("run", str(path), "--out", "out", "--executor", "serial", "-q")
    assert again.exit_code == 0, again.output
    assert verify(tmp_path / "out").ok
    lone = run(load(path), out=tmp_path / "lone", executor="serial")
    assert (tmp_path / "out" / "results.parquet").read_bytes() == \
        (lone.out / "results.parquet").read_bytes()
