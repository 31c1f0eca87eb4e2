"""The closed-form helpers themselves, against textbook values and each other."""

import math

import numpy as np
import pytest
from scipy import linalg

from . import closed_forms as cf


def test_mm1_textbook():
    assert cf.mm1_wq(0.8, 1.0) == pytest.approx(4.0, rel=1e-12)   # ρ/(μ−λ) = 0.8/0.2
    assert cf.mm1_wq(0.5, 1.0) == pytest.approx(1.0, rel=1e-12)
    assert cf.mm1_wq(3.0, 4.0) == pytest.approx(0.75, rel=1e-12)


def test_erlang_b_textbook():
    assert cf.erlang_b(2, 1.0) == pytest.approx(0.2, rel=1e-12)     # (1/2)/(1 + 1 + 1/2)
    assert cf.erlang_b(10, 5.0) == pytest.approx(0.018384, rel=1e-4)  # Erlang B table


def test_erlang_c_textbook():
    # c = 4, λ = 3.6, μ = 1: C = 0.78775, W_q = 1.9694 (standard Erlang C tables)
    assert cf.erlang_c(4, 3.6) == pytest.approx(0.787753, rel=1e-5)
    assert cf.mmc_wq(3.6, 1.0, 4) == pytest.approx(1.969383, rel=1e-6)
    # c = 2, λ = μ = 1: C = a²/(2(1−ρ)) / (1 + a + a²/(2(1−ρ))) = 1/3, W_q = C/(2μ−λ)
    assert cf.erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)
    assert cf.mmc_wq(1.0, 1.0, 2) == pytest.approx(1 / 3, rel=1e-12)


def test_erlang_c_against_factorial_form():
    for c, a in [(1, 0.5), (3, 2.4), (8, 7.0), (20, 18.0)]:
        rho = a / c
        tail = a**c / math.factorial(c) / (1 - rho)
        direct = tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)
        assert cf.erlang_c(c, a) == pytest.approx(direct, rel=1e-10)


def test_mmc_with_one_server_is_mm1():
    assert cf.mmc_wq(0.7, 1.3, 1) == pytest.approx(cf.mm1_wq(0.7, 1.3), rel=1e-12)


def test_pollaczek_khinchine_special_cases():
    lam, mean = 0.8, 1.0
    # exponential service (variance mean²): M/M/1
    assert cf.pk_wq(lam, mean, mean**2) == pytest.approx(cf.mm1_wq(lam, 1 / mean), rel=1e-12)
    # deterministic service: M/D/1, half the M/M/1 wait
    assert cf.pk_wq(lam, mean, 0.0) == pytest.approx(0.5 * cf.mm1_wq(lam, 1 / mean), rel=1e-12)
    assert cf.pk_wq(0.5, 1.0, 0.0) == pytest.approx(0.5, rel=1e-12)
    # lognormal cv 1.5 at ρ = 0.8: 0.8 (1 + 2.25) / (2 · 0.2) = 6.5
    assert cf.pk_wq(0.8, 1.0, cf.lognormal_var(1.0, 1.5)) == pytest.approx(6.5, rel=1e-12)


def test_lognormal_variance_against_scipy():
    from scipy import stats

    sigma = math.sqrt(math.log1p(1.5**2))
    dist = stats.lognorm(s=sigma, scale=2.0 * math.exp(-sigma**2 / 2))  # mean 2
    assert dist.mean() == pytest.approx(2.0, rel=1e-12)
    assert cf.lognormal_var(2.0, 1.5) == pytest.approx(dist.var(), rel=1e-10)


def test_jackson_tandem_of_mm1_stations():
    lam, mus = 1.0, [2.0, 1.25, 3.0]
    assert cf.jackson_tandem_sojourn(lam, [(1, m) for m in mus]) == pytest.approx(
        sum(1 / (m - lam) for m in mus), rel=1e-12)
    # the file's network at λ = 1: 1/(2−1) + 1/(1.25−1) + (W_q(M/M/2) + 1.2) = 1 + 4 + 1.875
    assert cf.jackson_tandem_sojourn(1.0, [(1, 2.0), (1, 1.25), (2, 1 / 1.2)]) == pytest.approx(
        6.875, rel=1e-12)


def _ctmc_stationary(n, fail, repair):
    """Stationary law of the repairman chain by solving πQ = 0 numerically."""
    q = np.zeros((n + 1, n + 1))
    for k in range(n + 1):
        if k < n:
            q[k, k + 1] = (n - k) * fail
        if k > 0:
            q[k, k - 1] = repair
        q[k, k] = -q[k].sum()
    pi = linalg.null_space(q.T)[:, 0]
    return pi / pi.sum()


@pytest.mark.parametrize("n", [1, 2, 5, 12, 30])
def test_repairman_three_ways(n):
    up, rep = 10.0, 1.5
    sol = cf.repairman(n, up, rep)
    np.testing.assert_allclose(cf.repairman_distribution(n, 1 / up, 1 / rep),
                               _ctmc_stationary(n, 1 / up, 1 / rep), rtol=1e-9, atol=1e-14)
    x, r = cf.mva_delay_plus_queue(n, up, rep)
    assert sol["throughput"] == pytest.approx(x, rel=1e-10)
    assert sol["response"] == pytest.approx(r, rel=1e-10)
    assert sol["response"] == pytest.approx(n / sol["throughput"] - up, rel=1e-10)  # R = N/X − Z


def test_repairman_small_cases_by_hand():
    # N = 1: a cycle of up + repair; no queueing
    sol = cf.repairman(1, 10.0, 1.5)
    assert sol["throughput"] == pytest.approx(1 / 11.5, rel=1e-12)
    assert sol["response"] == pytest.approx(1.5, rel=1e-12)
    # N = 2, r = λ/μ = 0.15: p ∝ (1, 2r, 2r²); X = μ (1 − p0)
    r = 0.15
    p0 = 1 / (1 + 2 * r + 2 * r**2)
    assert cf.repairman(2, 10.0, 1.5)["throughput"] == pytest.approx((1 - p0) / 1.5, rel=1e-12)


def test_unstable_inputs_refused():
    with pytest.raises(ValueError):
        cf.mm1_wq(1.0, 1.0)
    with pytest.raises(ValueError):
        cf.mmc_wq(4.0, 1.0, 4)
    with pytest.raises(ValueError):
        cf.pk_wq(1.2, 1.0, 0.0)
