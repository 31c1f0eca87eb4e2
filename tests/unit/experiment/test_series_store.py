"""series/ and series.parquet (``experiment.sample_every``): written per task before its
part, compacted like samples, resumed without loss, covered by ``kernsim verify``, and
without any effect on results.parquet."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.verify import verify

SAMPLED = {"experiment": {"warmup": "200us", "sample_every": "0.5ms"}}


@pytest.fixture
def sampled(experiment_file, tmp_path):
    """tests/fixtures/sweep.toml with a warm-up and a series every 0.5 ms, run serially."""
    exp = load(experiment_file("s.toml", "sweep", **SAMPLED))
    return run(exp, out=tmp_path / "s", executor="serial").out


def test_sampling_leaves_results_parquet_bit_identical(sampled, experiment_file, tmp_path):
    plain = load(experiment_file("p.toml", "sweep", experiment={"warmup": "200us"}))
    out = run(plain, out=tmp_path / "p", executor="serial").out
    assert (out / "results.parquet").read_bytes() == (sampled / "results.parquet").read_bytes()
    assert not (out / "series.parquet").exists() and not (out / "series").exists()


def test_series_parquet_is_tidy_with_one_series_per_task(sampled):
    df = pd.read_parquet(sampled / "series.parquet")
    assert list(df.columns) == ["design_point", "replication", "t", "dt", "metric", "value"]
    tasks = df.groupby(["design_point", "replication"]).size()
    assert set(tasks.index) == {(dp, r) for dp in range(2) for r in range(3)}
    assert set(df["metric"]) == {"throughput", "in_flight", "util.cpu", "queue.cpu"}
    manifest = json.loads((sampled / "manifest.json").read_text())
    assert "series.parquet" in manifest["hashes"]
    assert sum(k.startswith("series/") for k in manifest["hashes"]) == 6
    assert verify(sampled).ok, verify(sampled).problems


def test_an_interrupted_run_resumes_to_the_same_series(sampled, experiment_file, tmp_path):
    exp = load(experiment_file("s.toml", "sweep", **SAMPLED))
    cut = run(exp, out=tmp_path / "cut", executor="serial").out
    (cut / "results.parquet").unlink()
    (cut / "series.parquet").unlink()
    (cut / "parts" / "dp00001-r00002.parquet").unlink()  # killed between the two writes
    for name in ("dp00001-r00001.parquet",):             # killed before either
        (cut / "parts" / name).unlink()
        (cut / "series" / name).unlink()
    result = run(exp, out=cut, executor="serial")
    assert result.ran == 2 and result.skipped == 4
    assert (cut / "series.parquet").read_bytes() == (sampled / "series.parquet").read_bytes()
    assert verify(cut).ok, verify(cut).problems


def test_verify_catches_a_changed_series_part_and_a_stale_compaction(sampled):
    part = sampled / "series" / "dp00000-r00001.parquet"
    df = pd.read_parquet(part)
    df["value"] += 1
    df.to_parquet(part, index=False)
    text = "\n".join(verify(sampled).problems)
    assert "series/dp00000-r00001.parquet: sha256" in text
    assert "series.parquet: differs from the compaction of the parts" in text


def test_a_process_pool_writes_the_same_series_bytes(sampled, experiment_file, tmp_path):
    exp = load(experiment_file("s.toml", "sweep", **SAMPLED))
    out = run(exp, out=tmp_path / "pool", executor="processes", workers=2).out
    assert (out / "series.parquet").read_bytes() == (sampled / "series.parquet").read_bytes()
