"""Indirect costs of crossing address spaces (``[system.address_space]``) and ``calls``.

What ``model/kernsim/system/refill.py`` and ``compile_class`` promise:

- after an IPC call into a server, the server refills its visit's working set
  (the ``working_set`` of the path's consecutive components in its domain);
  after the reply, the client refills its class's ``working_set``;
- a refill is ``tlb_refill · min(⌈w / page⌉, tlb_entries)`` when the crossing
  flushes the TLB, plus ``cache_refill · w / 1024`` always; nothing flushes with
  ``tagged_tlb``, nor a crossing to or from a domain in ``small_spaces``;
- ``calls = n`` pays the trap and the crossing (call, reply, both refills) n
  times and the work once; ``calls = 0`` pays neither trap nor crossing.

The deterministic cases (constant times, one client, one core) are exact by hand,
as in ``test_ipc.py``. The stochastic case compares the simulated IPC CPU per
request with its closed form inside the model's own 99% Student-t interval over
replications (fixed seed).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kernsim.experiment.load import from_dict
from kernsim.simulate import simulate
from kernsim.stats.intervals import t_interval

FLOAT = 1e-9    # relative: rounding in the simulated clock only
CYCLES = 1000
TRAP, SERVICE, LATENCY = 0.2, 0.05, 0.6
TLB, CACHE, PAGE = 0.05, 0.01, 4096.0


def file(arch: str, response: float, *, space: dict, calls: int = 1, path=("fs",),
         class_ws: float = 0.0, comp_ws: dict | None = None) -> dict:
    comp_ws = comp_ws or {}
    return {
        "experiment": {"name": "refill", "replications": 1,
                       "warmup": 10.5 * response, "duration": CYCLES * response},
        "system": {"architecture": arch, "cores": 1, "trap": "0.2us",
                   "ipc": {"latency": "0.6us"}, "address_space": space},
        "workload": {"kind": "closed", "clients": 1, "think": 0,
                     "classes": {"call": {"path": list(path), "calls": calls,
                                          "working_set": class_ws}}},
        "components": {p: {"service": "0.05us", "working_set": comp_ws.get(p, 0.0)}
                       for p in path},
    }


def run(raw: dict, seed: int = 0) -> dict:
    return simulate(from_dict(raw).config, np.random.SeedSequence(seed))


def tlb(ws: float, entries: int = 64) -> float:
    return TLB * min(math.ceil(ws / PAGE), entries) if ws else 0.0


def assert_response(raw: dict, hand: float, what: str) -> None:
    m = run(raw)
    assert math.isclose(m["response_mean"], hand, rel_tol=FLOAT, abs_tol=0.0), (
        f"{what}: by hand R = {hand!r} µs; simulated {m['response_mean']!r}")


SPACE = {"tlb_refill": "0.05us", "cache_refill": "0.01us"}
SERVER_WS, CLIENT_WS = 10_000.0, 3000.0     # 3 and 1 pages; 9.77 and 2.93 KiB


def test_hybrid_call_refills_server_then_client():
    """A flushing crossing each way: TLB pages and cache KiB of each side's working set."""
    refills = (tlb(SERVER_WS) + CACHE * SERVER_WS / 1024
               + tlb(CLIENT_WS) + CACHE * CLIENT_WS / 1024)
    hand = TRAP + 2 * LATENCY + SERVICE + refills
    assert_response(file("hybrid", hand, space=SPACE, class_ws=CLIENT_WS,
                         comp_ws={"fs": SERVER_WS}), hand, "hybrid")


def test_refill_is_charged_as_ipc_cpu():
    hand = TRAP + 2 * LATENCY + SERVICE + tlb(SERVER_WS)
    m = run(file("hybrid", hand, space={"tlb_refill": "0.05us"}, comp_ws={"fs": SERVER_WS}))
    assert math.isclose(m["cpu.ipc"], (2 * LATENCY + tlb(SERVER_WS)) / hand, rel_tol=FLOAT)


def test_tlb_refill_stops_at_the_tlb_size():
    big = 1_000_000.0                                   # 245 pages, more than 8 entries
    hand = TRAP + 2 * LATENCY + SERVICE + tlb(big, 8)
    assert_response(file("hybrid", hand, space={"tlb_refill": "0.05us", "tlb_entries": 8},
                         comp_ws={"fs": big}), hand, "tlb_entries = 8")


