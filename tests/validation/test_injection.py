"""Fault injection into the OS model: containment, propagation, loss and recovery."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from kernsim.experiment.load import from_dict
from kernsim.simulate import simulate


def raw(arch: str, target: str | None = "drv", edges: dict | None = None, **faults) -> dict:
    return {
        "experiment": {"name": "inj", "warmup": "200us", "duration": "3ms", "replications": 1},
        "system": {"architecture": arch, "cores": 2, "trap": 0.1, "threads": 2,
                   "ipc": {"latency": 0.3}, "lock": {"kind": "mcs", "c": 0.05}},
        "workload": {"kind": "closed", "clients": 8, "think": {"dist": "exponential", "mean": 5},
                     "retry": {"timeout": "300us", "max_retries": 2, "base": "20us"},
                     "classes": {"io": {"path": ["fs", "drv"], "share": 0.5},
                                 "meta": {"path": ["fs"], "share": 0.5}}},
        "components": {"fs": {"service": {"dist": "exponential", "mean": 1.0}, "critical": 0.2},
                       "drv": {"service": {"dist": "exponential", "mean": 1.5}}},
        "faults": {"mode": "injection", "target": target, "at": {"dist": "uniform", "low": 100, "high": 500},
                   "edges": edges or {}, "restart": "300us", "reboot": "1ms", **faults},
    }


def run(r: dict, seeds=range(1)) -> list[dict]:
    config = from_dict(r).config
    return [simulate(config, np.random.SeedSequence(s)) for s in seeds]


@pytest.mark.parametrize("arch", ["monolithic", "microkernel", "hybrid"])
def test_cpu_shares_sum_to_one_and_jobs_are_conserved_with_a_fault(arch):
    (m,) = run(raw(arch))  # Model.metrics raises if arrived != completed + aborted + in flight
    assert m["arrived"] == m["completed"] + m["aborted"] + m["in_flight"]
    assert sum(v for k, v in m.items() if k.startswith("cpu.")) == pytest.approx(1, abs=1e-9)


def test_monolithic_fault_takes_every_component_and_the_whole_system():
    rows = run(raw("monolithic"), range(5))
    assert all(m["fault.blast_radius_components"] == 2 for m in rows)
    assert all(m["fault.system_down"] == 1 for m in rows)


def test_isolated_driver_fault_stays_in_its_server_and_leaves_metadata_served():
    rows = run(raw("microkernel"), range(5))
    assert all(m["fault.blast_radius_components"] == 1 for m in rows)
    assert all(m["fault.system_down"] == 0 for m in rows)
    assert all(m["response_mean.meta"] > 0 for m in rows)


def test_driver_fault_spreads_to_fs_with_the_edge_probability():
    p, n = 0.3, 60
    rows = run(raw("microkernel", edges={"drv->fs": p}), range(n))
    spread = sum(m["fault.blast_radius_components"] == 2 for m in rows)
    assert stats.binomtest(spread, n, p).pvalue > 0.001, (spread, n, p)


def test_every_failed_domain_is_back_after_its_restart_time():
    rows = run(raw("microkernel", restart="250us"), range(3))
    assert all(m["fault.time_to_recovery"] == pytest.approx(250) for m in rows)
    rows = run(raw("monolithic"), range(3))
    assert all(m["fault.time_to_recovery"] == pytest.approx(1000) for m in rows)


def test_availability_is_one_minus_downtime_over_the_window():
    (m,) = run(raw("microkernel", restart="300us"))
    assert m["availability"] == pytest.approx(1 - 300 / 3000)


def test_a_crashed_server_returns_errors_and_clients_retry():
    (m,) = run(raw("microkernel"))
    assert m["requests.errors"] > 0 and m["requests.retries"] > 0
    (h,) = run(raw("microkernel", kind="hang"))
    assert h["requests.errors"] == 0 and h["requests.timeouts"] > 0


def test_random_targets_follow_the_weights():
    n = 200
    rows = run(raw("microkernel", target=None, weights={"drv": 3}), range(n))
    # one metric per trial tells the origin: with no edges a drv fault never fails fs
    drv = sum(m["fault.system_down"] == 0 for m in rows)
    assert stats.binomtest(drv, n, 0.75).pvalue > 0.001, drv
