"""The side-table registry and the compacted files' format: a run writing two sample
tables ("faults" and "latency_histogram") keeps their int64 and bool columns in
samples.parquet (format 2, Arrow); a folder written before the format was recorded
(format 1, compacted through pandas) still loads with restored types and verifies."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from experiment_files import ROOT

import kernsim
from kernsim.experiment.compaction import FORMAT, compact_table, compacted_bytes, read_parts
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.side_tables import SIDES
from kernsim.experiment.store import Store, file_hash
from kernsim.experiment.verify import verify

#: c4_fault_injection, shortened: every task writes "faults" and "latency_histogram" rows
C4 = (ROOT / "experiments/c4_fault_injection.toml",
      ["experiment.replications=2", 'experiment.duration="20ms"'])


@pytest.fixture(scope="module")
def c4(tmp_path_factory):
    """A complete, seeded c4 results folder written by this kernsim (format 2)."""
    out = tmp_path_factory.mktemp("c4") / "new"
    run(load(*C4), out=out, executor="serial")
    return out


def as_format_1(folder, to):
    """A copy of ``folder`` as kernsim wrote it before the format was recorded: the side
    tables compacted through pandas, their hashes, and no ``format`` in the manifest."""
    shutil.copytree(folder, to)
    store = Store(to)
    manifest = store.manifest()
    reps = manifest["replications"]
    for side, side_folder in store.sides.items():
        paths = store.side_paths(side_folder)
        if paths:
            (to / side.compacted).write_bytes(compacted_bytes(read_parts(paths), reps, 1))
            manifest["hashes"][side.compacted] = file_hash(to / side.compacted)
    del manifest["format"]
    store.manifest_path.write_text(json.dumps(manifest, indent=2))
    return to


def test_side_tables_are_declared_once_with_distinct_folders_files_and_keys(tmp_path):
    store = Store(tmp_path)
    assert [folder.name for folder in store.sides.values()] == [s.folder for s in SIDES]
    for attr in ("folder", "compacted", "key"):
        assert len({getattr(s, attr) for s in SIDES}) == len(SIDES)


def test_a_run_writing_two_sample_tables_keeps_int64_and_bool_in_samples_parquet(c4):
    schema = pq.read_schema(c4 / "samples.parquet")
    assert set(pq.read_table(c4 / "samples.parquet")["sample"].to_pylist()) == {
        "faults", "latency_histogram"}
    assert schema.field("count").type == pa.int64()  # null in the faults rows
    assert schema.field("blast_radius_components").type == pa.int64()  # null in histograms
    assert schema.field("system_down").type == pa.bool_()
    assert json.loads((c4 / "manifest.json").read_text())["format"] == FORMAT == 2


def test_load_samples_gives_each_table_of_a_new_folder_its_model_types(c4):
    faults = kernsim.load_samples(c4, "faults")
    hist = kernsim.load_samples(c4, "latency_histogram")
    assert faults["blast_radius_components"].dtype == np.int64
    assert faults["system_down"].dtype == bool
    assert hist["count"].dtype == np.int64 and hist["upper"].dtype == np.float64
    assert not {"lower", "upper", "count"} & set(faults.columns)


def test_a_new_folder_verifies(c4):
    verdict = verify(c4)
    assert verdict.ok, verdict.problems
    assert not verdict.notes


def test_an_old_format_folder_loads_with_restored_types_and_verifies(c4, tmp_path, cli):
    old = as_format_1(c4, tmp_path / "old")
    widened = pq.read_schema(old / "samples.parquet")
    assert widened.field("count").type == pa.float64()  # what format 1 holds
    faults = kernsim.load_samples(old, "faults")
    assert faults["blast_radius_components"].dtype == np.int64
    assert faults["system_down"].dtype == bool
    assert kernsim.load_samples(old, "latency_histogram")["count"].dtype == np.int64
    verdict = verify(old)
    assert verdict.ok, verdict.problems
    assert not verdict.notes
    assert cli("verify", old).exit_code == 0


def test_an_old_format_folder_with_new_format_files_fails_verify(c4, tmp_path):
    """Format 1 is checked against the pandas compaction, not the Arrow one."""
    old = tmp_path / "old"
    shutil.copytree(c4, old)
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["format"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert any(p.startswith("samples.parquet: differs from the compaction")
               for p in verify(old).problems)


def test_rerunning_an_old_format_folder_rewrites_it_in_the_new_format(c4, tmp_path):
    old = as_format_1(c4, tmp_path / "old")
    result = run(load(*C4), out=old, executor="serial")
    assert result.ran == 0
    assert (old / "samples.parquet").read_bytes() == (c4 / "samples.parquet").read_bytes()
    assert json.loads((old / "manifest.json").read_text())["format"] == FORMAT
    assert verify(old).ok


def test_an_unknown_format_is_a_verify_problem(c4, tmp_path):
    folder = tmp_path / "future"
    shutil.copytree(c4, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["format"] = FORMAT + 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert f"manifest format {FORMAT + 1}: not one this kernsim reads" in "\n".join(
        verify(folder).problems)


def test_compact_table_keeps_the_rows_of_current_replications_and_their_types():
    """Per-point counts (sequential replications): points not listed have none."""
    a = pa.table({"sample": ["x", "x"], "design_point": [0, 0], "replication": [0, 1],
                  "n": pa.array([1, 2], pa.int64())})
    b = pa.table({"sample": ["y", "y"], "design_point": [1, 2], "replication": [0, 0],
                  "ok": [True, False]})
    table = compact_table([a, b], {0: 1, 1: 1})
    assert table.to_pydict() == {"sample": ["x", "y"], "design_point": [0, 1],
                                 "replication": [0, 0], "n": [1, None], "ok": [None, True]}
    assert table.schema.field("n").type == pa.int64()
    assert table.schema.field("ok").type == pa.bool_()
    assert compact_table([a, b], 1).num_rows == 3
