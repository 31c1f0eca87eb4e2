"""Locks against Markov models: the lock microbenchmark of Boyd-Wickizer et al. (2012).

Every case is the microbenchmark: ``n`` cores, a closed workload of ``n``
clients with no think time; each request is parallel user work of mean ``a``
and then a serial section of mean ``s`` under one global lock (``bkl``) on a
monolithic kernel (no trap, no other work). With exponential ``a`` and ``s``
the number ``k`` of cores holding or waiting is the birth–death chain of
``markov.py`` (arrivals ``(n − k)/a``, service ``1/(s + h(k))``).

Statistical checks pass when the analytic value lies inside the model's own
99% Student-t interval over replications (``kernsim.stats.intervals.t_interval``);
exact claims (deterministic or identical runs) are checked for equality, with
a relative 1e-12 only where the same rational is computed by the model in
another order of floating-point operations. Seeds are fixed up front.

What the lock metrics mean (``model/kernsim/system/locks.py``): ``lock.bkl.wait_mean``
is the mean over acquisitions granted in the measured window of (grant time −
request time), zero-wait grants included: the queueing delay of the lock
station, W = R − E[hold] in the machine-repairman picture, or E[#waiting]/X by
Little's law. ``throughput`` counts completed requests per second; here a
request completes the instant its lock is released.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from kernsim.experiment.load import from_dict
from kernsim.experiment.tasks import tasks_for
from kernsim.simulate import simulate
from kernsim.stats.intervals import t_interval

from . import cases
from . import closed_forms as cf
from . import markov as mk

LEVEL = 0.99
REL = 1e-12          # float rounding only: the same exact rational computed another way
ACQUISITIONS = 6_000   # expected completions per replication (sets each run's length)
REPS = 10


# --- building and running the microbenchmark ----------------------------------------------


def bench(n: int, kind: str, c: float, a: float, s: float, *, seed: int, duration: float,
          warmup: float, reps: int = REPS, cores: int | None = None, dist: str = "exponential",
          switch: float = 0.0, write_fraction: float | None = None) -> dict:
    """The raw config of the microbenchmark (times in µs)."""
    def time(mean: float):
        return {"dist": "exponential", "mean": mean} if dist == "exponential" else mean

    lock = {"kind": kind, "c": c}
    if write_fraction is not None:
        lock["write_fraction"] = write_fraction
    return {
        "experiment": {"name": "lockbench", "seed": seed, "replications": reps,
                       "duration": duration, "warmup": warmup},
        "system": {"architecture": "monolithic", "cores": n if cores is None else cores,
                   "lock_placement": "global", "lock": lock, "context_switch": switch},
        "workload": {"kind": "closed", "clients": n, "think": 0,
                     "classes": {"op": {"path": ["counter"], "user": time(a)}}},
        "components": {"counter": {"critical": time(s)}},
    }


def sized(n: int, kind: str, c: float, a: float, s: float, x: float, seed: int, **kw) -> dict:
    """``bench`` run for about ``ACQUISITIONS`` completions after a warm-up of 5 request
    cycles (n / x), ``x`` the analytic throughput per µs (it only sets the run length)."""
    return bench(n, kind, c, a, s, seed=seed, duration=round(ACQUISITIONS / x, 3),
                 warmup=round(5 * n / x, 3), **kw)


def replicate(raw: dict, share_dir: Path | None) -> list[dict]:
    """Every replication of ``raw`` (once per run, split between pytest-xdist workers)."""
    return _replicate(json.dumps(raw, sort_keys=True), str(share_dir) if share_dir else None)


@cache
def _replicate(key: str, share: str | None) -> list[dict]:
    exp = from_dict(json.loads(key))
    where = Path(share) / f"locks-{exp.config_hash}" if share else None
    rows = cases.run_tasks(tasks_for(exp), where)
    failed = cases.errors(rows)
    if failed:
        pytest.fail("the model raised:\n" + "\n".join(failed[:2]), pytrace=False)
    return rows


def once(raw: dict, seed: int = 0) -> dict:
    return simulate(from_dict(raw).config, np.random.SeedSequence(seed))


def interval(values) -> tuple[float, float, float]:
    return t_interval(np.asarray(values, float), LEVEL)


def check(what: str, analytic: float, values) -> str:
    """Assert ``analytic`` inside the 99% interval of ``values``; return the message."""
    mean, low, high = interval(values)
    msg = (f"{what}: analytic {analytic:.6g}, simulated mean {mean:.6g}, "
           f"99% CI [{low:.6g}, {high:.6g}] ({len(values)} replications)")
    print(msg)
    assert low <= analytic <= high, msg
    return msg


def column(rows: list[dict], metric: str, scale: float = 1.0) -> list[float]:
    return [float(r[metric]) * scale for r in rows]


def same(m1: dict, m2: dict) -> bool:
    """Bit-identical metric dicts (NaN equals NaN)."""
    return m1.keys() == m2.keys() and all(
        m1[k] == m2[k] or (math.isnan(m1[k]) and math.isnan(m2[k])) for k in m1)


# --- the helpers themselves -------------------------------------------------------------------


@pytest.mark.parametrize("n,a,s", [(1, 3.0, 1.0), (4, 10.0, 1.0), (8, 5.0, 1.0), (30, 7.0, 0.4)])
def test_markov_helpers_agree_with_the_repairman_closed_form(n, a, s):
    """Chain (MCS, c = 0), product form, the suite's repairman and M/G/1//n (shift 0) agree."""
    chain = mk.lock_chain(n, a, s, 0.0, "mcs")
    closed = mk.repairman_closed_form(n, a, s)
    suite = cf.repairman(n, a, s)
    for value in (closed["throughput"], suite["throughput"]):
        assert chain["throughput"] == pytest.approx(value, rel=1e-9)
    assert chain["wait"] == pytest.approx(closed["wait"], rel=1e-9)
    assert chain["wait"] == pytest.approx(suite["wait"], rel=1e-9)
    assert chain["throughput"] == pytest.approx((n - chain["mean_k"]) / a, rel=1e-9)
    assert mk.lock_chain(n, a, s, 0.0, "ticket")["throughput"] == chain["throughput"]
    if n <= 8:  # the alternating sums of the embedded chain are exact only for small n
        mg1 = mk.mg1_finite_source(n, a, 0.0, s)
        assert mg1["throughput"] == pytest.approx(closed["throughput"], rel=1e-9)
        assert mg1["wait"] == pytest.approx(closed["wait"], rel=1e-9)


