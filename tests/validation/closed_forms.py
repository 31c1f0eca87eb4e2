"""Closed forms of the validation cases, written here independently of ``kernsim``.

Rates are per unit time and times in the same unit (the tests use µs, the
machine repairman uses hours). Nothing here imports the simulator.
"""

from __future__ import annotations

import math

import numpy as np


def _stable(lam: float, capacity: float) -> None:
    if not 0 < lam < capacity:
        raise ValueError(f"unstable or empty queue: arrival rate {lam} vs capacity {capacity}")


def mm1_wq(lam: float, mu: float) -> float:
    """M/M/1 mean time in queue: ρ / (μ − λ)."""
    _stable(lam, mu)
    return (lam / mu) / (mu - lam)


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability for ``c`` servers and offered load ``a`` = λ/μ.

    The recursion B(k) = a·B(k−1) / (k + a·B(k−1)) avoids factorials.
    """
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability that an arrival waits in an M/M/c queue (a = λ/μ < c)."""
    rho = a / c
    if not 0 < rho < 1:
        raise ValueError(f"M/M/c needs 0 < a/c < 1, got a={a}, c={c}")
    b = erlang_b(c, a)
    return b / (1.0 - rho * (1.0 - b))


def mmc_wq(lam: float, mu: float, c: int) -> float:
    """M/M/c mean time in queue: C(c, λ/μ) / (cμ − λ)."""
    _stable(lam, c * mu)
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_sojourn(lam: float, mu: float, c: int) -> float:
    """M/M/c mean time in the station (queue + service)."""
    return mmc_wq(lam, mu, c) + 1.0 / mu


def pk_wq(lam: float, mean: float, var: float) -> float:
    """M/G/1 mean time in queue (Pollaczek–Khinchine): λ E[S²] / (2 (1 − ρ))."""
    _stable(lam * mean, 1.0)
    return lam * (var + mean**2) / (2.0 * (1.0 - lam * mean))


def lognormal_var(mean: float, cv: float) -> float:
    """Variance of a log-normal given its mean and coefficient of variation."""
    return (mean * cv) ** 2


def jackson_tandem_sojourn(lam: float, stations: list[tuple[int, float]]) -> float:
    """Mean sojourn through a tandem Jackson network of M/M/c stations.

    ``stations`` lists (servers, service rate μ). Every station sees Poisson
    arrivals at rate λ (Burke), so the sojourn is the sum of per-station ones.
    """
    return sum(mmc_sojourn(lam, mu, c) for c, mu in stations)


def repairman_distribution(n: int, fail_rate: float, repair_rate: float) -> np.ndarray:
    """Stationary distribution of the number of broken machines in M/M/1//N.

    Birth–death chain on 0..N: birth (N − k)·λ from k, death μ from k ≥ 1, so
    p(k) ∝ Π_{j<k} (N − j) λ / μ.
    """
    weights = np.ones(n + 1)
    for k in range(1, n + 1):
        weights[k] = weights[k - 1] * (n - k + 1) * fail_rate / repair_rate
    return weights / weights.sum()


def repairman(n: int, up_mean: float, repair_mean: float) -> dict[str, float]:
    """Machine repairman M/M/1//N: throughput X, response R (queue + repair), utilisation.

    X = μ (1 − p0); R = L / X by Little's law, L the mean number at the repair
    station; equivalently R = N / X − Z (the response-time law).
    """
    p = repairman_distribution(n, 1.0 / up_mean, 1.0 / repair_mean)
    util = 1.0 - p[0]
    throughput = util / repair_mean
    number = float(np.arange(n + 1) @ p)
    return {"throughput": throughput, "response": number / throughput, "util": util,
            "wait": number / throughput - repair_mean}


def mva_delay_plus_queue(n: int, think: float, demand: float) -> tuple[float, float]:
    """Exact MVA for N customers, a delay station ``think`` and one FCFS queue ``demand``.

    Returns (throughput, response time at the queue). A second, independent
    route to the machine-repairman numbers, used to check :func:`repairman`.
    """
    queue = 0.0
    x = r = math.nan
    for k in range(1, n + 1):
        r = demand * (1.0 + queue)
        x = k / (think + r)
        queue = x * r
    return x, r
