"""The null system call (getpid) and IPC payload modes, deterministic: exact by hand.

One client in a closed loop with no think time, one core, constant times: every
request takes the same time R, no queueing, so each claim is exact.

What ``model/kernsim/system/kernel.py`` (``compile_class``, ``_message``) promises:

- every request pays ``system.trap`` and one user/kernel boundary copy of its
  payload, ``bytes × copy_cost_per_byte`` (kernel time), in every architecture;
- monolithic: components are function calls in the kernel domain (no IPC);
- hybrid (L4Linux): the kernel is one server ``linux``: an IPC call message into
  it and an IPC reply out;
- microkernel: each component its own server: a call message into each server
  on the path and, nested, a reply out of each;
- a call message costs ``ipc.latency`` plus, by ``ipc.mode``: ``copy`` the
  payload (bytes × cost per byte), ``handle`` ``handle_bytes`` × cost per byte,
  ``grant`` ``map_cost``; a reply costs ``ipc.latency`` only.

Responses are compared within 1e-9 relative: simulated times are sums of
non-dyadic decimals (0.2 + 0.6 + ...), so the clock carries float rounding.
Throughput is compared on a window aligned to the cycle (the warm-up ends half
a cycle into one, the window spans M whole cycles), so it counts exactly M
completions: X = M / (M·R) · 1e6 = 1e6 / R up to float rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kernsim.experiment.load import from_dict
from kernsim.simulate import simulate

FLOAT = 1e-9    # relative: rounding in the simulated clock only
CYCLES = 1000   # completions in the measured window

TRAP, SERVICE, LATENCY = 0.2, 0.05, 0.6   # µs, written "0.2us", "0.05us", "0.6us" below


def getpid(arch: str, path: list[str], response: float, *, services: dict | None = None,
           bytes_: float = 0.0, ipc: dict | None = None) -> dict:
    """The closed 1-client loop; ``response`` (the hand value) aligns the window."""
    services = services or {p: "0.05us" for p in path}
    return {
        "experiment": {"name": "getpid", "replications": 1,
                       "warmup": 10.5 * response, "duration": CYCLES * response},
        "system": {"architecture": arch, "cores": 1, "trap": "0.2us",
                   "ipc": {"latency": "0.6us", **(ipc or {})}},
        "workload": {"kind": "closed", "clients": 1, "think": 0,
                     "classes": {"call": {"path": path, "bytes": bytes_}}},
        "components": {p: {"service": services[p]} for p in path},
    }


def run(raw: dict) -> dict:
    return simulate(from_dict(raw).config, np.random.SeedSequence(0))


def close(simulated: float, hand: float) -> bool:
    return math.isclose(simulated, hand, rel_tol=FLOAT, abs_tol=0.0)


def assert_cycle(m: dict, hand: float, what: str) -> None:
    msg = (f"{what}: by hand R = {hand!r} µs, X = {1e6 / hand!r}/s; simulated "
           f"response_mean {m['response_mean']!r}, p50 {m['response_p50']!r}, "
           f"p99 {m['response_p99']!r}, throughput {m['throughput']!r}")
    for key in ("response_mean", "response_p50", "response_p99"):
        assert close(m[key], hand), msg
    assert close(m["throughput"], 1e6 / hand), msg
    assert m["in_flight"] == 1 and m["arrived"] == m["completed"] + 1, msg


# (architecture, path, number of IPC messages: calls + replies)
NULL_CALL = [
    ("monolithic", ["getpid"], 0),
    ("hybrid", ["getpid"], 2),          # call into linux and reply
    ("microkernel", ["getpid"], 2),     # one server: call and reply
    ("monolithic", ["vfs", "getpid"], 0),
    ("hybrid", ["vfs", "getpid"], 2),   # both in linux: one call, one reply
    ("microkernel", ["vfs", "getpid"], 4),  # vfs calls getpid: 2 calls, 2 nested replies
]


@pytest.mark.parametrize("arch,path,messages", NULL_CALL, ids=lambda v: str(v))
def test_null_system_call(arch, path, messages):
    """R = trap + messages × latency + Σ services; X = 1e6 / R."""
    hand = TRAP + messages * LATENCY + SERVICE * len(path)
    m = run(getpid(arch, path, hand))
    assert_cycle(m, hand, f"{arch} {path}")


@pytest.mark.parametrize("arch,path,messages", NULL_CALL, ids=lambda v: str(v))
def test_null_system_call_cpu_shares(arch, path, messages):
    """Where one core's time goes: ipc = messages × latency / R, trap in kernel, services in
    kernel (monolithic) or server (otherwise); nothing else."""
    hand = TRAP + messages * LATENCY + SERVICE * len(path)
    m = run(getpid(arch, path, hand))
    work = SERVICE * len(path)
    expected = {"cpu.ipc": messages * LATENCY / hand,
                "cpu.kernel": (TRAP + (work if arch == "monolithic" else 0.0)) / hand,
                "cpu.server": (0.0 if arch == "monolithic" else work) / hand}
    for key, value in expected.items():
        assert math.isclose(m[key], value, rel_tol=FLOAT, abs_tol=0.0), (
            f"{arch} {path}: {key} by hand {value!r}, simulated {m[key]!r}")
    for key in ("cpu.user", "cpu.switch", "cpu.spin", "cpu.sleep", "cpu.idle"):
        assert m[key] == 0.0, f"{arch} {path}: {key} = {m[key]!r}, expected exactly 0"


def test_ipc_cost_with_explicit_constants():
    """The same hybrid call with the table form of constants and a different latency:
    the response moves by exactly 2 × ΔL (guards against a latency that is ignored)."""
    base = TRAP + 2 * LATENCY + SERVICE
    other = TRAP + 2 * 1.1 + SERVICE
    m = run(getpid("hybrid", ["getpid"], other,
                   ipc={"latency": {"dist": "constant", "value": 1.1}}))
    assert_cycle(m, other, "hybrid, latency 1.1 µs")
    assert close(m["response_mean"] - base, 2 * (1.1 - LATENCY))


# --- payload: copy vs handle vs grant ---------------------------------------------------------

BYTES = 4096
PER_BYTE = 1e-4        # µs per byte (0.1 ns/B): the boundary copy of 4 KiB is 0.4096 µs
HANDLE = 16            # ipc.handle_bytes (the default)
MAP = 0.3              # ipc.map_cost, µs
EXTRA = {"copy": BYTES * PER_BYTE, "handle": HANDLE * PER_BYTE, "grant": MAP}
CALLS = {"monolithic": 0, "hybrid": 1, "microkernel": 2}   # call messages on ["a", "b"]


def payload_hand(arch: str, mode: str) -> float:
    """trap + boundary copy + calls × (latency + mode extra) + replies × latency + services."""
    calls = CALLS[arch]
    return (TRAP + BYTES * PER_BYTE + calls * (LATENCY + EXTRA[mode]) + calls * LATENCY
            + 2 * SERVICE)


def payload(arch: str, mode: str) -> dict:
    ipc = {"mode": mode, "copy_cost_per_byte": PER_BYTE, "handle_bytes": HANDLE,
           "map_cost": MAP}
    return getpid(arch, ["a", "b"], payload_hand(arch, mode), bytes_=BYTES, ipc=ipc)


@pytest.mark.parametrize("mode", ["copy", "handle", "grant"])
@pytest.mark.parametrize("arch", ["monolithic", "hybrid", "microkernel"])
def test_payload_modes(arch, mode):
    hand = payload_hand(arch, mode)
    m = run(payload(arch, mode))
    assert_cycle(m, hand, f"{arch}, {mode}, {BYTES} B")
    ipc = CALLS[arch] * (2 * LATENCY + EXTRA[mode])
    assert math.isclose(m["cpu.ipc"], ipc / hand, rel_tol=FLOAT, abs_tol=0.0), (
        f"{arch}, {mode}: cpu.ipc by hand {ipc / hand!r}, simulated {m['cpu.ipc']!r}")


def test_monolithic_ignores_the_ipc_mode():
    """No IPC message in a monolithic kernel: the mode changes nothing, bit for bit."""
    runs = [run(payload("monolithic", mode)) for mode in ("copy", "handle", "grant")]
    # the configs differ only in ipc.mode (payload_hand is the same for all three)
    assert runs[0] == runs[1] == runs[2]


def test_payload_is_copied_per_call_not_per_reply():
    """Microkernel, two servers, copy mode: going from 0 to 4096 bytes adds exactly the
    boundary copy plus one payload copy per call message (2), none per reply."""
    ipc = {"mode": "copy", "copy_cost_per_byte": PER_BYTE}
    empty_hand = TRAP + 4 * LATENCY + 2 * SERVICE
    empty = run(getpid("microkernel", ["a", "b"], empty_hand, ipc=ipc))
    full_hand = empty_hand + 3 * BYTES * PER_BYTE
    full = run(getpid("microkernel", ["a", "b"], full_hand, bytes_=BYTES, ipc=ipc))
    assert_cycle(empty, empty_hand, "microkernel, 0 B")
    assert_cycle(full, full_hand, "microkernel, 4096 B copied")
