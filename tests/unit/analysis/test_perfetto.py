"""``kernsim trace DIR --format perfetto``: a quickstart run with tracing on, exported as
Chrome trace-event JSON, read back and checked as Perfetto would show it."""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict

import pandas as pd
import pytest

EPS = 2.0 ** -52
LO, HI = 300.0, 1300.0  # the measured window: warm-up 0.3 ms, then 1 ms
SHORT = ["experiment.warmup=300us", "experiment.duration=1ms", "experiment.replications=1"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The quickstart (both structures, 1–8 cores), shortened, every request traced over
    the measured window; its results and its export."""
    from kernsim.cli import main

    tmp = tmp_path_factory.mktemp("perfetto")
    sets = [a for s in SHORT for a in ("--set", s)]
    trace = "experiment.trace={sample=1.0,window=['300us','1300us']}"
    assert main(["run", "quickstart", "--out", str(tmp / "out"), "--executor", "serial", "-q",
                 "--trace", *sets, "--set", trace]) == 0
    assert main(["trace", str(tmp / "out"), "--format", "perfetto",
                 "--out", str(tmp / "t.json")]) == 0
    doc = json.loads((tmp / "t.json").read_text(encoding="utf-8"))
    return pd.read_parquet(tmp / "out" / "results.parquet"), doc


def _complete(doc: dict) -> list[dict]:
    return [e for e in doc["traceEvents"] if e["ph"] == "X"]


def _key(e: dict) -> tuple:
    return e["args"]["design_point"], e["args"]["replication"]


def test_every_requests_spans_nest_inside_its_lifetime(exported):
    _, doc = exported
    life = {(*_key(e), e["args"]["request"]): (e["ts"], e["ts"] + e["dur"])
            for e in _complete(doc) if e["cat"] == "request"}
    spans = [e for e in _complete(doc) if e["args"]["request"] >= 0]
    assert len(life) > 100 and len(spans) > 5 * len(life)
    for e in spans:
        start, end = life[(*_key(e), e["args"]["request"])]
        assert start <= e["ts"] and e["ts"] + e["dur"] <= end, e


@pytest.mark.parametrize("cat", ["cpu", "lock_hold", "thread"])
def test_spans_on_one_core_lock_or_server_thread_never_overlap(exported, cat):
    _, doc = exported
    tracks = defaultdict(list)
    for e in _complete(doc):
        if e["cat"] == cat:
            tracks[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    assert tracks
    for spans in tracks.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start


def test_cpu_spans_add_up_to_the_runs_cpu_shares(exported):
    """Per design point and category, the CPU spans clipped to the measured window over
    cores × its length are the run's cpu.* (to rounding: each of the n spans may be off by
    two ulps of a time ≤ HI, see tests/unit/system/test_trace.py)."""
    results, doc = exported
    sums = defaultdict(list)
    for e in _complete(doc):
        if e["cat"] == "cpu":
            clipped = min(e["ts"] + e["dur"], HI) - max(e["ts"], LO)
            sums[(e["args"]["design_point"], e["name"])].append(max(clipped, 0.0))
    assert len(results) == 8
    for _, row in results.iterrows():
        cores = row["system.cores"]
        for cat in ("user", "kernel", "server", "ipc", "switch", "spin"):
            parts = sums[(row["design_point"], cat)]
            bound = len(parts) * 2 * EPS * HI / (cores * (HI - LO))
            traced = math.fsum(parts) / (cores * (HI - LO))
            assert traced == pytest.approx(row[f"cpu.{cat}"], rel=0, abs=bound), (row, cat)


def test_tracks_are_named_and_each_request_is_one_flow(exported):
    _, doc = exported
    events = doc["traceEvents"]
    named = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    processes = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    for e in _complete(doc):
        assert (e["pid"], e["tid"]) in named and e["pid"] in processes
    phases = defaultdict(list)
    for e in events:
        if e["ph"] in ("s", "t", "f"):
            phases[e["id"]].append(e["ph"])
    on_cores = {(*_key(e), e["args"]["request"]) for e in _complete(doc)
                if e["cat"] in ("cpu", "thread")}  # a flow: from the lifetime through these
    assert len(phases) == len(on_cores) > 100
    for seq in phases.values():
        assert seq[0] == "s" and seq[-1] == "f" and set(seq[1:-1]) <= {"t"}
