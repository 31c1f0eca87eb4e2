"""The package reads bottom-up: the import contracts in pyproject.toml's
[tool.importlinter] (layer order, no cycles between siblings) hold, and the
check is live: an upward import or a cycle in a copy of the package breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path, source: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(source)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_the_package_keeps_its_import_contracts():
    proc = lint(ROOT, ROOT / "model")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize("module,line,broken", [
    ("engine/units.py", "import kernsim.experiment.runner", "kernsim.engine is not allowed"),
    ("engine/units.py", "import kernsim.engine.streams",
     "No cycles: no module imports a sibling that imports it back BROKEN"),
], ids=["upward", "cycle"])
def test_a_broken_contract_is_caught(tmp_path, module, line, broken):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "model" / "kernsim", tmp_path / "model" / "kernsim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "model" / "kernsim" / module
    target.write_text(target.read_text() + f"\n{line}\n")
    if broken.startswith("No cycles"):  # streams imports units back: a cycle
        streams = tmp_path / "model" / "kernsim" / "engine" / "streams.py"
        streams.write_text(streams.read_text() + "\nimport kernsim.engine.units\n")
    proc = lint(tmp_path, tmp_path / "model")
    assert proc.returncode == 1
    assert broken in proc.stdout
