"""``kernsim.analysis.stats``: per-design-point summaries of a results frame."""

from __future__ import annotations

import kernsim


def test_summarize_mean_lies_inside_its_confidence_interval(sweep_run):
    table = kernsim.summarize(kernsim.load_results(sweep_run))
    assert len(table) > 0 and set(table["n"]) == {3}
    assert (table["ci_low"] <= table["mean"]).all()
    assert (table["mean"] <= table["ci_high"]).all()
