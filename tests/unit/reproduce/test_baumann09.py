"""``kernsim.reproduce.baumann09``: the calibration read from the published CSV."""

from __future__ import annotations

import pytest

from kernsim.reproduce import published


def test_baumann09_calibration_from_the_csv():
    from kernsim.reproduce import baumann09 as b

    cal = b.calibration(published.load("baumann09"))
    assert (cal.section, cal.message, cal.cores) == (30, 450, 16)
    assert cal.shared(16) - cal.shared(1) == pytest.approx(12000)
    assert cal.crossover() == pytest.approx(900 / cal.c)
