"""``kernsim.bench.measure`` (``kernsim bench --quick --json``): it runs, reports its ratios,
and its three SimPy M/M/c (process style, callback style, kernsim) agree with Erlang C.

Speed is measured by the bench, never asserted here. The statistical check is
sound in quick mode: each of the 5 replications serves 20,000 customers of the
M/M/4 queue at ρ = 0.9 starting empty; the start-up bias of such a run is about
1-2% of the mean wait (checked over hundreds of replications), far below the
half-width of a 99% Student-t interval over 5 runs (about ±30%), and each run's
mean averages thousands of nearly independent busy periods. Seeds are fixed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats

from kernsim.bench.measure import erlang_c_wait
from kernsim.bench.runs import EventCounter, bare_timeout_loop

RATIOS = ("model_vs_handwritten_simpy", "model_vs_callback_simpy", "model_vs_ciw",
          "os_model_vs_handwritten_os", "os_model_vs_bare_event_ratio",
          "fast_vs_simpy_blast_radius", "os_model_trace_off_vs_baseline",
          "os_model_traced_vs_untraced")
ROWS = ("a", "b", "b2", "c", "d", "e", "e2", "e3", "e4", "f", "g", "h")
ERLANG_C = 1.9694   # M/M/4, λ = 3.6, μ = 1 (rounded)


def _command() -> list[str]:
    script = Path(sys.executable).with_name("kernsim")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kernsim.cli"]


@pytest.fixture(scope="module")
def quick() -> dict:
    proc = subprocess.run(_command() + ["bench", "--quick", "--json"],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_quick_json_has_the_headline_ratios(quick):
    for key in RATIOS:
        assert key in quick and key in quick["cpu_time_ratios"]
        if key != "model_vs_ciw":
            assert isinstance(quick[key], float) and quick[key] > 0
            assert isinstance(quick["cpu_time_ratios"][key], float)
    # rates divided as issue 17 defines them: (c) ÷ (b′) customers/s, (e) ÷ (e′) requests/s
    rows = quick["rows"]
    assert quick["model_vs_callback_simpy"] == pytest.approx(
        rows["c"]["customers_per_s"] / rows["b2"]["customers_per_s"])
    assert quick["os_model_vs_handwritten_os"] == pytest.approx(
        rows["e"]["customers_per_s"] / rows["e2"]["customers_per_s"])
    assert quick["os_model_trace_off_vs_baseline"] == pytest.approx(
        rows["e3"]["customers_per_s"] / rows["e"]["customers_per_s"])
    assert quick["os_model_traced_vs_untraced"] == pytest.approx(
        rows["e4"]["customers_per_s"] / rows["e"]["customers_per_s"])
    assert set(quick["targets"]) == {"model_vs_callback_simpy", "model_vs_ciw",
                                     "os_model_vs_handwritten_os",
                                     "os_model_vs_bare_event_ratio"}
    if importlib.util.find_spec("ciw") is None:
        assert quick["model_vs_ciw"] is None
        assert quick["rows"]["d"]["note"] == "not installed (pip install kernsim[bench])"
    else:
        assert isinstance(quick["model_vs_ciw"], float) and quick["model_vs_ciw"] > 0


@pytest.mark.slow
def test_quick_json_compares_the_fast_engine_with_simpy_on_faults(quick):
    """(g) SimPy dependability mode and (h) the fast engine: faults are their customers."""
    simpy_row, fast_row = quick["rows"]["g"], quick["rows"]["h"]
    assert simpy_row["status"] == fast_row["status"] == "ok"
    assert simpy_row["events"] > 0 and fast_row["events"] is None  # numpy: no event loop
    assert min(simpy_row["customers"] + fast_row["customers"]) > 0
    for ratios in (quick, quick["cpu_time_ratios"]):
        assert isinstance(ratios["fast_vs_simpy_blast_radius"], float)
        assert ratios["fast_vs_simpy_blast_radius"] > 0


@pytest.mark.slow
def test_quick_json_has_raw_numbers_for_every_row(quick):
    assert list(quick["rows"]) == list(ROWS)
    for key in ("a", "b", "b2", "c", "e", "e2", "e3", "e4"):
        row = quick["rows"][key]
        assert row["status"] == "ok"
        assert len(row["walls_s"]) == 1 and row["wall_median_s"] > 0
        assert row["events"] > 0 and row["peak_memory_bytes"] > 0
    assert quick["peak_memory_method"].startswith("tracemalloc")
    # structure, not speed: SimPy's process style costs 6 events a customer, the callback
    # style and kernsim 2
    assert quick["rows"]["b"]["events_per_customer"] == pytest.approx(6, abs=0.01)
    assert quick["rows"]["b2"]["events_per_customer"] == 2
    assert quick["rows"]["c"]["events_per_customer"] == pytest.approx(2, abs=0.01)
    if not Path(quick["options"]["c2_file"]).exists():
        assert quick["rows"]["f"]["note"] == "not available yet"


@pytest.mark.slow
def test_tracing_adds_no_event_and_changes_no_request(quick):
    """(e″) and (e‴) run (e)'s replication with experiment.trace set, untraced and traced:
    the same requests in the same SimPy events (the tracer only records)."""
    rows = quick["rows"]
    for key in ("e3", "e4"):
        assert rows[key]["status"] == "ok"
        assert rows[key]["events"] == rows["e"]["events"] > 0
        assert rows[key]["customers"] == rows["e"]["customers"]


@pytest.mark.slow
@pytest.mark.parametrize("key", ["b", "b2", "c"])
def test_mmc_mean_wait_agrees_with_erlang_c(quick, key):
    """Hand-written SimPy (b), callback SimPy (b′) and kernsim (c): a 99% t-interval over
    their own 5 replications covers the exact wait."""
    assert quick["erlang_c_wait"] == pytest.approx(ERLANG_C, abs=1e-4)
    runs = quick["rows"][key]["wait"]["runs"]
    assert len(runs) == 5
    n = len(runs)
    mean = sum(runs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in runs) / (n - 1))
    half = stats.t.ppf(0.995, n - 1) * sd / math.sqrt(n)
    assert mean - half <= ERLANG_C <= mean + half, (key, mean, half, runs)
    assert quick["rows"][key]["wait"]["covers_exact"] is True


def test_erlang_c_wait_matches_the_closed_form_values():
    assert erlang_c_wait(3.6, 1.0, 4) == pytest.approx(ERLANG_C, abs=1e-4)
    assert erlang_c_wait(0.5, 1.0, 1) == pytest.approx(1.0)   # M/M/1: ρ/(μ-λ)


def test_event_counter_counts_processed_simpy_events():
    counter = EventCounter()
    bare_timeout_loop(100, counter)
    assert counter.count == 102   # Initialize + 100 timeouts + the process's end