def test_markov_mcs_with_cost_is_repairman_with_longer_service():
    """MCS h = c is exponential service of mean s + c: M/M/1//n with repair s + c."""
    for n, a, s, c in [(4, 10.0, 1.0, 0.5), (16, 10.0, 1.0, 0.2)]:
        assert mk.lock_chain(n, a, s, c, "mcs")["throughput"] == pytest.approx(
            mk.repairman_closed_form(n, a, s + c)["throughput"], rel=1e-9)


def test_markov_ticket_chain_by_hand_for_two_cores():
    """n = 2, h(1) = 0 (the holder alone), h(2) = c·2/2 = c: P1/P0 = (2/a)·s,
    P2/P1 = (1/a)(s + c); X = P1/s + P2/(s + c)."""
    a, s, c = 3.0, 1.0, 0.5
    r1, r2 = (2 / a) * s, (1 / a) * (s + c)
    p0 = 1 / (1 + r1 + r1 * r2)
    x = p0 * r1 / s + p0 * r1 * r2 / (s + c)
    assert mk.lock_chain(2, a, s, c, "ticket")["throughput"] == pytest.approx(x, rel=1e-12)


# --- 1. MCS with c = 0 is the machine repairman M/M/1//n --------------------------------------

REPAIRMAN = [(4, 10.0, 1.0), (8, 5.0, 1.0)]  # lock utilisation ≈ 0.35 and ≈ 0.93


@pytest.fixture(scope="module")
def repairman_rows(share_dir):
    out = {}
    for n, a, s in REPAIRMAN:
        x = mk.repairman_closed_form(n, a, s)["throughput"]
        out[n, a, s] = replicate(sized(n, "mcs", 0.0, a, s, x, seed=101), share_dir)
    return out


