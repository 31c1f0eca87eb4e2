"""``kernsim.reproduce.nooks_minix``: the driver fault rate behind the published share."""

from __future__ import annotations

import pytest


def test_nooks_driver_rate_gives_the_published_share():
    from kernsim.reproduce import nooks_minix as nm

    base = {"faults": {"units": {"kernel": {"ttf": {"mean": "1000h"}}, "driver": {"count": 4}}}}
    m_d = nm.driver_ttf_us(base, 0.85)
    kernel = 1000 * nm.HOURS
    share = (4 / m_d) / (4 / m_d + 1 / kernel)
    assert share == pytest.approx(0.85, rel=1e-12)
