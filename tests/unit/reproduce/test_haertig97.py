"""``kernsim.reproduce.haertig97``: the calibration read from the published CSV."""

from __future__ import annotations

import pytest

from kernsim.reproduce import published


def test_haertig97_calibration_from_the_csv():
    from kernsim.reproduce import haertig97 as h

    cal = h.calibration(published.load("haertig97"))
    assert cal.trap_us() == pytest.approx(223 / 133)
    assert cal.ipc_us(h.L4) == pytest.approx(300 / 2 / 133)
    assert cal.getpid[h.MK_IN] == pytest.approx(3.9 * 523)
    assert cal.getpid[h.MK_USER] == pytest.approx(29 * 523)