@pytest.mark.parametrize("metric", ["throughput", "wait"])
@pytest.mark.parametrize("n,a,s", REPAIRMAN)
def test_mcs_without_cost_is_the_machine_repairman(repairman_rows, n, a, s, metric):
    """X = (1 − P0)/s; lock wait = n/X − a − s (response-time law, minus the hold)."""
    exact = mk.repairman_closed_form(n, a, s)
    rows = repairman_rows[n, a, s]
    label = f"MCS c=0, n={n}, a={a}, s={s} (lock utilisation {1 - exact['p0']:.3f})"
    if metric == "throughput":
        check(f"{label}: throughput /s", exact["throughput"] * 1e6, column(rows, "throughput"))
    else:
        check(f"{label}: lock.bkl.wait_mean µs", exact["wait"],
              column(rows, "lock.bkl.wait_mean"))


# --- 2. the ticket lock against the Boyd-Wickizer chain ---------------------------------------

#: (n, a, s, c); (a, s, c) = (10, 1, 0.2) peaks at n = 10; (40, 1, 0.5) at 19;
#: (20, 0.5, 0.2) at 20; (100, 1, 1) at 25. Points past the peak are past the collapse.
GRID = [(2, 10.0, 1.0, 0.2), (10, 10.0, 1.0, 0.2), (24, 10.0, 1.0, 0.2), (48, 10.0, 1.0, 0.2),
        (8, 40.0, 1.0, 0.5), (32, 40.0, 1.0, 0.5), (16, 20.0, 0.5, 0.2), (48, 100.0, 1.0, 1.0)]
COLLAPSE = (10.0, 1.0, 0.2)           # (a, s, c) of the collapse test
TICKET_NS = (2, 10, 24, 48)            # ticket points of GRID with that (a, s, c)
MCS_NS = (10, 24, 48)
SEED_GRID = 2012


def grid_raw(n, a, s, c, kind="ticket"):
    x = mk.lock_chain(n, a, s, c, kind)["throughput"]
    return sized(n, kind, c, a, s, x, seed=SEED_GRID)


@pytest.mark.parametrize("metric", ["throughput", "speedup", "wait"])
@pytest.mark.parametrize("n,a,s,c", GRID, ids=lambda v: str(v))
def test_ticket_lock_matches_the_chain(share_dir, n, a, s, c, metric):
    """Throughput, speedup and lock wait of the ticket lock vs the chain.

    Speedup (the paper's): n − E[k], the expected number of cores doing
    parallel work (= a·X). Simulated: n · cpu.user (cores in user work,
    time-averaged; nothing else is user time here), a measurement independent
    of the throughput count.
    """
    chain = mk.lock_chain(n, a, s, c, "ticket")
    rows = replicate(grid_raw(n, a, s, c), share_dir)
    label = f"ticket n={n}, a={a}, s={s}, c={c}"
    if metric == "throughput":
        check(f"{label}: throughput /s", chain["throughput"] * 1e6, column(rows, "throughput"))
    elif metric == "speedup":
        check(f"{label}: speedup n-E[k]", chain["speedup"], column(rows, "cpu.user", n))
    else:
        check(f"{label}: lock.bkl.wait_mean µs", chain["wait"],
              column(rows, "lock.bkl.wait_mean"))


def test_ticket_collapses_and_mcs_does_not(share_dir):
    """For (a, s, c) = (10, 1, 0.2), n in {2, 10, 24, 48} (ticket) and {10, 24, 48} (MCS).

    Asserted: (1) the ticket lock's simulated throughput at n = 48 is
    significantly below its maximum over those n: the 99% CI at 48 lies
    entirely below the 99% CI of the n with the highest simulated mean (the
    chain puts the peak at n = 10 and X(48) at 27% of it); (2) MCS at n = 48 is
    not significantly below its maximum over its n: the 99% CIs of n = 48 and
    of the best n overlap (the chain: MCS saturates at 1/(s + c)); (3) at
    n = 48 MCS is significantly above the ticket lock (disjoint CIs).
    """
    a, s, c = COLLAPSE

    def intervals(kind, ns):
        return {n: interval(column(replicate(grid_raw(n, a, s, c, kind), share_dir),
                                   "throughput")) for n in ns}

    def table(kind, ci):
        return "; ".join(f"n={n}: chain {mk.lock_chain(n, a, s, c, kind)['throughput'] * 1e6:.0f}"
                         f" sim {m:.0f} [{lo:.0f}, {hi:.0f}]" for n, (m, lo, hi) in ci.items())

    ticket, mcs = intervals("ticket", TICKET_NS), intervals("mcs", MCS_NS)
    print("ticket:", table("ticket", ticket))
    print("mcs:", table("mcs", mcs))
    best = max(ticket, key=lambda n: ticket[n][0])
    assert ticket[48][2] < ticket[best][1], (
        f"ticket at n=48 not significantly below its max (n={best}): {table('ticket', ticket)}")
    best_mcs = max(mcs, key=lambda n: mcs[n][0])
    assert mcs[48][2] >= mcs[best_mcs][1], (
        f"MCS at n=48 significantly below its max (n={best_mcs}): {table('mcs', mcs)}")
    assert mcs[48][1] > ticket[48][2], (
        f"MCS not above ticket at n=48: {table('mcs', mcs)} | {table('ticket', ticket)}")


