"""``kernsim.experiment.manifest``: what a results folder's manifest.json records."""

from __future__ import annotations

import json
import platform
from importlib import metadata

import kernsim
from kernsim.experiment.load import load


def manifest(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def test_manifest_records_config_identity_environment_and_task_times(sweep_run):
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
