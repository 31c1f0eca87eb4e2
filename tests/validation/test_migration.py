"""Migration of a component (``[migration]``, model/kernsim/queueing/migration.py) against closed forms.

With constant values the timing is arithmetic: stop-and-copy takes S/B +
latency + resume, pre-copy sends a geometric series. Arrivals while the
component is down are Poisson(λ·downtime); refusing them loses exactly those.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kernsim.build import Model
from kernsim.engine.streams import Streams, task_seed
from kernsim.errors import ConfigError
from kernsim.experiment.load import from_dict
from kernsim.simulate import simulate
from kernsim.stats.intervals import t_interval

S, B, D = 2_000_000.0, 1250.0, 100.0  # bytes, bytes/µs ("1.25GB/s"), bytes/µs ("100MB/s")
L, RESUME, RESTART = 50.0, 100.0, 20_000.0  # µs


def raw(migration: dict, interarrival=None, service=None, duration="100ms", path=None) -> dict:
    """One station ``cpu`` (and ``disk`` when ``path`` names it); a migration of ``cpu``."""
    components = {"cpu": {"service": service or 1.0}, "disk": {"service": 1.0}}
    workload = {"interarrival": interarrival or "1s"}  # "1s": no request in the run
    if path:
        workload["classes"] = {"x": {"path": path}}
    return {"experiment": {"name": "mig", "duration": duration, "replications": 1},
            "workload": workload, "components": components,
            "migration": {"component": "cpu", "state": S, "bandwidth": B, "latency": L,
                          "resume": RESUME, "restart": RESTART, **migration}}


def run(r: dict, seed: int = 0) -> dict:
    return simulate(from_dict(r).config, task_seed(11, seed))


def closed_form(size: float, rounds: int, dirty: float, up: float) -> dict:
    """Bytes and times of ``rounds`` pre-copy rounds then stop-and-copy, from the series."""
    q = dirty / B
    if rounds == 0:
        pre, last, n = 0.0, size, 1
    elif dirty == 0:
        pre, last, n = size, 0.0, 2  # nothing dirtied: pre-copy stops after round 1
    elif q < 1:
        pre, last, n = size * (1 - q**rounds) / (1 - q), size * q**rounds, rounds + 1
    else:
        pre, last, n = rounds * size, size, rounds + 1  # never converges: the whole state each time
    return {"bytes_moved": pre + last, "downtime": last / B + L + up,
            "total_time": (pre + last) / B + L + up, "rounds": n}


CASES = {
    "stop-and-copy": ({}, closed_form(S, 0, 0, RESUME)),
    "precopy-3-rounds": ({"precopy_rounds": 3, "dirty_rate": D}, closed_form(S, 3, D, RESUME)),
    "precopy-nothing-dirtied": ({"precopy_rounds": 3}, closed_form(S, 3, 0, RESUME)),
    "precopy-dirtier-than-link": ({"precopy_rounds": 2, "dirty_rate": 2 * B},
                                  closed_form(S, 2, 2 * B, RESUME)),
    "checkpoint": ({"strategy": "checkpoint", "process_state": 8 * S},
                   closed_form(8 * S, 0, 0, RESTART)),
    "checkpoint-predump": ({"strategy": "checkpoint", "process_state": 8 * S,
                            "precopy_rounds": 4, "dirty_rate": D},
                           closed_form(8 * S, 4, D, RESTART)),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_constant_values_match_the_closed_form(case):
    migration, want = CASES[case]
    m = run(raw(migration))
    assert m["migration.drain"] == 0  # no request ever arrives: nothing to drain
    assert m["migration.rounds"] == want["rounds"]
    for key in ("bytes_moved", "downtime", "total_time"):
        # the model sums the rounds one by one, the closed form uses q^R: float rounding only
        assert m[f"migration.{key}"] == pytest.approx(want[key], rel=1e-12), key


def test_the_stop_waits_for_the_request_in_service_and_copies_what_it_dirtied():
    # arrivals at 1000, 2000, ... µs each take 300 µs; one pre-copy round of 100 µs from
    # 1000 µs stops the component at 1100 µs, 200 µs before its request is done
    size = 100.0 * B
    migration = {"state": size, "precopy_rounds": 1, "dirty_rate": D, "at": "1000us"}
    m = run(raw(migration, interarrival="1000us", service="300us", duration="5ms"))
    drain = 200.0
    last = D * (size / B + drain)
    assert m["migration.drain"] == pytest.approx(drain, rel=1e-12)
    assert m["migration.bytes_moved"] == pytest.approx(size + last, rel=1e-12)
    assert m["migration.downtime"] == pytest.approx(drain + last / B + L + RESUME, rel=1e-12)
    assert m["migration.requests_delayed"] == 0  # back up before the next arrival at 2000 µs


POISSON = {"interarrival": {"dist": "exponential", "mean": "50us"},
           "service": {"dist": "exponential", "mean": "20us"}, "duration": "5ms"}


@pytest.mark.parametrize("strategy", ["component", "checkpoint"])
def test_arrivals_while_down_are_poisson_with_mean_rate_times_downtime(strategy):
    migration = {"strategy": strategy, "process_state": 2 * S, "restart": RESUME, "at": "1ms"}
    r = raw(migration, **POISSON)
    rows = [run(r, seed) for seed in range(300)]
    rate = 1 / 50.0
    excess = [m["migration.requests_delayed"] - rate * m["migration.downtime"] for m in rows]
    mean, lo, hi = t_interval(excess, level=0.99)
    assert lo <= 0 <= hi, (mean, lo, hi)
    assert np.mean([m["migration.requests_delayed"] for m in rows]) > 10  # the test has teeth


def test_refusing_during_downtime_loses_exactly_the_requests_that_would_have_waited():
    r = raw({"at": "1ms"}, path=["cpu", "disk"], **POISSON)
    refused = raw({"at": "1ms", "queue_during": False}, path=["cpu", "disk"], **POISSON)
    for seed in range(5):
        held, lost = run(r, seed), run(refused, seed)
        assert held["migration.requests_delayed"] > 0
        assert lost["migration.requests_lost"] == held["migration.requests_delayed"]
        assert lost["migration.requests_delayed"] == held["migration.requests_lost"] == 0
        assert lost["requests.errors"] == lost["requests.failed"] == lost["migration.requests_lost"]
        assert held["arrived"] == held["completed"] + held["in_flight"]
        assert lost["arrived"] == (lost["completed"] + lost["migration.requests_lost"]
                                   + lost["in_flight"])


def test_a_run_that_ends_while_the_component_is_down_keeps_its_requests_inside():
    config = from_dict(raw({"at": "1ms"}, **POISSON)).config
    config.migration.resume = "1s"  # past the end: the schema's check uses the file's value
    m = Model(config, Streams(task_seed(11, 0))).run()  # raises if conservation fails
    assert math.isnan(m["migration.downtime"]) and math.isnan(m["migration.total_time"])
    assert m["migration.requests_delayed"] > 0
    assert m["in_flight"] >= m["migration.requests_delayed"]
    assert m["arrived"] == m["completed"] + m["in_flight"]


def test_one_samples_row_per_migration():
    m = run(raw({"precopy_rounds": 2, "dirty_rate": D}))
    (row,) = m["_samples"]["migrations"]
    assert row["component"] == "cpu" and row["strategy"] == "component"
    assert row["downtime"] == m["migration.downtime"] and row["rounds"] == 3


def test_a_rate_with_units_is_bytes_per_microsecond():
    config = from_dict(raw({"bandwidth": "1.25GB/s", "dirty_rate": "4KiB/ms"})).config
    assert config.migration.bandwidth == pytest.approx(1250.0, rel=1e-15)
    assert config.migration.dirty_rate == pytest.approx(4.096, rel=1e-15)


BAD = [
    ({"component": "gpu"}, "migration.component: unknown component 'gpu'; known: cpu, disk"),
    ({"strategy": "live"}, "migration.strategy = 'live': input should be 'component' or"),
    ({"state": "-1MB"}, "migration.state = '-1MB'"),
    ({"strategy": "checkpoint"}, "migration.process_state: missing"),
    ({"process_state": 10}, "migration.process_state: 10 bytes is less than state"),
    ({"process": ["cpu", "gpu"]}, "migration.process[1]: unknown component 'gpu'"),
    ({"bandwidth": 0}, "migration.bandwidth = 0: input should be greater than 0"),
    ({"bandwidth": "1GB"}, "migration.bandwidth = '1GB': \"1GB\": a rate needs a time unit"),
    ({"bandwidth": "1GB/fortnight"}, "unknown unit 'fortnight'; allowed: ns, us"),
    ({"dirty_rate": "1GB/0s"}, "migration.dirty_rate = '1GB/0s'"),
    ({"latency": {"dist": "exponential", "mean": -2}}, "migration.latency.mean: -2: must be >= 0"),
    ({"resume": {"dist": "normal", "mean": 1}}, "migration.resume.sd: missing"),
    ({"precopy_rounds": -1}, "migration.precopy_rounds = -1: input should be greater than or"),
    ({"queue_during": "maybe"}, "migration.queue_during = 'maybe': input should be a valid boolean"),
    ({"speed": 1}, "migration.speed: unknown key; allowed here: component, strategy, at, state"),
    ({"at": "99ms"}, "migration: at + expected total time = "),
]


@pytest.mark.parametrize(("migration", "line"), BAD, ids=[next(iter(m)) + "-" + str(i)
                                                           for i, (m, _) in enumerate(BAD)])
def test_bad_values_name_the_key(migration, line):
    with pytest.raises(ConfigError) as err:
        from_dict(raw(migration))
    assert any(line in ln for ln in str(err.value).splitlines()), str(err.value)


def test_the_queueing_model_only():
    r = raw({})
    r["system"] = {"architecture": "monolithic"}
    with pytest.raises(ConfigError, match=r"migration: only for the queueing model"):
        from_dict(r)


def test_the_command_line_refuses_a_bad_value_in_one_line(kernsim, write, tmp_path):
    write("x.toml", """\
        [experiment]
        name = "x"
        duration = "10ms"
        [workload]
        interarrival = "100us"
        [components.cpu]
        service = "10us"
        [migration]
        component = "cpu"
        state = "1MB"
        bandwidth = "1GB/x"
        """)
    proc = kernsim("run", "x.toml", "--out", "out", "--executor", "serial", "-q")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr + proc.stdout
    assert [ln for ln in proc.stderr.splitlines()
            if "migration.bandwidth = '1GB/x'" in ln and "unknown unit 'x'" in ln], proc.stderr
    assert not (tmp_path / "out").exists()
