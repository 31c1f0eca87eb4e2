"""The results folder: atomic part files, a manifest, and the compacted table.

Layout of ``results/<name>/``::

    manifest.json      resolved config, hash, version, git commit, seed, times, tasks,
                       and the sha256 of every file below ("hashes", by relative path)
    parts/             one parquet file per finished task (written to a temp name, renamed)
    samples/           per-task sample rows (e.g. one per injected fault), if the model gives any
    series/            per-task time series (``experiment.sample_every``), if asked for
    results.parquet    the parts of the current replications, by (design_point, replication)
    samples.parquet    their sample rows, with ``sample`` (table name), design_point, replication
    series.parquet     their series: design_point, replication, t, dt, metric, value
    traces/            per-task spans of the traced replications (``experiment.trace``)
    trace.parquet      their spans, with design_point and replication (as samples.parquet)

The side folders and their compacted files are those of
:data:`kernsim.experiment.side_tables.SIDES`. Since format 2 (the manifest's
``format``) they are compacted in Arrow and keep the model's column types;
older folders (no ``format``) were compacted through pandas, which widened a
column null in another sample table's rows (int64 to float64, bool to object):
:func:`load_samples` casts those back (:mod:`kernsim.experiment.sampletypes`),
and ``kernsim verify`` compacts them the old way to check their bytes.

The current replications of a design point are ``0 … replications-1``; with a
precision target, ``0 … n-1`` with n per point (the manifest's
``replications_by_point``). Parts beyond are kept but not compacted.

A task is done exactly when its part file exists, so an interrupted run loses
nothing finished and the same command resumes. ``kernsim.experiment.verify``
checks a folder against its manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kernsim.errors import KernsimError
from kernsim.experiment import arguments, sampletypes
from kernsim.experiment.compaction import (
    FORMAT,
    Counts,
    compacted_bytes,
    frame_bytes,
    read_parts,
    results_frame,
    table_bytes,
)
from kernsim.experiment.manifest import Manifest
from kernsim.experiment.side_tables import SIDES, Side, take_outputs

PART = "dp{:05d}-r{:05d}.parquet"
#: a part file's name, as :data:`PART` writes it
PART_NAME = re.compile(r"^dp\d{5}-r\d{5}\.parquet$")
#: keys every kernsim manifest has (what makes a folder a kernsim results folder)
MANIFEST_KEYS = ("name", "config_hash", "status", "hashes", "tasks")


def atomic_write(path: Path, data: bytes, sync: bool = True) -> None:
    """Write to a temp name in the same folder, fsync (unless ``sync`` is False: the
    caller syncs later, see ``sync_files``), then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        if sync:
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def sync_files(paths: list[Path], folder: Path) -> None:
    """Make written files (and their renames) durable: one syncfs(2) of the folder's
    file system where Linux has it (≈10 ms for hundreds of files), else an fsync each
    (≈4 ms per file here)."""
    if not paths:
        return
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in paths:
        _fsync(path)
    for parent in {p.parent for p in paths}:
        _fsync(parent)


def _syncfs() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    return getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: the parquet metadata key that ties a part file to its experiment's config hash
CONFIG_KEY = b"kernsim.config_hash"


