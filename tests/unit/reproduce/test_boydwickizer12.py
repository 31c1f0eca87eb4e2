"""``kernsim.reproduce.boydwickizer12``: the core grid and the per-point modes, without runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernsim.reproduce import boydwickizer12 as b
from kernsim.reproduce import published, runs


@pytest.fixture(scope="module")
def pub() -> pd.DataFrame:
    return published.load(b.NAME)


@pytest.fixture(scope="module")
def cal(pub) -> b.Calibration:
    return b.calibration(pub)


def ctx(quick: bool) -> runs.Context:
    return runs.Context(quick=quick, out=Path("unused"), workers=1)


def test_full_grid_has_every_core_count_around_each_ticket_peak_and_collapse(pub, cal):
    points = b.grid(ctx(False), pub, cal)
    for f in b.FRACTIONS:
        ticket = {n for g, k, n in points if g == f and k == "ticket"}
        cores, values = b.dense_chain(cal, f)
        chain_peak = b.markov.peak(cores, values)[0]
        published_peak = int(published.value(pub, b.PEAK_AT, f))
        dense = set(range(min(chain_peak, published_peak) - b.BEFORE,
                          min(int(b.collapse(cores, values)) + b.AFTER_CLIFF, 48) + 1))
        assert dense <= ticket, f
        assert {1, 48} <= ticket and set(b.BASE_CORES) <= ticket, f
        x = published.figure(pub, b.AFTER, f)["x"]
        assert pd.isna(x) or int(x) in ticket, f          # the published post-collapse point
        assert {n for g, k, n in points if g == f and k == "mcs"} == set(b.MCS_CORES)
    assert len(points) == len(set(points))


def test_quick_grid_is_small_and_holds_the_published_points(pub, cal):
    points = b.grid(ctx(True), pub, cal)
    assert len(points) == len(b.FRACTIONS) * len(b.KINDS) * len(b.QUICK_CORES)
    assert {30, 42, 48} <= set(b.QUICK_CORES)
    assert b.QUICK_REPLICATIONS % 2 == 1                       # two modes cannot tie


def test_settings_zip_one_run_per_point_of_its_fraction_length(pub, cal):
    points = b.grid(ctx(False), pub, cal)
    values = b.settings(ctx(False), cal, points)
    (zipped,) = values["sweep"]["zip"]
    assert len({len(v) for v in zipped.values()}) == 1 and len(zipped[b.CORES]) == len(points)
    for (f, kind, n), work, duration, k in zip(points, zipped[b.WORK],
                                               zipped["experiment.duration"], zipped[b.KIND]):
        assert work == cal.work[f] and k == kind
        assert duration == pytest.approx(b.RUN_LOOPS * (cal.work[f] + cal.section))


def test_a_bimodal_point_reports_both_modes_and_its_value_is_the_main_one():
    rows = [{"fraction": "f = 0.2%", b.KIND: "ticket", b.CORES: 48, "speedup": v}
            for v in (29.8, 40.5, 47.67, 47.70, 47.75)]
    rows += [{"fraction": "f = 0.2%", b.KIND: "ticket", b.CORES: 40, "speedup": v}
             for v in (39.81, 39.85, 39.86, 39.84, 39.83)]
    curves = b.sim_curves(pd.DataFrame(rows)).set_index(b.CORES)
    two, one = curves.loc[48], curves.loc[40]
    assert two["bimodal"] and (two["low_share"], two["high_share"]) == (0.4, 0.6)
    assert two["sim"] == pytest.approx(np.mean([47.67, 47.70, 47.75]))
    assert two["sim_hi"] < 48 and two["sim_all"] < two["sim"]
    assert not one["bimodal"] and np.isnan(one["low_mode"]) and one["modes"] == ""
    assert b.bimodal_lines(curves.reset_index()) == ["ticket, f = 0.2%: 48 cores: 35.1 (2/5) | 47.7 (3/5)"]
