"""Every third-party module the package or a notebook imports is a declared dependency
(deptry, configured in pyproject.toml's [tool.deptry]), and the lock file pins it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPTRY = Path(sys.executable).with_name("deptry")


def deptry(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(DEPTRY), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def test_every_import_of_the_package_and_notebooks_is_declared():
    proc = deptry("model", "notebooks")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_check_catches_an_undeclared_import(tmp_path):
    """The same configuration flags a module that imports an undeclared package
    (click: installed here only because dask's distributed needs it)."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    package = tmp_path / "model" / "kernsim"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("import click\nimport numpy\n")
    proc = deptry("model", cwd=tmp_path)
    assert proc.returncode == 1
    assert "'click'" in proc.stdout + proc.stderr
    assert "'numpy'" not in proc.stdout + proc.stderr


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-")
            for r in requirements}


def test_every_declared_dependency_is_pinned_in_the_lock_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _names(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared |= _names(extra)
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {m.group(1).lower().replace("_", "-")
              for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", lock, re.MULTILINE)}
    assert declared - pinned == set()


@pytest.mark.parametrize("module", ["click", "typer"])
def test_the_cli_does_not_need_click_or_typer(module):
    """The command line is argparse: no CLI framework's release can change it."""
    sources = "\n".join(p.read_text() for p in (ROOT / "model").rglob("*.py"))
    assert not re.search(rf"^\s*(import|from) {module}\b", sources, re.MULTILINE)
