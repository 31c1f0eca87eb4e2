"""Every part knows its config, and a resume trusts no part unchecked: a deleted manifest
does not let another config adopt old parts, and a truncated or altered recorded part is
moved to quarantine/ and rerun; each case ends with a folder that verifies and the bytes
of an uninterrupted run."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.store import CONFIG_KEY
from kernsim.experiment.verify import verify

pytestmark = pytest.mark.scenario


def lone_bytes(exp, tmp_path) -> bytes:
    return (run(exp, out=tmp_path / "lone", executor="serial").out / "results.parquet").read_bytes()


def test_each_part_records_the_config_it_was_written_for(sweep_run, sweep_file):
    exp = load(sweep_file)
    for part in (sweep_run / "parts").iterdir():
        assert pq.read_schema(part).metadata[CONFIG_KEY] == exp.config_hash.encode()


def test_a_deleted_manifest_does_not_let_another_config_adopt_old_parts(experiment_file,
                                                                        tmp_path):
    out = tmp_path / "out"
    run(load(experiment_file()), out=out, executor="serial")
    (out / "manifest.json").unlink()
    other = load(experiment_file("y.toml", experiment={"seed": 8}))
    result = run(other, out=out, executor="serial")
    assert sorted(rel for rel, _ in result.quarantined) == [  # parts and their sample rows
        f"{d}/dp00000-r0000{r}.parquet" for d in ("parts", "samples") for r in (0, 1)]
    assert all("written for another configuration" in why for _, why in result.quarantined)
    assert (result.ran, result.skipped) == (2, 0)
    assert verify(out).ok, verify(out).problems
    assert (out / "results.parquet").read_bytes() == lone_bytes(other, tmp_path)
    assert len(list((out / "quarantine" / "parts").iterdir())) == 2


def test_a_truncated_recorded_part_is_quarantined_and_rerun(experiment_file, tmp_path, cli):
    path = experiment_file()
    out = tmp_path / "out"
    run(load(path), out=out, executor="serial")
    part = out / "parts" / "dp00000-r00001.parquet"
    part.write_bytes(part.read_bytes()[:40])
    proc = cli("run", str(path), "--out", str(out), "--executor", "serial", "-q")
    assert proc.exit_code == 0, proc.output
    assert ("quarantined parts/dp00000-r00001.parquet: its sha256 differs from the "
            "manifest's") in proc.stderr
    assert "Traceback" not in proc.stderr
    assert verify(out).ok, verify(out).problems
    assert (out / "results.parquet").read_bytes() == lone_bytes(load(path), tmp_path)


def test_an_altered_readable_recorded_part_is_quarantined_and_rerun(experiment_file, tmp_path):
    exp = load(experiment_file())
    out = tmp_path / "out"
    run(exp, out=out, executor="serial")
    part = out / "parts" / "dp00000-r00000.parquet"
    table = pq.read_table(part)
    frame = table.to_pandas()
    frame["throughput"] += 1.0
    pq.write_table(table.from_pandas(frame, preserve_index=False)
                   .replace_schema_metadata(table.schema.metadata), part)
    again = run(exp, out=out, executor="serial")
    assert [rel for rel, _ in again.quarantined] == ["parts/dp00000-r00000.parquet"]
    assert (again.ran, again.skipped) == (1, 1)
    assert verify(out).ok, verify(out).problems
    assert (out / "results.parquet").read_bytes() == lone_bytes(exp, tmp_path)
