"""Metastable failures: a trigger plus retries can keep goodput collapsed; budgets prevent it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from kernsim.experiment.load import from_dict
from kernsim.simulate import simulate


def raw(budget: float, factor: float = 0.5) -> dict:
    return {
        "experiment": {"name": "meta", "warmup": "1ms", "duration": "20ms", "replications": 1},
        "workload": {"interarrival": {"dist": "exponential", "mean": 1.25},
                     "retry": {"timeout": "40us", "max_retries": 3, "budget": budget}},
        "components": {"server": {"service": {"dist": "exponential", "mean": 1.0}}},
        "trigger": {"target": "server", "at": "3ms", "length": "2ms", "factor": factor,
                    "settle": 3},
    }


def run(r: dict) -> dict:
    return simulate(from_dict(r).config, np.random.SeedSequence(5))


def test_goodput_before_the_trigger_matches_the_offered_load():
    m = run(raw(budget=1e9))
    # before the trigger (2 ms at 0.8 arrivals/µs) nearly every request succeeds first
    # time: the successes are a Poisson count of mean 1600, within its 99.9% interval
    count = m["trigger.goodput_before"] * 2e-3
    lo, hi = stats.poisson.interval(0.999, 0.8 * 2000)
    assert lo <= count <= hi, (count, lo, hi)


def test_unbounded_retries_keep_goodput_collapsed_after_the_trigger_ends():
    m = run(raw(budget=1e9))
    assert m["metastable"] == 1
    assert m["trigger.goodput_after"] < 0.5 * m["trigger.goodput_before"]


def test_a_retry_budget_lets_goodput_recover():
    m = run(raw(budget=0.1))
    assert m["metastable"] == 0
    assert m["trigger.goodput_after"] > m["trigger.goodput_during"]


def test_without_a_trigger_window_in_the_run_the_file_is_refused():
    from kernsim.errors import ConfigError

    bad = raw(budget=1e9)
    bad["trigger"]["at"] = "19ms"
    with pytest.raises(ConfigError, match="trigger"):
        from_dict(bad)
