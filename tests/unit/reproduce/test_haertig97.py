"""``kernsim.reproduce.haertig97_cal``: the calibration read from the published CSV, and the
Table 3 rows' shapes."""

from __future__ import annotations

import pytest

from kernsim.reproduce import published


def test_haertig97_calibration_is_arithmetic_on_the_stated_figures():
    from kernsim.reproduce import haertig97_cal as h

    pub = published.load("haertig97")
    cal = h.calibration(pub)
    # one L4 IPC is half of Figure 5's pair; MkLinux's come from Table 2 beyond native getpid
    assert 2 * cal.ipc[h.L4] == sum(published.value(pub, s, h.L4) for s in h.L4_IPC)
    for s in (h.MK_IN, h.MK_USER):
        native = published.value(pub, h.GETPID, h.NATIVE)
        assert cal.trap[s] + 2 * cal.ipc[s] + cal.work == pytest.approx(
            published.value(pub, h.GETPID, s))
        assert cal.trap[s] + 2 * cal.ipc[s] + cal.work > native
    # the refill closes the gap of one row exactly, and is a cost, not a credit
    gap = (published.value(pub, h.WRITE, h.L4) - published.value(pub, h.WRITE, h.NATIVE))
    assert cal.extra_us(h.L4) == pytest.approx(gap) and cal.refill > 0
    assert cal.extra_us(h.L4, working_set=0) < gap
    assert cal.extra_us(h.NATIVE) == 0


def test_haertig97_every_table3_row_has_positive_work_and_a_published_cell():
    from kernsim.reproduce import haertig97_cal as h
    from kernsim.reproduce import haertig97_table3 as t

    pub = published.load("haertig97")
    cal = h.calibration(pub)
    for bench in t.BENCHES:
        assert bench.work(cal, published.value(pub, bench.test, h.NATIVE)) > 0, bench.test
        roles = {published.figure(pub, bench.test, s)["role"] for s in h.SYSTEMS}
        assert roles <= {"calibration", "prediction", "context"}, bench.test
