"""trace.parquet in a results folder: tracing leaves results.parquet bit-identical, the
trace is written per task like samples (resume loses nothing, verify covers it)."""

from __future__ import annotations

import pandas as pd
import pytest

from kernsim.experiment.catalog import resolve
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.verify import verify

#: the quickstart's structures on 1 and 2 cores, 2 replications of 0.5 ms
SWEEP = "sweep={'system.architecture'=['monolithic','microkernel'],'system.cores'=[1,2]}"
SHORT = ["experiment.warmup='200us'", "experiment.duration='500us'",
         "experiment.replications=2", SWEEP]
TRACE = "experiment.trace={replications=[1],sample=0.5,window=['300us','500us']}"


def _run(out, *sets: str):
    run(load(resolve("quickstart"), [*SHORT, *sets]), out=out, executor="serial")
    return out


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("traced") / "out", TRACE)


def test_results_are_bit_identical_with_tracing_on_and_off(traced, tmp_path):
    plain = _run(tmp_path / "plain")
    assert (traced / "results.parquet").read_bytes() == (plain / "results.parquet").read_bytes()
    assert not (plain / "trace.parquet").exists() and not (plain / "traces").exists()


def test_the_trace_holds_the_listed_replications_of_every_point_inside_the_window(traced):
    df = pd.read_parquet(traced / "trace.parquet")
    assert sorted(df.groupby(["design_point", "replication"]).groups) == [
        (dp, 1) for dp in range(4)]
    assert (df["end"] >= 300.0).all() and (df["start"] <= 500.0).all()
    assert sorted(p.name for p in (traced / "traces").iterdir()) == [
        f"dp{dp:05d}-r00001.parquet" for dp in range(4)]


def test_verify_covers_the_trace(traced, tmp_path):
    assert verify(traced).ok, verify(traced).problems
    copy = tmp_path / "copy"
    _run(copy, TRACE)
    part = copy / "traces" / "dp00002-r00001.parquet"
    good = part.read_bytes()
    part.write_bytes(good[:-1] + b"\0")
    assert any(p.startswith("traces/dp00002-r00001.parquet: sha256")
               for p in verify(copy).problems)
    part.write_bytes(good)
    assert verify(copy).ok
    (copy / "trace.parquet").unlink()
    assert any(p.startswith("trace.parquet: missing") for p in verify(copy).problems)


def test_a_resumed_run_writes_the_same_trace(traced, tmp_path):
    """A run killed after some tasks: its trace parts stay, the missing tasks run, and
    trace.parquet is byte for byte that of an uninterrupted run."""
    out = _run(tmp_path / "out", TRACE)
    for rel in ("results.parquet", "trace.parquet", "parts/dp00003-r00001.parquet",
                "traces/dp00003-r00001.parquet", "parts/dp00001-r00001.parquet"):
        (out / rel).unlink()
    _run(out, TRACE)
    assert (out / "trace.parquet").read_bytes() == (traced / "trace.parquet").read_bytes()
    assert verify(out).ok, verify(out).problems


def test_the_default_window_starts_at_the_warm_up_warmup_auto_chose(tmp_path):
    out = tmp_path / "auto"
    run(load(resolve("quickstart"), ["experiment.warmup='auto'", "experiment.duration='2ms'",
                                     "experiment.replications=2",
                                     "sweep={'system.cores'=[2]}",
                                     "experiment.trace={sample=1.0}"]),
        out=out, executor="serial")
    chosen = pd.read_parquet(out / "results.parquet")["experiment.warmup"].iloc[0]
    spans = pd.read_parquet(out / "trace.parquet")
    assert chosen > 0  # the pilot cut something: a window from 0 would be all warm-up
    assert (spans["end"] >= chosen).all() and (spans["start"] <= chosen + 1000.0).all()
    assert (spans["end"] > chosen + 500.0).any()  # requests in the window's second half
