"""Markov models of the lock microbenchmark, written here independently of ``kernsim``.

The microbenchmark (Boyd-Wickizer et al., "Non-scalable locks are dangerous",
2012): ``n`` cores each loop over parallel work of mean ``a`` and a serial
section of mean ``s`` under one lock. With exponential times the number ``k``
of cores holding or waiting for the lock is a birth–death chain on 0..n:

- birth ``(n − k) / a`` (a core finishes its parallel work and asks),
- death ``1 / (s + h(k))`` for k ≥ 1 (the holder releases), where the hand-off
  cost is ``h(k) = c·k/2`` for a ticket lock when another core holds or waits
  (k ≥ 2) and ``h(1) = 0`` (the holder alone: the paper's chain charges c/2
  there), and ``h(k) = c`` for MCS.

Throughput is ``X = Σ_{k≥1} P_k / (s + h(k))`` per unit time, which equals the
arrival rate ``(n − E[k]) / a``; ``n − E[k]`` (the expected number of cores
doing parallel work) is the paper's speedup.

``mg1_finite_source`` is the machine-repairman queue with general service
(M/G/1//N), solved on the chain embedded at departures, for a hold that is a
constant plus an exponential (how the rwlock and the mutex add their ``c``).

Times in any one unit (the tests use µs). Nothing here imports the simulator.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def birth_death(births: np.ndarray, deaths: np.ndarray) -> np.ndarray:
    """Stationary law of a birth–death chain on 0..n.

    ``births[k]`` is the rate k → k+1 (k = 0..n−1), ``deaths[k]`` the rate
    k+1 → k (k = 0..n−1). Detailed balance: P_{k+1} = P_k · births[k] / deaths[k];
    summed in logs so n = 48 neither overflows nor underflows.
    """
    births, deaths = np.asarray(births, float), np.asarray(deaths, float)
    if births.shape != deaths.shape or np.any(births <= 0) or np.any(deaths <= 0):
        raise ValueError("births and deaths: equal lengths, positive rates")
    logw = np.concatenate([[0.0], np.cumsum(np.log(births) - np.log(deaths))])
    w = np.exp(logw - logw.max())
    return w / w.sum()


def handoff(kind: str, c: float) -> Callable[[int], float]:
    """h(k): the hand-off cost with k cores holding or waiting."""
    if kind == "ticket":
        return lambda k: c * k / 2.0 if k >= 2 else 0.0
    if kind == "mcs":
        return lambda k: c
    raise ValueError(f"lock kind {kind!r}: the chain knows ticket and mcs")


def lock_chain(n: int, a: float, s: float, c: float, kind: str) -> dict[str, float]:
    """The Boyd-Wickizer chain: throughput X (per time unit), E[k], speedup, lock wait.

    ``wait`` is the mean time from asking for the lock to getting it, per
    acquisition: by Little's law on the waiting cores, E[k − 1{k ≥ 1}] / X.
    """
    h = handoff(kind, c)
    k = np.arange(n + 1)
    births = (n - k[:-1]) / a
    deaths = np.array([1.0 / (s + h(j)) for j in k[1:]])
    p = birth_death(births, deaths)
    x = float(p[1:] @ deaths)
    mean_k = float(k @ p)
    waiting = mean_k - (1.0 - p[0])
    return {"throughput": x, "mean_k": mean_k, "speedup": n - mean_k, "wait": waiting / x,
            "p": p}


def repairman_closed_form(n: int, think: float, service: float) -> dict[str, float]:
    """M/M/1//n by the textbook product form (a second route to ``lock_chain``).

    P_0 = [Σ_{k=0}^{n} n!/(n−k)! · (service/think)^k]^{-1}; X = (1 − P_0)/service;
    response R = n/X − think (response-time law); queueing delay W = R − service.
    """
    r = service / think
    total = sum(math.factorial(n) / math.factorial(n - k) * r**k for k in range(n + 1))
    p0 = 1.0 / total
    x = (1.0 - p0) / service
    response = n / x - think
    return {"throughput": x, "response": response, "wait": response - service, "p0": p0}


def mg1_finite_source(n: int, think: float, shift: float, exp_mean: float) -> dict[str, float]:
    """M/G/1//n, FIFO, service S = ``shift`` + Exp(mean ``exp_mean``): throughput and wait.

    Embedded chain at departures: Q = number left behind. A service that
    starts with j in the system (j ≥ 1) sees the n − j thinking sources
    arrive independently with probability 1 − e^{−S/think} each, so
    P(m arrivals) = C(n−j, m) Σ_i C(m, i) (−1)^i L((n − j − m + i)/think), L the
    Laplace transform of S: L(θ) = e^{−θ·shift} / (1 + θ·exp_mean). After an
    empty departure the next service starts with j = 1. Mean time between
    departures = E[S] + π_0 · think/n; X is its inverse. Exact for small n (the
    alternating sum loses digits as n grows: checked against the Markov chain
    at shift = 0 in the tests).
    """
    lam = 1.0 / think

    def laplace(theta: float) -> float:
        return math.exp(-theta * shift) / (1.0 + theta * exp_mean)

    def arrivals(j: int) -> np.ndarray:
        free = n - j
        out = np.zeros(free + 1)
        for m in range(free + 1):
            out[m] = math.comb(free, m) * sum(
                math.comb(m, i) * (-1) ** i * laplace(lam * (free - m + i)) for i in range(m + 1))
        return out

    t = np.zeros((n, n))  # states 0..n-1 left behind (a departure never leaves n)
    for q in range(n):
        j = max(q, 1)
        for m, prob in enumerate(arrivals(j)):
            t[q, j - 1 + m] += prob
    if np.any(t < -1e-12) or not np.allclose(t.sum(axis=1), 1.0, rtol=0, atol=1e-10):
        raise ValueError("M/G/1//n: lost precision in the arrival probabilities; use smaller n")
    w, v = np.linalg.eig(t.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1.0))])
    pi = pi / pi.sum()
    mean_s = shift + exp_mean
    cycle = mean_s + pi[0] * think / n
    x = 1.0 / cycle
    # response-time law for the whole loop (think + queue + service): n = X (think + R)
    response = n / x - think
    return {"throughput": x, "response": response, "wait": response - mean_s, "pi": pi}
