"""``kernsim.reproduce.nooks03``: a Table 4 row turned into model parameters."""

from __future__ import annotations

import pytest

from kernsim.reproduce import nooks03, published


def test_a_cpu_bound_loop_keeps_its_native_cpu_share_and_its_nooks_period():
    b = nooks03.Benchmark("b", rate=20000, native_cpu=95.0)
    assert b.cpu_bound
    p = b.parameters(xpc=10.0)
    assert p["work"] / (p["work"] + p["io"]) == pytest.approx(0.95)
    assert p["work"] + p["io"] + 10.0 == pytest.approx(b.period())   # 1/rate under Nooks


def test_a_paced_stream_arrives_at_its_rate_with_its_native_cpu_share():
    b = nooks03.Benchmark("b", rate=8000, native_cpu=15.0)
    assert not b.cpu_bound
    p = b.parameters(xpc=10.0)
    assert p["interarrival"] == pytest.approx(125.0)
    assert p["work"] / p["interarrival"] == pytest.approx(0.15)


def test_an_xpc_longer_than_the_time_between_xpcs_is_refused():
    with pytest.raises(ValueError, match="longer than"):
        nooks03.Benchmark("b", rate=1e5, native_cpu=95.0).parameters(xpc=10.0)
    for bad in (0.0, 1.0, 1.2):
        with pytest.raises(ValueError):
            nooks03.xpc_cost(1000, bad)


def test_the_study_calibrates_on_one_benchmark_and_predicts_the_others():
    pub = published.load(nooks03.NAME)
    table = nooks03.benchmarks(pub)
    assert len(table) == 6 and nooks03.CALIBRATE_ON in {b.label for b in table}
    cal = pub[(pub["role"] == "calibration") & (pub["quantity"] == nooks03.REL)]
    assert list(cal["system"]) == [nooks03.CALIBRATE_ON]
    kinds = {b.kind for b in table}
    assert kinds == {"CPU-bound", "device-paced"}
