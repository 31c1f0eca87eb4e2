"""``kernsim.reproduce.nooks_minix``: the fault weights behind the published drivers' share."""

from __future__ import annotations

import pytest


def test_fault_weights_give_the_drivers_their_share():
    from kernsim.reproduce import nooks_minix as nm

    comps = ["vfs", "fs", "blk", "net", "eth"]
    w = nm.fault_weights(comps, ("blk", "eth"), 0.85)
    assert set(w) == set(comps)
    assert sum(w[d] for d in ("blk", "eth")) / sum(w.values()) == pytest.approx(0.85, rel=1e-12)
    assert w["blk"] == w["eth"] and w["vfs"] == w["fs"] == w["net"]


@pytest.mark.parametrize("drivers,share", [(("blk",), 1.0), (("blk",), 0.0), (("nope",), 0.5),
                                           (("vfs", "blk"), 0.5)])
def test_fault_weights_refuse_what_cannot_give_a_share(drivers, share):
    from kernsim.reproduce import nooks_minix as nm

    with pytest.raises(ValueError):
        nm.fault_weights(["vfs", "blk"], drivers, share)
