"""``kernsim.experiment.store``: the results table and the per-task sample rows
(``_samples``), which land in samples.parquet atomically and reproducibly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from experiment_files import ROOT

import kernsim
from kernsim.dependability.fast import Rows
from kernsim.errors import KernsimError
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.side_tables import sample_table


def _run(experiment_file, tmp_path, name, executor):
    """tests/fixtures/faults_sweep.toml run into tmp_path/name."""
    exp = load(experiment_file("f.toml", "faults_sweep"))
    return run(exp, out=tmp_path / name, executor=executor, workers=2).out


def test_load_results_has_one_row_per_task_and_the_swept_column(sweep_run):
    df = kernsim.load_results(sweep_run)
    assert len(df) == 2 * 3
    assert list(zip(df["design_point"], df["replication"])) == [
        (dp, r) for dp in range(2) for r in range(3)]
    assert df.attrs["params"] == ["components.cpu.servers"]
    assert df.groupby("design_point")["components.cpu.servers"].unique().map(list).tolist() == [
        [1], [2]]


def test_samples_parquet_has_one_row_per_fault_keyed_by_task(experiment_file, tmp_path):
    out = _run(experiment_file, tmp_path, "a", "serial")
    samples = kernsim.load_samples(out, "faults")
    results = kernsim.load_results(out)
    per_task = samples.groupby(["design_point", "replication"]).size()
    assert set(per_task.index) == set(zip(results.design_point, results.replication))
    assert (per_task.values == results.set_index(["design_point", "replication"])
            .loc[per_task.index, "faults"].values).all()


def test_samples_are_identical_for_serial_and_processes(experiment_file, tmp_path):
    a = kernsim.load_samples(_run(experiment_file, tmp_path, "a", "serial"))
    b = kernsim.load_samples(_run(experiment_file, tmp_path, "b", "processes"))
    pd.testing.assert_frame_equal(a, b)
    assert (tmp_path / "a" / "samples.parquet").read_bytes() == \
        (tmp_path / "b" / "samples.parquet").read_bytes()


def test_columnar_sample_rows_write_the_same_table_as_dict_rows():
    """The fast engine's column-backed rows skip the dict per row, not any content."""
    rows = Rows({"origin": np.array([0, 1, 0]), "blast_radius_components": np.array([1, 3, 2]),
                 "system_down": np.array([False, True, False])}, {"origin": ["web", "db"]})
    key = {"design_point": 2, "replication": 5}
    columnar = sample_table(key, {"faults": rows})
    by_dict = pa.Table.from_pylist([{"sample": "faults", **key, **r} for r in rows])
    assert columnar.equals(by_dict)
    assert columnar.column("origin").to_pylist() == ["web", "db", "web"]


def test_a_fault_run_keeps_both_tables_whole_and_typed(experiment_file, tmp_path):
    """A task with fault rows and latency_histogram rows keeps every column of each (a
    table's columns are not taken from the other's first row), and load_samples gives
    each table the types its model wrote (no float ints or object booleans)."""
    exp = load(ROOT / "experiments/c4_fault_injection.toml",
               ["experiment.replications=2", 'experiment.duration="20ms"'])
    out = run(exp, out=tmp_path / "c4", executor="serial").out
    faults = kernsim.load_samples(out, "faults")
    hist = kernsim.load_samples(out, "latency_histogram")
    assert {"lower", "upper", "count"} <= set(hist.columns)
    assert not {"lower", "upper", "count"} & set(faults.columns)
    assert hist["count"].dtype == np.int64 and hist["upper"].dtype == np.float64
    assert faults["blast_radius_components"].dtype == np.int64
    assert faults["system_down"].dtype == bool


def test_an_unknown_sample_table_is_named(experiment_file, tmp_path):
    out = _run(experiment_file, tmp_path, "a", "serial")
    with pytest.raises(KernsimError, match="no sample rows 'latency_histogram' \\(tables: faults\\)"):
        kernsim.load_samples(out, "latency_histogram")
