"""Request traces (kernsim.system.trace): tracing changes no result, and the spans agree
with the model's own accounting."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import pytest

from kernsim.experiment.catalog import resolve
from kernsim.experiment.load import load
from kernsim.experiment.tasks import tasks_for
from kernsim.simulate import simulate
from kernsim.system.cores import CATEGORIES

EPS = 2.0 ** -52
#: a short quickstart point: 0.3 ms warm-up, 1 ms measured, one design point
SHORT = ["experiment.warmup='300us'", "experiment.duration='1ms'", "sweep={}",
         "experiment.replications=1"]
#: structures whose steps differ: locks of each waiting kind, servers, IPC, faults, I/O
CASES = {
    "monolithic-mcs": ("quickstart", ["system.cores=4"]),
    "monolithic-mutex": ("quickstart", ["system.cores=4", "system.lock={kind='mutex'}"]),
    "monolithic-ticket": ("quickstart", ["system.cores=8", "system.lock={kind='ticket',c='0.1us'}"]),
    "monolithic-rwlock": ("quickstart", ["system.cores=4",
                                         "system.lock={kind='rwlock',write_fraction=0.3}"]),
    "microkernel": ("quickstart", ["system.cores=2", "system.architecture='microkernel'",
                                   "system.threads=1"]),
    "hybrid-stripes": ("quickstart", ["system.cores=4", "system.architecture='hybrid'",
                                      "system.lock_placement='stripes'",
                                      "system.lock={kind='mcs',stripes=4}"]),
}


def _point(study: str, sets: list[str], trace: str, short: bool = True):
    exp = load(resolve(study), [*(SHORT if short else []), *sets, f"experiment.trace={trace}"])
    return tasks_for(exp)[0]


def _same(a: dict, b: dict) -> bool:
    """Equal metrics, sample rows and series, bit for bit (NaN equal to NaN: as JSON)."""
    def text(d: dict) -> str:
        return json.dumps(d, sort_keys=True, default=lambda array: array.tolist())
    return text(a) == text(b)


@pytest.mark.parametrize("case", CASES)
def test_tracing_on_changes_no_metric(case):
    study, sets = CASES[case]
    task = _point(study, sets, "{sample=0.5}")
    on, off = simulate(task.config, task.seed(), True), simulate(task.config, task.seed())
    trace = on.pop("_trace")
    assert len(trace["start"]) > 0 and "_trace" not in off
    assert _same(on, off)


def test_tracing_on_changes_no_metric_with_faults_and_restarts():
    task = _point("c4_fault_injection", ["sweep={}", "experiment.replications=1",
                                         "experiment.duration='20ms'"],
                  "{sample=1.0,window=['0ms','20ms']}", short=False)
    on, off = simulate(task.config, task.seed(), True), simulate(task.config, task.seed())
    trace = on.pop("_trace")
    assert _same(on, off)
    kinds = set(trace["kind"])
    assert {"fault", "restart"} <= kinds, kinds
    _check_nesting(trace, 0.0, 20000.0)


@pytest.mark.parametrize("case", CASES)
def test_cpu_spans_over_the_measured_window_are_the_cpu_shares(case):
    """With every request sampled and the window the measured one, the CPU spans clipped
    to it add up to cpu.* per category. To rounding: each span ends at its event's time
    (a burst's parts, added one by one, may overshoot it by an ulp of the clock), and the
    two sums add their n terms in another order; each term is then off by at most two
    ulps of times ≤ hi, so the sums by n·2·eps·hi µs."""
    study, sets = CASES[case]
    task = _point(study, sets, "{sample=1.0,window=['300us','1300us']}")
    out = simulate(task.config, task.seed(), True)
    trace, cores = out.pop("_trace"), task.config.system.cores
    lo, hi = 300.0, 1300.0
    parts = defaultdict(list)
    for kind, cat, start, end in zip(trace["kind"], trace["category"], trace["start"],
                                     trace["end"]):
        if kind == "cpu":
            parts[cat].append(max(0.0, min(end, hi) - max(start, lo)))
    n = sum(len(v) for v in parts.values())
    assert set(parts) <= set(CATEGORIES) - {"sleep", "idle"}
    for cat in set(CATEGORIES) - {"sleep", "idle"}:
        traced = math.fsum(parts[cat]) / (cores * (hi - lo))
        bound = n * 2 * EPS * hi / (cores * (hi - lo))
        assert traced == pytest.approx(out[f"cpu.{cat}"], rel=0, abs=bound), cat


def test_a_smaller_sample_traces_a_subset_of_the_requests_of_a_larger_one():
    """Sampling draws one uniform number per arrival from its own stream: the requests a
    sample of 0.2 keeps are those of 0.6 whose draw is below 0.2 (and request ids count the
    sampled ones, so compare the lifetimes)."""
    sets = CASES["microkernel"][1]

    def lifetimes(sample: float) -> set:
        task = _point("quickstart", sets, f"{{sample={sample}}}")
        t = simulate(task.config, task.seed(), True)["_trace"]
        return {(s, e) for k, s, e in zip(t["kind"], t["start"], t["end"]) if k == "request"}

    small, large = lifetimes(0.2), lifetimes(0.6)
    assert small and small < large


def test_every_span_overlaps_the_window_and_nests_in_its_request():
    task = _point("quickstart", CASES["monolithic-mutex"][1],
                  "{sample=0.3,window=['500us','700us']}")
    _check_nesting(simulate(task.config, task.seed(), True)["_trace"], 500.0, 700.0)


def _check_nesting(t: dict, lo: float, hi: float) -> None:
    """Every span overlaps [lo, hi], lies inside its request's lifetime (restarts
    belong to no request) and is recorded once."""
    rows = list(zip(*(t[c] for c in ("request", "kind", "resource", "unit", "start", "end"))))
    assert len(set(rows)) == len(rows)
    life = {r: (s, e) for r, k, s, e in zip(t["request"], t["kind"], t["start"], t["end"])
            if k == "request"}
    for r, k, s, e in zip(t["request"], t["kind"], t["start"], t["end"]):
        assert e >= lo and s <= hi and s <= e
        if k != "restart":
            assert life[r][0] <= s and e <= life[r][1], (k, s, e, life[r])