# --- 3. one core: no contention -----------------------------------------------------------------


def one_core(kind, c, reps=REPS):
    a, s = 3.0, 1.0
    return bench(1, kind, c, a, s, seed=303, duration=24_000.0, warmup=100.0, reps=reps)


def test_one_core_ticket_and_mcs_identical_without_cost():
    """c = 0: h(k) = 0 for both kinds, so both run the same code with the same numbers
    (same streams: user.op, critical.counter) and every metric is bit-identical."""
    assert same(once(one_core("ticket", 0.0)), once(one_core("mcs", 0.0)))


def test_one_core_ticket_costs_no_hand_off_whatever_c():
    """n = 1: k ≡ 1 while the lock is held (no other core holds or waits for the line), so
    the ticket hand-off is 0 whatever c: bit-identical to c = 0 and to MCS at c = 0. MCS
    charges its constant c even alone, so with the same c > 0 it differs."""
    c = 0.5
    ticket = once(one_core("ticket", c))
    assert same(ticket, once(one_core("ticket", 0.0)))
    assert same(ticket, once(one_core("mcs", 0.0)))
    assert ticket["throughput"] != once(one_core("mcs", c))["throughput"]


@pytest.mark.parametrize("kind", ["ticket", "mcs"])
def test_one_core_throughput_is_one_cycle(share_dir, kind):
    """n = 1 is a renewal process: cycle a + s + h(1), so X = 1/(a + s + h(1)), with
    h(1) = 0 for ticket (nobody else wants the line) and c for MCS."""
    a, s, c = 3.0, 1.0, 0.5
    h = 0.0 if kind == "ticket" else c
    rows = replicate(one_core(kind, c), share_dir)
    check(f"{kind} n=1, a={a}, s={s}, c={c}: throughput /s", 1e6 / (a + s + h),
          column(rows, "throughput"))


# --- 4. the mutex: waiters sleep, a wake-up costs a context switch ------------------------------

# Two clients on two cores, constant user work a = 1, section s = 3, context switch
# w = 0.5, hand-off c. t=0: A and B run user work. t=1: A takes the mutex (hold s + c,
# no switch: it never slept), B sleeps (its core idles). t1 = a + s + c: A releases and
# completes; B wakes on the free core and pays the switch inside its hold, H = s + w + c.
# A runs user work, asks at t1 + a, sleeps until t1 + H, holds H, and so on. From t1 on
# the mutex is always held (a < H), a completion every H; each client's cycle is
# 2H = a + (H − a) asleep + H hold. Over a period 2H (4H core-µs): user 2a, switch 2w,
# section ("kernel", hand-off included) 2(s + c), sleep 2(H − a) (the sleeper's core
# idles), spin 0, idle 0. All times are dyadic, so the simulated clock is exact; the
# window starts half a hold into the 11th hold and spans 1000 periods (2000 holds).
A, S, W = 1.0, 3.0, 0.5


def mutex_hand_raw(c: float) -> dict:
    h, t1 = S + W + c, A + S + c
    return bench(2, "mutex", c, A, S, seed=0, duration=2000 * h, warmup=t1 + 10.5 * h,
                 reps=1, dist="constant", switch=W)


