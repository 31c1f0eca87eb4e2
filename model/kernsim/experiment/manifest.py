"""``manifest.json``: how a results folder's rows were made, and how far the run got.

:class:`Manifest` is the one type that knows the file's keys; the runner changes
it only through its methods, :class:`kernsim.experiment.store.Store` reads and
writes it. It is a ``dict`` (the JSON document itself), so readers index it.

Keys: ``name``, ``status`` (running, interrupted, failed, complete),
``config_hash``, ``config`` (resolved), ``source_file``, ``root_seed``,
``replications``, ``design_points``, ``version``, ``git``, ``platform``,
``versions`` (python and the packages that can change a result's bytes),
``started``, ``runs`` (one entry per invocation), ``ended``, ``tasks`` (wall
seconds per ``dp/rep``), ``hashes`` (sha256 per file), ``failures``; with a
precision target also ``replications_by_point`` and ``precision_unmet``; once
compacted, ``format``, how the compacted side tables were written (absent: 1,
see :data:`kernsim.experiment.compaction.FORMAT`).
"""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from kernsim.version import __version__


class Manifest(dict):
    """The manifest of one run of one experiment (see the module docstring for keys)."""

    @classmethod
    def start(cls, experiment: Any, old: dict) -> Manifest:
        """A new run of ``experiment``; a resumed folder's ``old`` manifest keeps its
        start, runs, task times and hashes."""
        return cls(_new(experiment, old))

    def record_task(self, design_point: int, replication: int, wall_s: float,
                    hashes: dict[str, str]) -> None:
        """A finished task: its files' hashes and its wall time."""
        self["hashes"].update(hashes)
        self["tasks"][f"{design_point}/{replication}"] = round(wall_s, 6)

    def backfill(self, design_point: int, replication: int, wall_s: float) -> None:
        """The wall time of a task a killed run finished after its last manifest."""
        self["tasks"].setdefault(f"{design_point}/{replication}", round(float(wall_s), 6))

    def mean_wall(self) -> float | None:
        """Mean wall seconds of the tasks recorded so far (None before the first)."""
        walls = list(self.get("tasks", {}).values())
        return sum(walls) / len(walls) if walls else None

    def log_run(self, started: str, tasks_run: int, **settings: Any) -> None:
        """One invocation: when, how (executor, workers, scheduler), how many tasks."""
        self["runs"].append({"started": started, "ended": now(), **settings,
                             "tasks_run": tasks_run})

    def precision(self, replications: dict[int, int], unmet: list[dict]) -> None:
        """Sequential replications: the count per design point, the points that missed."""
        self["replications_by_point"] = {str(k): v for k, v in replications.items()}
        self["precision_unmet"] = unmet

    def interrupted(self, failures: list[dict]) -> None:
        """The run stopped before its end: a rerun resumes it."""
        self["failures"] = failures
        self["status"] = "interrupted"

    def finished(self, failures: list[dict]) -> None:
        """Every task ran: ``failed`` if some raised, else ``complete``."""
        self["failures"] = failures
        self["status"] = "failed" if failures else "complete"
        self["ended"] = now()


def _new(experiment: Any, old: dict) -> dict:
    """What the folder records about how its results were made."""
    return {
        "name": experiment.name,
        "status": "running",
        "config_hash": experiment.config_hash,
        "config": experiment.resolved(),
        "source_file": str(experiment.path) if experiment.path else None,
        "root_seed": experiment.config.experiment.seed,
        "streams": streams(experiment),
        "replications": experiment.replications,
        "design_points": [{"design_point": p.index, **p.params} for p in experiment.points],
        "version": __version__,
        "git": git_info(),
        "platform": {
            "python": sys.version.split()[0],
            "system": platform.platform(),
            "machine": platform.machine(),
        },
        "versions": versions(),
        "started": old.get("started") or now(),
        "runs": old.get("runs", []),
        "ended": None,
        "tasks": old.get("tasks", {}),
        "hashes": old.get("hashes", {}),
        "failures": [],
        **({"format": old["format"]} if "format" in old else {}),  # of the files there
    }


def streams(experiment: Any) -> str:
    """How the replications' random streams relate, in one sentence."""
    swept = any("experiment.seed" in p.params for p in experiment.points)
    crn = experiment.config.experiment.common_random_numbers
    if crn and swept:
        return ("common random numbers across the points that share experiment.seed; "
                "independent streams across its swept values (CRN off on that axis)")
    if crn:
        return "common random numbers: replication r draws the same streams at every point"
    return "independent streams per design point (common_random_numbers = false)"


#: the packages whose versions can change a result's bytes
RECORDED = ("simpy", "numpy", "scipy", "pandas", "pyarrow", "pydantic")


def versions() -> dict[str, str | None]:
    """python and each package of ``RECORDED``, as installed (None: not installed)."""
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in RECORDED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def git_info() -> dict:
    """Commit and dirty flag of the kernsim source tree, if kernsim runs from a git
    checkout of its own (an editable install); None for an installed wheel, even one
    that sits inside some other repository."""
    root = Path(__file__).resolve().parents[3]  # <root>/model/kernsim/experiment/manifest.py
    try:
        if Path(_git(root, "rev-parse", "--show-toplevel")).resolve() != root or not (
                root / "model" / "kernsim").is_dir():
            return {"commit": None, "dirty": None}
        commit = _git(root, "rev-parse", "HEAD")
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def _git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                         check=True, timeout=10)
    return out.stdout.strip()
