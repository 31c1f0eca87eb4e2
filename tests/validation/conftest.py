"""Fixtures shared by the validation cases."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from . import cases


@pytest.fixture(scope="session")
def share_dir(tmp_path_factory) -> Path | None:
    """A directory every pytest-xdist worker of this run sees (None without xdist).

    pytest-xdist's default (load) scheduling hands the tests of one module to
    both workers, so each would run the case's module-scoped fixture; through
    this directory they split the replications instead (``cases.run_tasks``).
    The parent of a worker's base temp is the run's own base temp, which pytest
    rotates, so nothing outlives a few runs.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    path = tmp_path_factory.getbasetemp().parent / "kernsim-validation"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def run_case(share_dir) -> Callable[[str], list[dict]]:
    """``run_case(name)``: every replication of a case; fails if the model raised."""

    def run(name: str) -> list[dict]:
        rows = cases.rows(name, share_dir)
        failed = cases.errors(rows)
        if failed:
            pytest.fail(f"the model raised in {len(failed)} replication(s) of {name}:\n"
                        + "\n".join(failed[:3]), pytrace=False)
        return rows

    return run
