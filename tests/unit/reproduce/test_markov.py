"""``kernsim.reproduce.markov``: the lock microbenchmark's Markov chain and the fit of ``c``."""

from __future__ import annotations

import math

import pytest

from kernsim.reproduce import calibrate, markov


def test_chain_two_cores_by_hand():
    """n = 2, h(1) = 0, h(2) = c: P1/P0 = (2/a)·s, P2/P1 = (1/a)(s + c); speedup = 2 − E[k]."""
    a, s, c = 3.0, 1.0, 0.5
    r1, r2 = (2 / a) * s, (1 / a) * (s + c)
    p0 = 1 / (1 + r1 + r1 * r2)
    mean_k = p0 * (r1 + 2 * r1 * r2)
    assert markov.speedup(2, a, s, c, "ticket") == pytest.approx(2 - mean_k, rel=1e-12)


@pytest.mark.parametrize("n,a,s", [(1, 3.0, 1.0), (8, 5.0, 1.0), (48, 99600.0, 400.0)])
def test_chain_without_cost_is_the_machine_repairman(n, a, s):
    """c = 0: M/M/1//n; P0 = 1 / Σ n!/(n−k)! (s/a)^k and speedup = n − E[k] = X·a."""
    r = s / a
    terms = [math.factorial(n) / math.factorial(n - k) * r**k for k in range(n + 1)]
    p0 = 1 / sum(terms)
    x = (1 - p0) / s
    for kind in ("ticket", "mcs"):
        assert markov.speedup(n, a, s, 0.0, kind) == pytest.approx(x * a, rel=1e-9)


def test_fit_c_hits_the_target_peak_and_falls_as_the_target_rises():
    a, s = calibrate.parallel_work(400, 0.004), 400.0
    c = markov.fit_c(28.0, a, s, 48)
    cores = range(1, 49)
    assert markov.peak(cores, markov.curve(cores, a, s, c, "ticket"))[1] == pytest.approx(28.0, rel=1e-6)
    assert markov.fit_c(20.0, a, s, 48) > c > markov.fit_c(35.0, a, s, 48)


def test_fit_c_refuses_an_unreachable_peak():
    a = calibrate.parallel_work(400, 0.004)
    with pytest.raises(ValueError, match="peak"):
        markov.fit_c(60.0, a, 400.0, 48)
    with pytest.raises(ValueError, match="peak"):
        markov.fit_c(0.5, a, 400.0, 48)


def test_ticket_collapses_and_mcs_does_not_in_the_chain():
    a, s = calibrate.parallel_work(400, 0.004), 400.0
    c = markov.fit_c(28.0, a, s, 48)
    ticket, mcs = (markov.curve(range(1, 49), a, s, c, k) for k in ("ticket", "mcs"))
    assert ticket[-1] < 0.5 * ticket.max()
    assert mcs[-1] == pytest.approx(mcs.max())