@pytest.mark.parametrize("space", [{**SPACE, "tagged_tlb": True},
                                   {**SPACE, "small_spaces": ["linux"]}],
                         ids=["tagged TLB", "small space"])
def test_no_flush_leaves_only_the_cache_refill(space):
    hand = TRAP + 2 * LATENCY + SERVICE + CACHE * (SERVER_WS + CLIENT_WS) / 1024
    assert_response(file("hybrid", hand, space=space, class_ws=CLIENT_WS,
                         comp_ws={"fs": SERVER_WS}), hand, str(space))


def test_monolithic_crosses_no_address_space():
    hand = TRAP + SERVICE
    assert_response(file("monolithic", hand, space=SPACE, class_ws=CLIENT_WS,
                         comp_ws={"fs": SERVER_WS}), hand, "monolithic")


def test_microkernel_nested_servers_and_a_small_space():
    """client → vfs (large) → fs (small): the vfs entry flushes, the fs entry does not; the
    replies back into vfs refill nothing (its work is done); the client's return flushes."""
    ws = {"vfs": 5000.0, "fs": 9000.0}
    space = {"tlb_refill": "0.05us", "small_spaces": ["fs"]}
    hand = (TRAP + 4 * LATENCY + 2 * SERVICE + tlb(ws["vfs"]) + tlb(CLIENT_WS))
    assert_response(file("microkernel", hand, space=space, path=("vfs", "fs"),
                         class_ws=CLIENT_WS, comp_ws=ws), hand, "microkernel")


def test_a_visit_refills_every_component_it_runs():
    """Hybrid: vfs and fs both run in linux, one visit: the refill counts both working sets."""
    ws = {"vfs": 5000.0, "fs": 9000.0}
    hand = TRAP + 2 * LATENCY + 2 * SERVICE + tlb(ws["vfs"] + ws["fs"])
    assert_response(file("hybrid", hand, space={"tlb_refill": "0.05us"}, path=("vfs", "fs"),
                         comp_ws=ws), hand, "one visit")


@pytest.mark.parametrize("calls", [0, 1, 3])
def test_calls_repeat_the_trap_and_the_crossing_not_the_work(calls):
    per_call = TRAP + 2 * LATENCY + tlb(SERVER_WS) + tlb(CLIENT_WS)
    hand = calls * per_call + SERVICE
    assert_response(file("hybrid", hand, space={"tlb_refill": "0.05us"}, calls=calls,
                         class_ws=CLIENT_WS, comp_ws={"fs": SERVER_WS}), hand,
                    f"calls = {calls}")


@pytest.mark.parametrize("calls", [0, 2])
def test_calls_on_a_monolithic_kernel_are_traps(calls):
    hand = calls * TRAP + SERVICE
    assert_response(file("monolithic", hand, space={}, calls=calls), hand, f"calls = {calls}")


def test_ipc_cpu_per_request_matches_its_closed_form_inside_the_ci():
    """Four clients, exponential IPC latency and service, thinking between calls: the
    simulated IPC CPU per request completed in the window (the IPC share over the
    throughput), 2·E[latency] + both refills, lies in the model's 99% t-interval over
    8 replications."""
    refills = tlb(SERVER_WS) + tlb(CLIENT_WS) + CACHE * (SERVER_WS + CLIENT_WS) / 1024
    raw = file("hybrid", 1.0, space=SPACE, class_ws=CLIENT_WS, comp_ws={"fs": SERVER_WS})
    raw["experiment"].update(warmup=200.0, duration=20_000.0)
    raw["system"]["ipc"] = {"latency": {"dist": "exponential", "mean": "0.6us"}}
    raw["components"]["fs"]["service"] = {"dist": "exponential", "mean": "1us"}
    raw["workload"].update(clients=4, think={"dist": "exponential", "mean": "5us"})
    per_request = []
    for seed in range(8):
        m = run(raw, seed)
        per_request.append(m["cpu.ipc"] * 1e6 / m["throughput"])  # IPC µs per µs / per µs
    mean, lo, hi = t_interval(np.array(per_request), 0.99)
    expected = 2 * LATENCY + refills
    assert lo <= expected <= hi, (expected, mean, lo, hi)
