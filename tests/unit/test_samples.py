"""Per-task sample rows (``_samples``) land in samples.parquet, atomically and reproducibly."""

from __future__ import annotations

import pandas as pd

import kernsim
from kernsim.experiment.load import load
from kernsim.experiment.runner import run

FAULTS = """\
[experiment]
name = "faults_tiny"
seed = 3
replications = 3
duration = "3000h"

[faults]
mode = "dependability"

[faults.units.web]
count = 2
ttf = { dist = "exponential", mean = "100h" }
repair = { dist = "exponential", mean = "5h" }

[faults.units.db]
ttf = { dist = "exponential", mean = "300h" }
repair = "2h"

[faults.edges]
"db->web" = 0.5

[faults.system]
require = { web = 1, db = 1 }

[sweep]
"faults.edges.db->web" = [0.0, 0.5]
"""


def _run(write, tmp_path, name, executor):
    exp = load(write("f.toml", FAULTS))
    return run(exp, out=tmp_path / name, executor=executor, workers=2).out


def test_samples_parquet_has_one_row_per_fault_keyed_by_task(write, tmp_path):
    out = _run(write, tmp_path, "a", "serial")
    samples = kernsim.load_samples(out, "faults")
    results = kernsim.load_results(out)
    per_task = samples.groupby(["design_point", "replication"]).size()
    assert set(per_task.index) == set(zip(results.design_point, results.replication))
    assert (per_task.values == results.set_index(["design_point", "replication"])
            .loc[per_task.index, "faults"].values).all()


def test_samples_are_identical_for_serial_and_processes(write, tmp_path):
    a = kernsim.load_samples(_run(write, tmp_path, "a", "serial"))
    b = kernsim.load_samples(_run(write, tmp_path, "b", "processes"))
    pd.testing.assert_frame_equal(a, b)
    assert (tmp_path / "a" / "samples.parquet").read_bytes() == \
        (tmp_path / "b" / "samples.parquet").read_bytes()


def test_without_propagation_no_fault_spreads(write, tmp_path):
    samples = kernsim.load_samples(_run(write, tmp_path, "a", "serial"), "faults")
    isolated = samples[samples["design_point"] == 0]
    assert (isolated["blast_radius_components"] == 1).all()
    spread = samples[(samples["design_point"] == 1) & (samples["origin"] == "db")]
    assert (spread["blast_radius_components"] > 1).any()


def test_columnar_sample_rows_write_the_same_table_as_dict_rows():
    """The fast engine's column-backed rows skip the dict per row, not any content."""
    import numpy as np
    import pyarrow as pa

    from kernsim.dependability.fast import Rows
    from kernsim.experiment.store import _sample_table

    rows = Rows({"origin": np.array([0, 1, 0]), "blast_radius_components": np.array([1, 3, 2]),
                 "system_down": np.array([False, True, False])}, {"origin": ["web", "db"]})
    key = {"design_point": 2, "replication": 5}
    columnar = _sample_table(key, {"faults": rows})
    by_dict = pa.Table.from_pylist([{"sample": "faults", **key, **r} for r in rows])
    assert columnar.equals(by_dict)
    assert columnar.column("origin").to_pylist() == ["web", "db", "web"]
