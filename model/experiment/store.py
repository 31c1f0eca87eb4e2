"""The results folder: atomic part files, a manifest, and the compacted table.

Layout of ``results/<name>/``::

    manifest.json      resolved config, hash, version, git commit, seed, times, tasks
    parts/             one parquet file per finished task (written to a temp name, renamed)
    samples/           per-task sample rows (e.g. one per injected fault), if the model gives any
    results.parquet    all parts, sorted by (design_point, replication)
    samples.parquet    all sample rows, with ``sample`` (table name), design_point, replication

A task is done exactly when its part file exists, so an interrupted run loses
nothing finished and the same command resumes.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.errors import KernsimError

PART = "dp{:05d}-r{:05d}.parquet"


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp name in the same folder, fsync, then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def table_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


class Store:
    """One results folder for one experiment (identified by its config hash)."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.parts = self.out / "parts"
        self.samples = self.out / "samples"
        self.manifest_path = self.out / "manifest.json"

    def manifest(self) -> dict:
        if not self.manifest_path.exists():
            return {}
        return json.loads(self.manifest_path.read_text())

    def open(self, experiment: Any, overwrite: bool = False) -> dict:
        """Create or reopen the folder; refuse one that holds another experiment."""
        old = self.manifest()
        if old and old.get("config_hash") != experiment.config_hash:
            if not overwrite:
                raise KernsimError(
                    f"{self.out} holds results of a different configuration "
                    f"(hash {old.get('config_hash')} vs {experiment.config_hash}); "
                    "use --out DIR for a new folder or --overwrite to replace it"
                )
            self.clear()
            old = {}
        self.parts.mkdir(parents=True, exist_ok=True)
        manifest = new_manifest(experiment, old)
        self.write_manifest(manifest)
        return manifest

    def clear(self) -> None:
        for path in list(self.parts.glob("*.parquet")) if self.parts.exists() else []:
            path.unlink()
        for path in list(self.samples.glob("*.parquet")) if self.samples.exists() else []:
            path.unlink()
        for name in ("results.parquet", "samples.parquet", "manifest.json"):
            (self.out / name).unlink(missing_ok=True)

    def done(self) -> set[tuple[int, int]]:
        """(design point, replication) of every finished task."""
        out = set()
        for path in self.parts.glob("dp*-r*.parquet"):
            dp, rep = path.stem[2:].split("-r")
            out.add((int(dp), int(rep)))
        return out

    def write(self, row: dict, samples: dict[str, list[dict]] | None = None) -> None:
        """Persist one finished task at once (atomic): its samples first, then its row,
        whose part file marks the task done."""
        name = PART.format(row["design_point"], row["replication"])
        if samples:
            self.samples.mkdir(exist_ok=True)
            rows = [{"sample": table, "design_point": row["design_point"],
                     "replication": row["replication"], **r}
                    for table, items in samples.items() for r in items]
            atomic_write(self.samples / name, table_bytes(pa.Table.from_pylist(rows)))
        atomic_write(self.parts / name, table_bytes(pa.Table.from_pylist([row])))

    def write_manifest(self, manifest: dict) -> None:
        text = json.dumps(manifest, indent=2, sort_keys=False, default=str)
        atomic_write(self.manifest_path, text.encode())

    def compact(self, replications: int) -> pd.DataFrame:
        """Merge parts of the current replications into results.parquet; return the frame."""
        paths = sorted(self.parts.glob("dp*-r*.parquet"))
        frames = [pq.read_table(p).to_pandas() for p in paths]
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if len(df):
            df = df[df["replication"] < replications]
            df = df.sort_values(["design_point", "replication"], kind="stable")
            df = df.reset_index(drop=True)
        walls = df.pop("_wall_s") if "_wall_s" in df else None
        table = pa.Table.from_pandas(df, preserve_index=False)
        atomic_write(self.out / "results.parquet", table_bytes(table))
        self._compact_samples(replications)
        return df if walls is None else df.assign(_wall_s=walls.values)

    def _compact_samples(self, replications: int) -> None:
        done = {p.name for p in self.parts.glob("dp*-r*.parquet")}
        paths = sorted(p for p in self.samples.glob("dp*-r*.parquet") if p.name in done)
        if not paths:
            return
        df = pd.concat([pq.read_table(p).to_pandas() for p in paths], ignore_index=True)
        df = df[df["replication"] < replications].reset_index(drop=True)
        atomic_write(self.out / "samples.parquet",
                     table_bytes(pa.Table.from_pandas(df, preserve_index=False)))


def new_manifest(experiment: Any, old: dict) -> dict:
    """What the folder records about how its results were made."""
    from model import __version__

    return {
        "name": experiment.name,
        "status": "running",
        "config_hash": experiment.config_hash,
        "config": experiment.resolved(),
        "source_file": str(experiment.path) if experiment.path else None,
        "root_seed": experiment.config.experiment.seed,
        "replications": experiment.replications,
        "design_points": [{"design_point": p.index, **p.params} for p in experiment.points],
        "version": __version__,
        "git": git_info(),
        "platform": {
            "python": sys.version.split()[0],
            "system": platform.platform(),
            "machine": platform.machine(),
        },
        "started": old.get("started") or now(),
        "runs": old.get("runs", []),
        "ended": None,
        "tasks": old.get("tasks", {}),
        "failures": [],
    }


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def git_info() -> dict:
    """Commit and dirty flag of the kernsim source tree, if it is a git checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def _git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                         check=True, timeout=10)
    return out.stdout.strip()


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_results(path: str | Path) -> pd.DataFrame:
    """The tidy results of a folder: one row per design point × replication.

    Reads ``results.parquet``; for a run that was interrupted before
    compaction, the finished part files instead. ``df.attrs["params"]`` names
    the swept columns (from the manifest).
    """
    path = Path(path)
    folder = path.parent if path.is_file() else path
    df = _read(path)
    manifest = Store(folder).manifest()
    points = manifest.get("design_points", [])
    df.attrs["params"] = [k for k in (points[0] if points else {}) if k != "design_point"]
    df.attrs["name"] = manifest.get("name")
    return df


def load_samples(path: str | Path, sample: str | None = None) -> pd.DataFrame:
    """Sample rows of a results folder (``samples.parquet``), optionally one table only."""
    path = Path(path)
    file = path / "samples.parquet"
    if not file.exists():
        raise KernsimError(f"{path}: no samples.parquet (this experiment records no samples)")
    df = pd.read_parquet(file)
    if sample is not None:
        df = df[df["sample"] == sample].dropna(axis=1, how="all").reset_index(drop=True)
    return df


def _read(path: Path) -> pd.DataFrame:
    if path.is_file():
        return pd.read_parquet(path)
    if (path / "results.parquet").exists():
        return pd.read_parquet(path / "results.parquet")
    parts = sorted((path / "parts").glob("dp*-r*.parquet"))
    if not parts:
        raise KernsimError(f"{path}: no results (neither results.parquet nor parts/)")
    df = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return df.drop(columns=["_wall_s"], errors="ignore").sort_values(
        ["design_point", "replication"], ignore_index=True
    )