def part_config(path: Path) -> str | None:
    """The config hash a part file was written for (None: unreadable, or none recorded)."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException):
        return None
    value = meta.get(CONFIG_KEY)
    return value.decode() if value is not None else None


def put(path: Path, table: pa.Table, sync: bool = True) -> str:
    """Write ``table`` atomically to ``path``; return the sha256 of the bytes written."""
    data = table_bytes(table)
    atomic_write(path, data, sync)
    return hashlib.sha256(data).hexdigest()


def readable(path: Path) -> bool:
    try:
        pq.ParquetFile(path).read(use_threads=False)
    except (OSError, pa.ArrowException):
        return False
    return True


def is_results_manifest(manifest: Any) -> bool:
    """Whether ``manifest`` (parsed JSON) is a kernsim manifest: the keys every one has,
    with a hash and task table of the right kind."""
    return (isinstance(manifest, dict) and all(k in manifest for k in MANIFEST_KEYS)
            and isinstance(manifest["hashes"], dict) and isinstance(manifest["tasks"], dict)
            and isinstance(manifest["config_hash"], str))


class Store:
    """One results folder for one experiment (identified by its config hash)."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.parts = self.out / "parts"
        self.sides: dict[Side, Path] = {side: self.out / side.folder for side in SIDES}
        """Each side table and its folder of per-task files (written before the part,
        compacted alike)."""
        self.manifest_path = self.out / "manifest.json"
        self.unsynced: list[Path] = []  # parts written since the last manifest
        self.config_hash = ""
        """The hash of the config this run writes for (set by :meth:`open`)."""
        self.quarantined: list[tuple[str, str]] = []
        """(file, why) of the parts :meth:`open` moved to ``quarantine/``: their tasks rerun."""

    def manifest(self) -> dict:
        """The folder's manifest as written ({} when there is none)."""
        if not self.manifest_path.exists():
            return {}
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise KernsimError(f"{self.manifest_path}: not valid JSON ({err}); not a "
                               "readable kernsim results folder") from None

    def open(self, experiment: Any, overwrite: bool = False) -> Manifest:
        """Create or reopen the folder; refuse one that holds another experiment, one
        that is not a kernsim results folder, and a ``parts``/``samples`` that is a link."""
        old = self.check(experiment, overwrite)
        if old and old.get("config_hash") != experiment.config_hash:
            self.clear(old)
            old = {}
        self.config_hash = experiment.config_hash
        self.parts.mkdir(parents=True, exist_ok=True)
        self.sweep_temp()
        manifest = Manifest.start(experiment, old)
        self.check_parts(manifest)
        self.write_manifest(manifest)
        return manifest

    def check(self, experiment: Any, overwrite: bool = False) -> dict:
        """The refusals of :meth:`open`, reading only: run before the writer lock too, so a
        refused run writes nothing (:meth:`open` checks again, holding it). Returns the
        manifest there (empty if none)."""
        if self.out.exists() and not self.out.is_dir():
            raise KernsimError(f"--out {self.out}: exists and is not a folder")
        self._own_folders()
        old = self.manifest()
        if old and not is_results_manifest(old):
            raise KernsimError(f"{self.manifest_path}: not the manifest of a kernsim results "
                               "folder; refusing to write into (or --overwrite) this folder: "
                               "give --out a new folder")
        if old and old.get("config_hash") != experiment.config_hash and not overwrite:
            raise KernsimError(
                f"{self.out} holds results of a different configuration "
                f"(hash {old.get('config_hash')} vs {experiment.config_hash}); "
                "use --out DIR for a new folder or --overwrite to replace it")
        return old

    def _own_folders(self) -> None:
        """Refuse ``parts`` or a side folder (``samples``, …) as a symbolic link (or not a folder): writing,
        resuming or overwriting through it would touch files outside the results folder."""
        for folder in (self.parts, *self.sides.values()):
            if folder.is_symlink():
                raise KernsimError(f"{folder}: is a symbolic link; a results folder's parts "
                                   "must be its own (refusing to write or delete through it)")
            if folder.exists() and not folder.is_dir():
                raise KernsimError(f"{folder}: is not a folder")

    def sweep_temp(self) -> None:
        """Remove temp files of writes cut short (a killed run)."""
        for folder in (self.parts, *self.sides.values()):
            for path in folder.glob(".*.tmp") if folder.exists() else []:
                path.unlink(missing_ok=True)

    def check_parts(self, manifest: Manifest) -> None:
        """Trust no part file unchecked before a resume. A recorded one must still have
        the sha256 the manifest holds; one a killed run wrote after its last manifest
        flush must be readable and written for this config (its parquet metadata). Any
        other is moved to ``quarantine/`` (see :attr:`quarantined`) and its task runs
        again; hashes of files that are gone are forgotten."""
        hashes = manifest["hashes"]
        for rel in [r for r in hashes if not (self.out / r).exists()]:
            del hashes[rel]
        for path in self._data_files():
            rel = path.relative_to(self.out).as_posix()
            why = self._doubt(path, hashes.get(rel))
            if why:
                hashes.pop(rel, None)
                self._quarantine(path, rel, why)
            elif rel not in hashes:
                hashes[rel] = file_hash(path)

    def _doubt(self, path: Path, recorded: str | None) -> str:
        """Why ``path`` cannot be trusted ("" if it can)."""
        if recorded is not None:
            return "" if file_hash(path) == recorded else "its sha256 differs from the manifest's"
        if not readable(path):
            return "unreadable (cut short?)"
        written_for = part_config(path)
        if written_for != self.config_hash:
            return f"written for another configuration (hash {written_for or 'none'})"
        return ""

    def _quarantine(self, path: Path, rel: str, why: str) -> None:
        target = self.out / "quarantine" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        n = 0
        while target.exists():
            n += 1
            target = target.with_name(f"{path.stem}.{n}{path.suffix}")
        os.replace(path, target)
        self.quarantined.append((rel, why))

    def _data_files(self) -> list[Path]:
        return [p for folder in (self.parts, *self.sides.values()) if folder.exists()
                for p in sorted(folder.glob("dp*-r*.parquet"))]

    def hash_outputs(self, manifest: Manifest) -> None:
        """Record the sha256 of the compacted files :meth:`compact` wrote, and their format."""
        for name in ("results.parquet", *(side.compacted for side in SIDES)):
            if (self.out / name).exists():
                manifest["hashes"][name] = file_hash(self.out / name)
        manifest["format"] = FORMAT

    def clear(self, old: dict) -> None:
        """``--overwrite``: remove what the old run wrote: the files its manifest lists,
        part files by their own names (``dp#####-r#####.parquet``: a killed run's last
        parts may be unlisted), and the manifest. Never follows a link, never touches
        another file (``_own_folders`` has refused linked ``parts``/``samples``)."""
        listed = [self.out / rel for rel in old.get("hashes", {})]
        named = [p for folder in (self.parts, *self.sides.values()) if folder.is_dir()
                 for p in folder.glob("dp*-r*.parquet") if PART_NAME.match(p.name)]
        for path in [*listed, *named, self.manifest_path]:
            inside = path.resolve(strict=False).parent in (
                self.out.resolve(), *(f.resolve() for f in (self.parts, *self.sides.values())))
            if inside and not path.is_symlink() and path.is_file():
                path.unlink()

    def done(self) -> set[tuple[int, int]]:
        """(design point, replication) of every finished task."""
        out = set()
        for path in self.parts.glob("dp*-r*.parquet"):
            dp, rep = path.stem[2:].split("-r")
            out.add((int(dp), int(rep)))
        return out

    def write(self, row: dict) -> dict[str, str]:
        """Persist one finished task at once (atomic): its side tables first (their data
        taken out of ``row``, by :attr:`Side.key`), then the rest of the row, whose part
        file marks the task done. Returns {relative path: sha256}."""
        name = PART.format(row["design_point"], row["replication"])
        out, outputs = {}, take_outputs(row)
        for side, folder in self.sides.items():
            table = side.build(row, outputs.get(side.key))
            if table is not None:
                folder.mkdir(exist_ok=True)
                table = table.replace_schema_metadata(self._meta())
                out[f"{folder.name}/{name}"] = put(folder / name, table, False)
                self.unsynced.append(folder / name)
        table = pa.Table.from_pylist([row]).replace_schema_metadata(self._meta())
        out[f"parts/{name}"] = put(self.parts / name, table, False)
        self.unsynced.append(self.parts / name)
        return out

    def _meta(self) -> dict[bytes, bytes]:
        """A part's parquet metadata: the config it was written for."""
        return {CONFIG_KEY: self.config_hash.encode()}

    def write_manifest(self, manifest: Manifest) -> None:
        """Parts are synced in groups, here: the manifest never lists a part that a
        power cut could lose (one it does not list is checked on resume)."""
        sync_files(self.unsynced, self.out)
        self.unsynced.clear()
        text = json.dumps(manifest, indent=2, sort_keys=False, default=str)
        atomic_write(self.manifest_path, text.encode())

    def compact(self, replications: Counts) -> pd.DataFrame:
        """Merge parts of the current replications into results.parquet (through pandas,
        as ever) and each side table's parts into its compacted file (format
        :data:`FORMAT`); return the results frame, with ``_wall_s``."""
        df = results_frame(read_parts(self.part_paths()), replications)
        walls = df.pop("_wall_s") if "_wall_s" in df else None
        atomic_write(self.out / "results.parquet", frame_bytes(df))
        for side, folder in self.sides.items():
            paths = self.side_paths(folder)
            if paths:
                data = compacted_bytes(read_parts(paths), replications, FORMAT)
                atomic_write(self.out / side.compacted, data)
        return df if walls is None else df.assign(_wall_s=walls.values)

    def part_paths(self) -> list[Path]:
        return sorted(self.parts.glob("dp*-r*.parquet"))

    def read_rows(self, keys: list[tuple[int, int]]) -> list[dict]:
        """The rows of finished tasks (design point, replication), as dicts."""
        tables = read_parts([self.parts / PART.format(dp, rep) for dp, rep in keys])
        return [row for table in tables for row in table.to_pylist()]

    def side_paths(self, folder: Path) -> list[Path]:
        """Sample (or series) parts of finished tasks (a task killed between the writes
        has them but no part: it is not done, and they are not used)."""
        done = {p.name for p in self.part_paths()}
        return sorted(p for p in folder.glob("dp*-r*.parquet") if p.name in done)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_results(path: str | Path) -> pd.DataFrame:
    """The tidy results of a folder: one row per design point × replication.

    Reads ``results.parquet``; for a run that was interrupted before
    compaction, the finished part files instead. ``df.attrs["params"]`` names
    the swept columns (from the manifest).
    """
    path = arguments.path("path", path, "a results folder (or its results.parquet)")
    folder = path.parent if path.is_file() else path
    df = _read(path)
    manifest = Store(folder).manifest()
    points = manifest.get("design_points", [])
    df.attrs["params"] = [k for k in (points[0] if points else {}) if k != "design_point"]
    df.attrs["name"] = manifest.get("name")
    return df


