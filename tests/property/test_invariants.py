"""Invariants of one replication on random small queueing networks.

Networks have 1-3 components of 1-3 servers with exponential, lognormal,
constant or uniform service, one or two request classes with random paths
(a component may be visited twice or never), an optional transport delay and
an optional warm-up; the workload is open with offered load ρ < 0.95 at every
station, or closed with 1-6 clients.
"""

from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kernsim.build import offered_load
from kernsim.experiment.load import from_dict
from kernsim.simulate import simulate

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
DURATION = 2000.0
means = st.floats(min_value=0.5, max_value=8.0)


@st.composite
def durations(draw, mean):
    """A distribution table with the given mean."""
    kind = draw(st.sampled_from(["exponential", "lognormal", "constant", "uniform"]))
    if kind == "exponential":
        return {"dist": "exponential", "mean": mean}
    if kind == "lognormal":
        return {"dist": "lognormal", "mean": mean, "cv": draw(st.floats(0.1, 2.0))}
    if kind == "constant":
        return {"dist": "constant", "value": mean}
    half = draw(st.floats(0.0, 0.9)) * mean
    return {"dist": "uniform", "low": mean - half, "high": mean + half}


@st.composite
def networks(draw) -> dict:
    """A raw experiment mapping, as ``from_dict`` takes it."""
    names = [f"c{i}" for i in range(draw(st.integers(1, 3)))]
    components = {n: {"servers": draw(st.integers(1, 3)), "service": draw(durations(draw(means)))}
                  for n in names}
    paths = st.lists(st.sampled_from(names), min_size=1, max_size=4)
    classes = {f"k{i}": {"share": draw(st.floats(0.1, 1.0)), "path": draw(paths)}
               for i in range(draw(st.integers(1, 2)))}
    raw = {
        "experiment": {"name": "prop", "seed": 0, "replications": 1, "duration": DURATION,
                       "warmup": draw(st.sampled_from([0.0, 300.0]))},
        "components": components,
        "workload": {"classes": classes},
    }
    if draw(st.booleans()):
        raw["transport"] = {"delay": draw(durations(draw(st.floats(0.1, 3.0))))}
    if draw(st.booleans()):
        raw["workload"].update(kind="closed", clients=draw(st.integers(1, 6)),
                               think=draw(durations(draw(st.floats(0.5, 20.0)))))
    else:
        # offered load scales with the arrival rate: at mean inter-arrival 1 it is `unit`
        raw["workload"]["interarrival"] = 1.0
        unit = max(offered_load(from_dict(raw).config).values())
        rho = draw(st.floats(0.05, 0.9))
        raw["workload"]["interarrival"] = {"dist": "exponential", "mean": unit / rho}
    return raw


def one_run(raw: dict, seed: int) -> dict:
    return simulate(from_dict(raw).config, np.random.SeedSequence(seed))


seeds = st.integers(min_value=0, max_value=2**32 - 1)


@SETTINGS
@given(raw=networks(), seed=seeds)
def test_replication_metrics_obey_the_queueing_invariants(raw, seed):
    config = from_dict(raw).config
    if config.workload.kind == "open":
        assert max(offered_load(config).values()) < 0.95
    m = simulate(config, np.random.SeedSequence(seed))

    assert m["arrived"] == m["completed"] + m["in_flight"]
    assert m["completed"] > 0
    for name in raw["components"]:
        assert 0.0 <= m[f"util.{name}"] <= 1.0, (name, m[f"util.{name}"])
        assert m[f"wait.{name}"] >= 0.0
        assert m[f"queue.{name}"] >= 0.0
    assert m["wait_mean"] >= 0.0
    assert m["response_p50"] <= m["response_p95"] <= m["response_p99"]
    # a response is the queueing along the path plus service and transport
    assert m["response_mean"] >= m["wait_mean"]
    assert math.isfinite(m["throughput"]) and m["throughput"] > 0


@SETTINGS
@given(raw=networks(), seed=seeds)
def test_same_seed_gives_identical_metrics(raw, seed):
    first, second = one_run(raw, seed), one_run(raw, seed)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
