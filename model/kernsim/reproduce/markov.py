"""The Boyd-Wickizer et al. (2012) birth–death chain of the lock microbenchmark.

``n`` cores each loop over parallel work of mean ``a`` and a serial section of
mean ``s`` under one lock. State ``k`` = cores holding or waiting, k = 0..n:
birth ``(n − k)/a``, death ``1/(s + h(k))`` with the hand-off ``h(k) = c·k/2``
for ``k ≥ 2`` and ``h(1) = 0`` (ticket: the form ``kernsim.system.locks`` uses,
no hand-off while no other core holds or waits for the line; the reading
reports' chain charges ``c/2`` in state 1 too, and the paper's printed
∏(s + i·c) is theirs with c halved) or ``h = c`` (MCS). Speedup = ``n − E[k]``,
the cores doing parallel work on average.

This copy belongs to the reproduction (it fits c and draws the chain beside
the simulator); ``tests/validation/markov.py`` is the independent test-side one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

KINDS = ("ticket", "mcs")


def stationary(births: np.ndarray, deaths: np.ndarray) -> np.ndarray:
    """Stationary law of a birth–death chain on 0..n by detailed balance, summed in logs."""
    births, deaths = np.asarray(births, float), np.asarray(deaths, float)
    logw = np.concatenate([[0.0], np.cumsum(np.log(births) - np.log(deaths))])
    w = np.exp(logw - logw.max())
    return w / w.sum()


def handoff(kind: str, c: float, k: np.ndarray) -> np.ndarray:
    """h(k) for k cores holding or waiting (k ≥ 1)."""
    if kind == "ticket":
        return np.where(k >= 2, c * k / 2.0, 0.0)
    if kind == "mcs":
        return np.full(len(k), float(c))
    raise ValueError(f"lock kind {kind!r}: allowed: {', '.join(KINDS)}")


def speedup(n: int, a: float, s: float, c: float, kind: str) -> float:
    """n − E[k] for ``n`` cores (a, s, c in one time unit)."""
    k = np.arange(n + 1)
    births = (n - k[:-1]) / a
    deaths = 1.0 / (s + handoff(kind, c, k[1:]))
    p = stationary(births, deaths)
    return float(n - k @ p)


def curve(cores: Sequence[int], a: float, s: float, c: float, kind: str) -> np.ndarray:
    """Speedup at each core count."""
    return np.array([speedup(int(n), a, s, c, kind) for n in cores])


def peak(cores: Sequence[int], values: Sequence[float]) -> tuple[int, float]:
    """(core count, speedup) of the highest point of a curve."""
    i = int(np.argmax(values))
    return int(cores[i]), float(values[i])


def fit_c(target: float, a: float, s: float, max_cores: int, kind: str = "ticket",
          rel: float = 1e-9) -> float:
    """The cache-line cost c whose peak speedup over 1..max_cores equals ``target``.

    The peak falls as c grows (every hand-off lengthens), so a bisection on c
    suffices: bracket by doubling from s, then halve the bracket.
    """
    cores = range(1, max_cores + 1)

    def height(c: float) -> float:
        return peak(cores, curve(cores, a, s, c, kind))[1]

    if not 1 < target < height(0.0):
        raise ValueError(f"peak {target!r}: must lie between 1 and the c = 0 peak "
                         f"{height(0.0):.4g} over {max_cores} cores")
    lo, hi = 0.0, s
    while height(hi) > target:
        lo, hi = hi, 2 * hi
    while hi - lo > rel * hi:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if height(mid) > target else (lo, mid)
    return (lo + hi) / 2
