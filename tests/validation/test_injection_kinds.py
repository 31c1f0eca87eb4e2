"""Injection: poisoned locks, corruption (detected or spreading late), recurring faults.

1. ``locks``: a driver server shares the kernel's big lock (an explicit
   structure) and dies holding it. ``release``: the lock is freed and the
   other class keeps completing. ``poison``: every request needing the lock
   fails from the fault until the driver restarts, then they succeed again.
2. ``kind = "corruption"``: ``detect = 1`` never spreads; ``detect = 0`` is a
   crash ``latency`` later (same cascade draws, same blast radius), serving
   wrong answers meanwhile; ``0 < detect < 1``: the fraction caught against
   a Wilson interval.
3. ``ttf``: faults recur as a renewal process (next fault a ``ttf`` draw after
   the recovery), one sample row per fault, availability from the rows.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from kernsim.build import Model
from kernsim.engine.streams import Streams
from kernsim.experiment.load import from_dict
from kernsim.simulate import simulate
from kernsim.stats.intervals import t_interval, wilson

LEVEL = 0.99


# --- 1. poisoned locks ---

def shared_lock(locks: str) -> dict:
    """fs in the kernel and a driver server both under the big kernel lock ``bkl``."""
    return {
        "experiment": {"name": "poison", "warmup": "200us", "duration": "3ms"},
        "system": {"cores": 2, "trap": 0.1, "ipc": {"latency": 0.3}},
        "domains": {"kernel": {"kind": "kernel"}, "drv": {"kind": "server", "threads": 2}},
        "locks": {"bkl": {"kind": "mcs", "c": 0.05}},
        "components": {
            "fs": {"domain": "kernel", "lock": "bkl", "critical": 0.5,
                   "service": {"dist": "exponential", "mean": 1.0}},
            "drv": {"domain": "drv", "lock": "bkl", "critical": {"dist": "exponential", "mean": 5},
                    "service": {"dist": "exponential", "mean": 1.0}}},
        "workload": {"kind": "closed", "clients": 6, "think": {"dist": "exponential", "mean": 5},
                     "classes": {"io": {"path": ["fs", "drv"], "share": 0.5},
                                 "meta": {"path": ["fs"], "share": 0.5}}},
        "faults": {"mode": "injection", "target": "drv", "restart": "300us", "locks": locks,
                   "at": {"dist": "uniform", "low": 100, "high": 500}},
    }


def run_logged(raw: dict, seed: int) -> tuple[dict, list[tuple[float, float, int]]]:
    """Metrics and every completion as (time, arrival time, class index)."""
    model = Model(from_dict(raw).config, Streams(np.random.SeedSequence(seed)))
    log, inner = [], model.net.on_complete

    def complete(job) -> None:
        log.append((model.sim.now, job.t0, job.cls))
        inner(job)

    model.net.connect(on_complete=complete)
    return model.run(), log  # Model.metrics raises if a job is not accounted for


def outage(m: dict) -> tuple[float, float]:
    return m["fault.t"], m["fault.t"] + m["fault.time_to_recovery"]


@pytest.mark.parametrize("seed", range(3))
def test_a_released_lock_lets_the_other_class_go_on_during_the_outage(seed):
    m, log = run_logged(shared_lock("release"), seed)
    start, end = outage(m)
    meta = [t for t, t0, cls in log if cls == 1 and start < t0 and t < end]
    assert m["fault.poisoned_locks"] == 0 and m["fault.poison_failures"] == 0
    assert len(meta) > 10, meta  # arrived after the fault, done before the restart
    assert m["arrived"] == m["completed"] + m["aborted"] + m["in_flight"]


@pytest.mark.parametrize("seed", range(3))
def test_a_poisoned_lock_fails_every_request_until_the_driver_restarts(seed):
    m, log = run_logged(shared_lock("poison"), seed)
    start, end = outage(m)
    assert m["fault.poisoned_locks"] == 1  # the driver's critical section holds bkl most of the time
    during = [(t, t0) for t, t0, _ in log if start < t0 and t < end]
    assert during == []  # both classes need bkl: nothing that came after the fault gets through
    after = [t0 for _, t0, _ in log if t0 >= end]
    assert len(after) > 10  # restored: the driver reinitialised the lock
    # every failure is a client error; each poisoned request is one of them
    assert m["requests.errors"] == m["aborted"]
    assert m["aborted"] == m["fault.requests_lost"] + m["fault.poison_failures"]
    assert m["fault.poison_failures"] > 10
    assert m["arrived"] == m["completed"] + m["aborted"] + m["in_flight"]


# --- 2. corruption ---

def microkernel(**faults) -> dict:
    return {
        "experiment": {"name": "corrupt", "warmup": "200us", "duration": "3ms"},
        "system": {"architecture": "microkernel", "cores": 2, "trap": 0.1, "threads": 2,
                   "ipc": {"latency": 0.3}},
        "workload": {"kind": "closed", "clients": 8, "think": {"dist": "exponential", "mean": 5},
                     "classes": {"io": {"path": ["fs", "drv"], "share": 0.5},
                                 "meta": {"path": ["fs"], "share": 0.5}}},
        "components": {"fs": {"service": {"dist": "exponential", "mean": 1.0}},
                       "drv": {"service": {"dist": "exponential", "mean": 1.5}}},
        "faults": {"mode": "injection", "target": "drv", "restart": "300us",
                   "at": {"dist": "uniform", "low": 100, "high": 500}, **faults},
    }


def runs(raw: dict, seeds) -> list[dict]:
    config = from_dict(raw).config
    return [simulate(config, np.random.SeedSequence(s)) for s in seeds]


def test_a_detected_corruption_stops_only_its_domain_at_once():
    for m in runs(microkernel(kind="corruption", detect=1.0, edges={"drv->fs": 1.0}), range(4)):
        assert m["fault.detected"] == 1 and m["fault.blast_radius_components"] == 1
        assert m["fault.time_to_failure"] == 0 and m["fault.corrupt_results"] == 0
        assert m["fault.time_to_recovery"] == pytest.approx(300)


def test_an_undetected_corruption_is_a_crash_latency_later_serving_wrong_answers():
    edges = {"drv->fs": 0.5}
    seeds = range(6)
    crash = runs(microkernel(edges=edges), seeds)
    late = runs(microkernel(kind="corruption", latency="400us", edges=edges), seeds)
    radii = [m["fault.blast_radius_components"] for m in crash]
    assert set(radii) == {1, 2}, radii  # both outcomes occur, so the match below means something
    for c, k in zip(crash, late):
        assert k["fault.t"] == c["fault.t"] and k["fault.detected"] == 0
        assert k["fault.blast_radius_components"] == c["fault.blast_radius_components"]
        assert k["fault.time_to_failure"] == pytest.approx(400)
        assert k["fault.time_to_recovery"] == pytest.approx(400 + 300)
        assert k["availability"] == pytest.approx(c["availability"])  # down as long, later
        assert k["fault.corrupt_results"] > 0 and c["fault.corrupt_results"] == 0


def test_the_fraction_of_corruptions_caught_matches_detect():
    p = 0.3
    raw = microkernel(kind="corruption", detect=p, latency="20us", restart="20us")
    del raw["faults"]["at"]
    raw["faults"]["ttf"] = {"dist": "exponential", "mean": "50us"}
    rows = [r for m in runs(raw, range(6)) for r in m["_samples"]["faults"]]  # ~30 per run
    caught = sum(r["detected"] for r in rows)
    _, low, high = wilson(caught, len(rows), LEVEL)
    print(f"caught {caught} of {len(rows)}: 99% Wilson [{low:.3f}, {high:.3f}], detect = {p}")
    assert len(rows) > 100
    assert low <= p <= high, (caught, len(rows), low, high)
    assert all(r["corrupt_results"] == 0 for r in rows if r["detected"])


# --- 3. recurring faults ---

def test_faults_recur_after_each_recovery_and_availability_adds_up_their_downtime():
    mean_ttf, restart = 400.0, 300.0
    window, warmup_end = 20000.0, 200.0  # ~28 faults per run: few gaps cut off by the end
    raw = microkernel(ttf={"dist": "exponential", "mean": f"{mean_ttf}us"})
    del raw["faults"]["at"]
    raw["experiment"]["duration"] = f"{window}us"
    raw["workload"]["clients"] = 2  # the faults do not depend on the load: keep it cheap
    gaps = []
    for m in runs(raw, range(4)):
        rows = m["_samples"]["faults"]
        assert m["faults"] == len(rows) >= 2
        done = [r for r in rows if not math.isnan(r["time_to_recovery"])]
        assert all(r["time_to_recovery"] == pytest.approx(restart) for r in done)
        gaps.append(rows[0]["t"] - warmup_end)  # the first ttf starts with the window
        for a, b in itertools.pairwise(rows):
            gaps.append(b["t"] - (a["t"] + a["time_to_recovery"]))  # a ttf draw
        down = sum(min(r["t"] + restart, warmup_end + window) - r["t"] for r in rows)
        assert m["availability"] == pytest.approx(1 - down / window)
        assert m["fault.requests_lost"] == sum(r["requests_lost"] for r in rows)
    assert min(gaps) > 0  # never two faults at once
    mean, low, high = t_interval(gaps, LEVEL)
    print(f"ttf gaps: n = {len(gaps)}, mean {mean:.1f} us, 99% CI [{low:.1f}, {high:.1f}]")
    assert low <= mean_ttf <= high, (mean, low, high, len(gaps))
