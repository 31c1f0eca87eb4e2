"""(e′) The hand-written SimPy OS model agrees with kernsim's OS model on the quickstart.

``kernsim bench`` divides kernsim's speed by this rival's (``os_model_vs_handwritten_os``);
the ratio means something only if both answer the same question. So at four design
points of ``experiments/quickstart.toml`` (monolithic and microkernel, 1 and 4 cores:
core contention with context switches, lock contention, server threads as the
bottleneck) each model runs ``REPS`` replications with fixed seeds, and a 99% Welch
interval for the difference of the mean throughput, and of the mean response time,
must cover 0. The two models draw from different streams (kernsim from named
children of each replication's seed, the rival from the seed itself), so their
replications are independent.

The check has power: with 8 replications the interval's half-width is 1-2% of the
mean (with 40 replications, measured while writing it, the two models agreed within
±0.6% at every point), and :func:`test_the_comparison_sees_a_missing_context_switch` shows
that a rival without kernsim's context switch (1 µs after waiting for a core) fails it.
Speed is never asserted here.
"""

from __future__ import annotations

import dataclasses
import math
import statistics

import pytest
from scipy import stats

from kernsim.bench.handwritten_os import Dist, HandwrittenOs, OsParams
from kernsim.bench.runs import handwritten_os_params
from kernsim.build import Model
from kernsim.engine.streams import Streams
from kernsim.experiment.catalog import find
from kernsim.experiment.load import load
from kernsim.experiment.tasks import tasks_for

REPS = 8
LEVEL = 0.99
POINTS = [("monolithic", 1), ("monolithic", 4), ("microkernel", 1), ("microkernel", 4)]
METRICS = ("throughput", "response_mean")


def _replications(arch: str, cores: int) -> list:
    exp = load(find("quickstart"), [f"experiment.replications={REPS}"])
    tasks = [t for t in tasks_for(exp) if t.params == {"system.architecture": arch,
                                                       "system.cores": cores}]
    assert len(tasks) == REPS
    return tasks


def _rival(params: OsParams, tasks: list) -> dict[str, list[float]]:
    runs = [HandwrittenOs(params, t.seed()).run() for t in tasks]
    return {"throughput": [r.throughput for r in runs],
            "response_mean": [r.response_mean for r in runs]}


def welch_interval(a: list[float], b: list[float], level: float) -> tuple[float, float]:
    """Student-t (Welch-Satterthwaite) interval for mean(a) - mean(b)."""
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = stats.t.ppf((1 + level) / 2, df) * math.sqrt(va + vb)
    diff = statistics.mean(a) - statistics.mean(b)
    return diff - half, diff + half


@pytest.fixture(scope="module")
def runs() -> dict:
    out = {}
    for arch, cores in POINTS:
        tasks = _replications(arch, cores)
        kern = [Model(t.config, Streams(t.seed())).run() for t in tasks]
        out[arch, cores] = (
            {m: [float(k[m]) for k in kern] for m in METRICS},
            _rival(handwritten_os_params(tasks[0].config), tasks),
        )
    return out


@pytest.mark.slow
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(("arch", "cores"), POINTS)
def test_handwritten_os_agrees_with_kernsim(runs, arch, cores, metric):
    kern, rival = runs[arch, cores]
    low, high = welch_interval(kern[metric], rival[metric], LEVEL)
    assert low <= 0 <= high, (arch, cores, metric, statistics.mean(kern[metric]),
                              statistics.mean(rival[metric]), low, high)


@pytest.mark.slow
def test_the_comparison_sees_a_missing_context_switch(runs):
    tasks = _replications("monolithic", 1)
    params = dataclasses.replace(handwritten_os_params(tasks[0].config),
                                 context_switch=Dist("constant", 0.0))
    kern, _ = runs["monolithic", 1]
    _, high = welch_interval(kern["throughput"], _rival(params, tasks)["throughput"], LEVEL)
    assert high < 0   # without the switch the rival serves more calls per second


@pytest.mark.parametrize(("override", "key"), [
    ("system.architecture=hybrid", "system.architecture"),
    ("system.lock.kind=ticket", "system.lock"),
    ("system.ipc.kind=async", "system.ipc.kind"),
    ("workload.classes.read.io=5us", "workload.classes.read.io"),
    ("components.fs.service={dist = 'uniform', low = 1, high = 3}", "components.fs.service"),
])
def test_what_the_rival_lacks_is_refused_by_key(override, key):
    config = load(find("quickstart"), [override, "system.cores=1"]).config
    with pytest.raises(ValueError, match=f"^{key}: "):
        handwritten_os_params(config)
