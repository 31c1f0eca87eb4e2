"""Check a results folder against its manifest (``kernsim verify DIR``).

- completeness: every (design point, replication) task of the manifest has
  exactly one part file, holding exactly its one row, and nothing else is there;
- integrity: every part and side-table file (``SIDES``: samples, series,
  traces) has the sha256 the manifest recorded;
- compaction: results.parquet and each side table's compacted file equal what
  compacting the parts gives now, in the folder's format (the manifest's
  ``format``: absent is 1, the pandas compaction of older folders).

The replications of a design point are ``0 … replications-1``, or, for a run
with a precision target, ``0 … n-1`` with ``n`` from the manifest's
``replications_by_point``; there every point must also meet the target at
``n`` or be listed in ``precision_unmet``. Parts of replications beyond
(left by a run that had more) are not in the results and only noted.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kernsim.experiment.compaction import (
    FORMAT,
    combine,
    compacted_bytes,
    frame_bytes,
    results_frame,
)
from kernsim.experiment.sequential import check
from kernsim.experiment.side_tables import Side
from kernsim.experiment.store import Store
from kernsim.experiment.writerlock import shown_status

NAME = re.compile(r"^dp(\d{5})-r(\d{5})\.parquet$")


@dataclass
class Verdict:
    folder: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tasks: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Part:
    rel: str
    key: tuple[int, int]
    table: pa.Table | None


def verify(folder: str | Path) -> Verdict:
    """Everything wrong with ``folder`` (``problems``) and worth knowing (``notes``)."""
    store = Store(folder)
    verdict = Verdict(store.out)
    manifest = store.manifest()
    if not manifest:
        verdict.problems.append(f"{store.out}: no manifest.json (not a results folder?)")
        return verdict
    points = {p["design_point"] for p in manifest.get("design_points", [])}
    reps = counts(manifest, points)
    verdict.tasks = sum(reps.values())
    hashes = dict(manifest.get("hashes", {}))
    parts = _read(store.parts, "parts", hashes, verdict)
    sides = {s: _read(f, s.folder, hashes, verdict) for s, f in store.sides.items()}
    _completeness(parts, points, reps, manifest, verdict)
    for rel in sorted(hashes):
        if rel.startswith(("parts/", *(f"{side.folder}/" for side in sides))):
            verdict.problems.append(f"{rel}: recorded in the manifest, but the file is missing")
    _compaction(store, parts, sides, reps, manifest, verdict)
    _pilots(store, manifest, verdict)
    _precision(store, manifest, verdict)
    status = manifest.get("status")
    if status != "complete":
        shown = shown_status(store.out, status)
        why = (" (recorded 'running', but no run holds the folder: it was killed or crashed; "
               "rerun `kernsim run` to resume)" if shown != status else "")
        verdict.problems.append(f"manifest status is {shown!r}, not 'complete'{why}")
    return verdict


def counts(manifest: dict, points: set) -> dict[int, int]:
    """Replications in the results, by design point."""
    by_point = manifest.get("replications_by_point")
    if by_point is None:
        return dict.fromkeys(points, manifest.get("replications", 0))
    return {dp: int(by_point.get(str(dp), 0)) for dp in points}


def _read(folder: Path, prefix: str, hashes: dict, verdict: Verdict) -> list[Part]:
    """Hash-check and parse every file of ``folder``; flag files that do not belong.
    Removes the hashes it checked from ``hashes`` (what stays has no file)."""
    out = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        rel = f"{prefix}/{path.name}"
        match = NAME.match(path.name)
        if not match or not path.is_file():
            verdict.problems.append(f"{rel}: unexpected file (not a part)")
            continue
        data = path.read_bytes()
        _hash(rel, data, hashes.pop(rel, None), verdict)
        out.append(Part(rel, (int(match[1]), int(match[2])), _table(rel, data, verdict)))
    return out


def _hash(rel: str, data: bytes, recorded: str | None, verdict: Verdict) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if recorded is None:
        verdict.problems.append(f"{rel}: no sha256 recorded in the manifest")
    elif recorded != actual:
        verdict.problems.append(f"{rel}: sha256 {actual[:12]}… differs from the manifest's "
                                f"{recorded[:12]}… (file changed or corrupt)")


def _table(rel: str, data: bytes, verdict: Verdict) -> pa.Table | None:
    try:
        return pq.ParquetFile(io.BytesIO(data)).read(use_threads=False)
    except (OSError, pa.ArrowException) as exc:
        verdict.problems.append(f"{rel}: not a readable parquet file ({exc})")
        return None


def _completeness(parts: list[Part], points: set, reps: dict[int, int], manifest: dict,
                  verdict: Verdict) -> None:
    present = set()
    for part in parts:
        _check_rows(part, verdict)
        dp, rep = part.key
        if dp not in points:
            verdict.problems.append(f"{part.rel}: extra: design point {dp} is not in the manifest")
        elif rep >= reps[dp]:
            verdict.notes.append(f"{part.rel}: replication {rep} ≥ replications = {reps[dp]}: "
                                 "kept, not in the results")
        else:
            present.add(part.key)
    missing = {(dp, r) for dp in points for r in range(reps[dp])} - present
    failed = {(f["design_point"], f["replication"]): f for f in manifest.get("failures", [])}
    for dp, reps_missing in _by_point(missing).items():
        verdict.problems.append(f"missing: design point {dp}, replication(s) "
                                f"{_ranges(reps_missing)} ({len(reps_missing)} task(s))")
    for key in sorted(missing & set(failed)):
        last = failed[key]["error"].strip().splitlines()[-1]
        verdict.notes.append(f"design point {key[0]} replication {key[1]} failed: {last}")


def _check_rows(part: Part, verdict: Verdict) -> None:
    if part.table is None:
        return
    if part.table.num_rows != 1:
        verdict.problems.append(f"{part.rel}: {part.table.num_rows} rows (a part holds one task)")
        return
    cols = set(part.table.column_names)
    if not {"design_point", "replication"} <= cols:
        verdict.problems.append(f"{part.rel}: no design_point/replication columns")
        return
    key = (part.table["design_point"][0].as_py(), part.table["replication"][0].as_py())
    if key != part.key:
        verdict.problems.append(f"{part.rel}: holds design point {key[0]} replication {key[1]}")


def _by_point(keys: set) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for dp, rep in sorted(keys):
        out.setdefault(dp, []).append(rep)
    return out


def _ranges(values: list[int]) -> str:
    """[0, 1, 2, 5] -> '0–2, 5'."""
    spans: list[list[int]] = []
    for v in values:
        if spans and v == spans[-1][1] + 1:
            spans[-1][1] = v
        else:
            spans.append([v, v])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def _compaction(store: Store, parts: list[Part], sides: dict[Side, list[Part]],
                reps: dict[int, int], manifest: dict, verdict: Verdict) -> None:
    tables = [p.table for p in parts if p.table is not None]
    df = results_frame(combine(tables), reps).drop(columns=["_wall_s"], errors="ignore")
    _same(store.out / "results.parquet", frame_bytes(df), manifest, verdict)
    form = manifest.get("format", 1)
    if not isinstance(form, int) or not 1 <= form <= FORMAT:
        verdict.problems.append(f"manifest format {form!r}: not one this kernsim reads "
                                f"(1 to {FORMAT}); its compacted side tables are unchecked")
        return
    done = {Path(p.rel).name for p in parts}
    for side, side_parts in sides.items():
        used = [p.table for p in side_parts if p.table is not None and Path(p.rel).name in done]
        if used:
            _same(store.out / side.compacted, compacted_bytes(combine(used), reps, form),
                  manifest, verdict)


def _pilots(store: Store, manifest: dict, verdict: Verdict) -> None:
    """``warmup.parquet`` (the pilots of warmup = "auto") has the sha256 recorded."""
    path, recorded = store.out / "warmup.parquet", manifest.get("hashes", {}).get("warmup.parquet")
    if recorded is None:
        if path.exists():
            verdict.problems.append("warmup.parquet: no sha256 recorded in the manifest")
    elif not path.exists():
        verdict.problems.append("warmup.parquet: recorded in the manifest, but the file is missing")
    else:
        _hash("warmup.parquet", path.read_bytes(), recorded, verdict)


def _same(path: Path, expected: bytes, manifest: dict, verdict: Verdict) -> None:
    if not path.exists():
        verdict.problems.append(f"{path.name}: missing (status {manifest.get('status')!r}); "
                                "run the same command again to finish the run")
        return
    data = path.read_bytes()
    recorded = manifest.get("hashes", {}).get(path.name)
    if recorded and recorded != hashlib.sha256(data).hexdigest():
        verdict.problems.append(f"{path.name}: sha256 differs from the manifest's")
    if data == expected:
        return
    have, want = pq.read_table(io.BytesIO(data)), pq.read_table(io.BytesIO(expected))
    if have.equals(want):
        verdict.notes.append(f"{path.name}: same rows as the compaction of the parts, "
                             "encoded differently (another pyarrow version?)")
    else:
        verdict.problems.append(f"{path.name}: differs from the compaction of the parts "
                                f"({have.num_rows} rows vs {want.num_rows})")


def _precision(store: Store, manifest: dict, verdict: Verdict) -> None:
    """Every design point meets the precision target at its count, or is listed as unmet."""
    spec = (manifest.get("config", {}).get("experiment") or {}).get("precision")
    path = store.out / "results.parquet"
    if not spec or "replications_by_point" not in manifest or not path.exists():
        return
    if "experiment.precision" in json.dumps(manifest["config"].get("sweep")):
        return  # swept targets: each point has its own, not the base config's
    df = pq.read_table(path).to_pandas()
    unmet = {(u["design_point"], u["metric"]) for u in manifest.get("precision_unmet", [])}
    for dp, group in df.groupby("design_point", sort=True):
        for metric in spec["metric"]:
            if metric not in group or (dp, metric) in unmet:
                continue
            c = check(list(group[metric]), spec["relative_half_width"], spec["level"])
            if not c["met"]:
                verdict.problems.append(
                    f"design point {dp}: {metric} half-width {c['half_width']:.4g} > target "
                    f"{c['target']:.4g} at {len(group)} replications, yet not in precision_unmet")
