"""``kernsim.experiment.warmup``: warmup = "auto": MSER-5 on a pilot run sets each design
point's warm-up."""

from __future__ import annotations

import pytest

from kernsim.errors import KernsimError
from kernsim.experiment.load import from_dict


def raw(clients: int = 60, warmup="auto") -> dict:
    # a closed system that starts with every client submitting at once: a clear transient
    return {"experiment": {"name": "auto", "warmup": warmup, "duration": "4ms", "replications": 2},
            "workload": {"kind": "closed", "clients": clients, "think": 0.0},
            "components": {"cpu": {"service": {"dist": "exponential", "mean": 1.0}}},
            "sweep": {"workload.clients": [1, clients]}}


def test_auto_warmup_is_chosen_per_design_point_and_recorded_as_a_column():
    exp = from_dict(raw())
    warmups = [p.config.experiment.warmup for p in exp.points]
    assert all(w >= 0 for w in warmups)
    assert all(p.params["experiment.warmup"] == p.config.experiment.warmup for p in exp.points)
    assert exp.raw["experiment"]["warmup"] == "auto"  # the folder's identity keeps "auto"


def test_auto_warmup_is_deterministic():
    a = [p.config.experiment.warmup for p in from_dict(raw()).points]
    b = [p.config.experiment.warmup for p in from_dict(raw()).points]
    assert a == b


def test_auto_warmup_refuses_a_pilot_too_short_for_mser():
    bad = raw()
    bad["experiment"]["duration"] = "5us"
    with pytest.raises(KernsimError, match="MSER-5 needs"):
        from_dict(bad)


def test_auto_warmup_in_a_dependability_model_is_a_clear_refusal():
    from kernsim.errors import ConfigError
    from kernsim.experiment.catalog import find
    from kernsim.experiment.load import load

    with pytest.raises(ConfigError, match='warmup = "auto": only for a model with requests'):
        load(find("validation/availability"), ['experiment.warmup="auto"'])
