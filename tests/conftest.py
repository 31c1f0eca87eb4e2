"""Shared fixtures: experiment files made from tests/fixtures/, results folders, and the
``kernsim`` command (in a subprocess or in this process)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from experiment_files import RUNNER_SWEEP, experiment_text


def run_kernsim(*args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """``kernsim ARGS`` in a fresh interpreter, in ``cwd``; text output, never raises."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    env.update(NO_COLOR="1", PYTHONIOENCODING="utf-8", TERM="dumb")
    return subprocess.run([sys.executable, "-m", "kernsim.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8", env=env,
                          timeout=timeout, check=False)


@pytest.fixture
def kernsim(tmp_path):
    """Run the CLI with the test's tmp_path as working folder (nothing lands in the repo)."""

    def call(*args, timeout: float = 120) -> subprocess.CompletedProcess:
        return run_kernsim(*args, cwd=tmp_path, timeout=timeout)

    return call


@pytest.fixture
def tiny() -> str:
    """The text of tests/fixtures/tiny.toml, a one-station experiment that runs in milliseconds."""
    return experiment_text("tiny")


@dataclass
class Invoked:
    """What one in-process ``kernsim`` call did."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def cli(capsys):
    """``cli(*args)``: ``kernsim ARGS`` in this process (so monkeypatches apply)."""
    from kernsim.cli import main

    def call(*args) -> Invoked:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Invoked(code, captured.out, captured.err)

    return call


@pytest.fixture
def write(tmp_path):
    """``write(name, text)`` -> path of a file under tmp_path (text is dedented)."""

    def put(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return put


@pytest.fixture
def experiment_file(write):
    """``experiment_file(name="x.toml", base="tiny", drop=(), **tables)`` -> the path of a
    file under tmp_path: the fixture ``tests/fixtures/<base>.toml`` with ``tables`` merged
    over it (``experiment_files.experiment_text``)."""

    def make(name: str = "x.toml", base: str = "tiny", drop=(), **tables) -> Path:
        return write(name, experiment_text(base, drop, **tables))

    return make


@pytest.fixture
def sweep_file(experiment_file) -> Path:
    """tmp_path/x.toml: the runner's two-design-point sweep (``RUNNER_SWEEP``)."""
    return experiment_file("x.toml", "sweep", **RUNNER_SWEEP)


@pytest.fixture
def sweep_run(sweep_file, tmp_path) -> Path:
    """tmp_path/out: ``sweep_file`` run once, serially (2 design points × 3 replications)."""
    from kernsim.experiment.load import load
    from kernsim.experiment.runner import run

    return run(load(sweep_file), out=tmp_path / "out", executor="serial").out