@pytest.mark.parametrize("c", [0.0, 0.25])
def test_mutex_by_hand(c):
    h = S + W + c
    m = once(mutex_hand_raw(c))
    expected = {"throughput": 1e6 / h, "response_mean": 2 * h, "response_p99": 2 * h,
                "lock.bkl.wait_mean": h - A, "lock.bkl.hold_mean": h,
                "lock.bkl.acquisitions": 2000, "cpu.user": A / (2 * h),
                "cpu.switch": W / (2 * h), "cpu.kernel": (S + c) / (2 * h),
                "cpu.sleep": (h - A) / (2 * h)}
    for key, value in expected.items():
        assert math.isclose(m[key], value, rel_tol=REL, abs_tol=0.0), (
            f"mutex c={c}: {key}: hand value {value!r}, simulated {m[key]!r}")
    for key in ("cpu.spin", "cpu.idle", "cpu.server", "cpu.ipc"):
        assert m[key] == 0.0, f"mutex c={c}: {key} = {m[key]!r}, expected exactly 0"


def random_sleepers(kind: str, c: float = 0.0) -> dict:
    """Four clients on two cores (exponential a = 2, s = 1), context switch 0.2."""
    return bench(4, kind, c, 2.0, 1.0, cores=2, seed=404, duration=20_000.0, warmup=500.0,
                 reps=1, switch=0.2)


def cpu(m: dict) -> dict:
    return {k: v for k, v in m.items() if k.startswith("cpu.")}


@pytest.mark.parametrize("c", [0.0, 0.25])
def test_mutex_waiters_sleep_spin_lock_waiters_spin(c):
    """Mutex, with or without a hand-off cost: no spinning at all (exactly 0), cores idle
    while threads sleep (cpu.sleep > 0) and wake-ups cost switches. The same run with a
    ticket lock spins and never sleeps (so the checks can fail)."""
    mutex, ticket = once(random_sleepers("mutex", c)), once(random_sleepers("ticket", c))
    assert mutex["cpu.spin"] == 0.0, cpu(mutex)
    assert mutex["cpu.sleep"] > 0.0 and mutex["cpu.switch"] > 0.0, cpu(mutex)
    assert ticket["cpu.spin"] > 0.0 and ticket["cpu.sleep"] == 0.0, cpu(ticket)


# --- 5. the reader-writer lock -----------------------------------------------------------------

RW_POINTS = [(4, 10.0, 1.0, 0.5), (8, 5.0, 1.0, 0.2)]


@pytest.mark.parametrize("metric", ["throughput", "wait"])
@pytest.mark.parametrize("n,a,s,c", RW_POINTS)
def test_rwlock_all_writers_is_exclusive(share_dir, n, a, s, c, metric):
    """write_fraction = 1: every request excludes every other, FIFO. The rwlock adds its
    constant c to the hold (hold = c + Exp(s); only ticket and MCS spread c over the
    work), so this is M/G/1//n with that service, solved exactly by the chain embedded
    at departures. The message also shows the h = c birth–death chain (MCS), which
    assumes an exponential hold of mean s + c: close, but a different model."""
    exact = mk.mg1_finite_source(n, a, c, s)
    chain = mk.lock_chain(n, a, s, c, "mcs")
    raw = sized(n, "rwlock", c, a, s, exact["throughput"], seed=505, write_fraction=1.0)
    rows = replicate(raw, share_dir)
    label = f"rwlock wf=1, n={n}, a={a}, s={s}, c={c}"
    if metric == "throughput":
        check(f"{label}: throughput /s (h=c chain: {chain['throughput'] * 1e6:.6g})",
              exact["throughput"] * 1e6, column(rows, "throughput"))
    else:
        check(f"{label}: lock.bkl.wait_mean µs (h=c chain: {chain['wait']:.6g})",
              exact["wait"], column(rows, "lock.bkl.wait_mean"))


def test_rwlock_readers_never_wait(share_dir):
    """write_fraction = 0: readers share, so every grant is immediate (wait exactly 0 in
    every replication) and each core is an independent renewal cycle a + s + c:
    X = n / (a + s + c)."""
    n, a, s, c = 8, 5.0, 1.0, 0.5
    x = n / (a + s + c)
    rows = replicate(sized(n, "rwlock", c, a, s, x, seed=506, write_fraction=0.0), share_dir)
    waits = column(rows, "lock.bkl.wait_mean")
    assert all(w == 0.0 for w in waits), f"reader waits: {waits}"
    assert all(r["lock.bkl.wait_p99"] == 0.0 for r in rows)
    check(f"rwlock wf=0, n={n}, a={a}, s={s}, c={c}: throughput /s", x * 1e6,
          column(rows, "throughput"))
