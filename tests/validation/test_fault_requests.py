"""Per-fault client consequences: ``requests_failed`` and ``requests_retried``.

A fault owns the clients' failures and retries from the moment it strikes
until the next fault (or the end). The C4 campaign's load has no timeouts
without a fault, so with one fault per replication the fault's counts are the
replication's counts, and a fault that takes nothing down costs nothing.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from kernsim.experiment.load import from_dict, load
from kernsim.simulate import simulate

C4 = Path(__file__).resolve().parents[2] / "experiments" / "c4_fault_injection.toml"


def _run(arch: str, *extra: str) -> dict:
    exp = load(C4, [f'system.architecture="{arch}"', "sweep={}", 'experiment.duration="20ms"',
                    *extra])
    return simulate(exp.points[0].config, np.random.SeedSequence(7))


def test_no_fault_no_failures():
    """The premise: without a fault (struck after the end) this load never times out."""
    out = _run("monolithic", 'faults.at="1s"', 'experiment.duration="5ms"')
    assert out["requests.failed"] == 0 and out["requests.retries"] == 0


@pytest.mark.parametrize("arch", ["monolithic", "microkernel"])
def test_one_fault_owns_the_runs_failures_and_retries(arch):
    out = _run(arch)
    row = out["_samples"]["faults"][0]
    assert row["requests_failed"] == out["requests.failed"]
    assert row["requests_retried"] == out["requests.retries"]
    assert out["fault.requests_retried"] == row["requests_retried"]


def test_a_kernel_crash_makes_clients_retry():
    """Monolithic: the driver fault reboots the kernel for 20 ms; every client waiting
    times out and retries (max_retries = 3), so retries are many."""
    out = _run("monolithic")
    assert out["fault.system_down"] == 1
    assert out["fault.requests_retried"] > 0


def test_recurring_faults_split_the_counts():
    """With ``ttf`` every fault owns the stretch up to the next one: the rows add up
    to the replication's totals (nothing fails before the first fault)."""
    raw = tomllib.loads(C4.read_text())
    raw.pop("sweep", None)
    raw["system"]["architecture"] = "microkernel"
    raw["experiment"]["duration"] = "20ms"
    raw["faults"].pop("at", None)
    raw["faults"].update(ttf={"dist": "exponential", "mean": "3ms"}, restart="0.5ms")
    out = simulate(from_dict(raw, C4).points[0].config, np.random.SeedSequence(7))
    rows = out["_samples"]["faults"]
    assert len(rows) > 1
    assert sum(r["requests_failed"] for r in rows) == out["requests.failed"]
    assert sum(r["requests_retried"] for r in rows) == out["requests.retries"]


def test_recurring_faults_report_zero_totals_in_a_replication_without_one():
    """A replication the renewal process leaves untouched still reports its totals
    (as 0), so means over replications do not drop exactly the lucky ones."""
    raw = tomllib.loads(C4.read_text())
    raw.pop("sweep", None)
    raw["experiment"]["duration"] = "2ms"
    raw["faults"].pop("at", None)
    raw["faults"]["ttf"] = {"dist": "constant", "value": "1s"}
    out = simulate(from_dict(raw, C4).points[0].config, np.random.SeedSequence(7))
    assert out["faults"] == 0
    for key in ("requests_lost", "requests_failed", "requests_retried", "system_down"):
        assert out[f"fault.{key}"] == 0
