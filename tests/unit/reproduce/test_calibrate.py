"""``kernsim.reproduce.calibrate``: cycles and µs, and the calibration arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from kernsim.reproduce import calibrate


def test_cycles_to_us_at_the_papers_clock():
    assert calibrate.cycles_to_us(223, 133) == pytest.approx(1.676691729, rel=1e-9)
    assert calibrate.cycles_to_us(107, 50) == pytest.approx(2.14, rel=1e-12)
    assert calibrate.us_to_cycles(calibrate.cycles_to_us(14710, 133), 133) == pytest.approx(14710)


@pytest.mark.parametrize("mhz", [0, -133])
def test_a_clock_must_be_positive(mhz):
    with pytest.raises(ValueError, match="MHz"):
        calibrate.cycles_to_us(100, mhz)


def test_per_message_splits_the_extra_cost_over_call_and_reply():
    assert calibrate.per_message(526, 223, 2) == pytest.approx(151.5)
    with pytest.raises(ValueError):
        calibrate.per_message(526, 223, 0)


@pytest.mark.parametrize("f,a", [(0.032, 12100.0), (0.004, 99600.0), (0.002, 199600.0)])
def test_parallel_work_from_the_serial_fraction(f, a):
    got = calibrate.parallel_work(400, f)
    assert got == pytest.approx(a, rel=1e-12)
    assert 400 / (got + 400) == pytest.approx(f, rel=1e-12)


@pytest.mark.parametrize("f", [0, 1, 1.5, -0.1])
def test_parallel_work_refuses_fractions_outside_0_1(f):
    with pytest.raises(ValueError):
        calibrate.parallel_work(400, f)


def test_ticket_transfer_cost_inverts_the_update_cost():
    s, n, extra = 30.0, 16, 12000.0
    c = calibrate.ticket_transfer_cost(extra, n, s)
    assert c == pytest.approx(2 * (12000 - 15 * 30) / 256)
    cost = calibrate.ticket_update_cost
    assert cost(n, s, c) - cost(1, s, c) == pytest.approx(extra, rel=1e-12)
    assert cost(1, s, c) == s   # alone: no hand-off


def test_ticket_update_cost_is_n_s_plus_c_n_over_2_from_two_cores():
    s, c = 30.0, 4.0
    cores = np.array([1, 2, 16])
    assert calibrate.ticket_update_cost(cores, s, c).tolist() == [30.0, 2 * (30 + 4), 16 * (30 + 32)]
    with pytest.raises(ValueError):
        calibrate.ticket_transfer_cost(100.0, 16, 30.0)   # below (n − 1)·s: no c > 0