def read_folder_file(path: str | Path, name: str, absent: str) -> tuple[Path, pd.DataFrame]:
    """``(folder, table)``: file ``name`` of the results folder ``path``; one line naming
    the folder, and ``absent`` (how to get one), when it has none."""
    folder = arguments.path("path", path, "a results folder")
    if not (folder / name).is_file():
        raise KernsimError(f"{folder}: no {name} ({absent})")
    return folder, read_parquet(folder / name)


def load_samples(path: str | Path, sample: str | None = None) -> pd.DataFrame:
    """Sample rows of a results folder (``samples.parquet``), optionally one table only
    (in the column types its model wrote: :func:`sampletypes.one_table`), with their
    design point's swept parameters as columns (named in ``df.attrs["params"]``)."""
    folder = arguments.path("path", path, "a results folder")
    if not (folder / "samples.parquet").is_file():
        raise KernsimError(f"{folder}: no samples.parquet (this experiment records no samples)")
    table, manifest = read_table(folder / "samples.parquet"), Store(folder).manifest()
    df = table.to_pandas() if sample is None else sampletypes.one_table(
        table, sample, folder, manifest.get("format", 1))
    return with_params(df, manifest.get("design_points", []))


def with_params(df: pd.DataFrame, points: list[dict]) -> pd.DataFrame:
    """Join each row's design-point parameters (those it does not have already)."""
    params = pd.DataFrame(points)
    keep = [c for c in params.columns if c == "design_point" or c not in df.columns]
    if len(keep) > 1:
        df = df.merge(params[keep], on="design_point", how="left")
    df.attrs["params"] = [c for c in params.columns if c != "design_point"]
    return df


def read_parquet(file: Path) -> pd.DataFrame:
    """A parquet file as a frame; a file that is not one is a KernsimError naming it."""
    try:
        return pd.read_parquet(file)
    except (OSError, pa.ArrowException) as exc:
        raise _unreadable(file, exc) from None


def read_table(file: Path) -> pa.Table:
    """A parquet file as an Arrow table (errors as :func:`read_parquet`)."""
    try:
        return pq.read_table(file)
    except (OSError, pa.ArrowException) as exc:
        raise _unreadable(file, exc) from None


def _unreadable(file: Path, exc: Exception) -> KernsimError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return KernsimError(f"{file}: not a readable parquet file ({reason})")


def _read(path: Path) -> pd.DataFrame:
    if path.is_file():
        return read_parquet(path)
    if (path / "results.parquet").exists():
        return read_parquet(path / "results.parquet")
    parts = sorted((path / "parts").glob("dp*-r*.parquet"))
    if not parts:
        raise KernsimError(f"{path}: no results (neither results.parquet nor parts/)")
    df = pd.concat([read_parquet(p) for p in parts], ignore_index=True)
    return df.drop(columns=["_wall_s"], errors="ignore").sort_values(
        ["design_point", "replication"], ignore_index=True
    )
