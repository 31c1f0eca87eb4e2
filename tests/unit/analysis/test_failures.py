"""``kernsim.analysis.failures``: blast-radius PMF/ECDF and outage fraction per group."""

from __future__ import annotations

import pandas as pd
import pytest

from kernsim.analysis.failures import blast_radius_pmf, outage_fraction
from kernsim.stats.intervals import proportion_ci

#: arch a: radii 1, 1, 3 (one outage); arch b: 2, 2 (two outages)
ROWS = pd.DataFrame({"design_point": [0, 0, 0, 1, 1], "arch": list("aaabb"),
                     "blast_radius_components": [1, 1, 3, 2, 2],
                     "system_down": [False, False, True, True, True]})


def test_pmf_counts_every_value_between_the_extremes_in_every_group():
    pmf = blast_radius_pmf(ROWS, "arch")
    a = pmf[pmf.arch == "a"].set_index("value")
    assert list(a.index) == [1, 2, 3]
    assert list(a["count"]) == [2, 0, 1]
    assert list(pmf[pmf.arch == "b"]["count"]) == [0, 2, 0]


def test_pmf_and_ecdf_intervals_are_the_proportion_intervals():
    a = blast_radius_pmf(ROWS, "arch", level=0.9).query("arch == 'a'").set_index("value")
    assert tuple(a.loc[1, ["p", "p_lo", "p_hi"]]) == pytest.approx(proportion_ci(2, 3, 0.9))
    assert tuple(a.loc[2, ["ecdf", "ecdf_lo", "ecdf_hi"]]) == pytest.approx(
        proportion_ci(2, 3, 0.9))
    assert a["ecdf"].is_monotonic_increasing and a["ecdf"].iloc[-1] == 1


def test_outage_fraction_per_group_with_wilson_and_exact_intervals():
    out = outage_fraction(ROWS, "arch").set_index("arch")
    assert (out.loc["a", "outages"], out.loc["a", "faults"]) == (1, 3)
    assert tuple(out.loc["a", ["p", "lo", "hi"]]) == pytest.approx(proportion_ci(1, 3))
    exact = outage_fraction(ROWS, "arch", method="clopper-pearson").set_index("arch")
    assert tuple(exact.loc["b", ["p", "lo", "hi"]]) == pytest.approx(
        proportion_ci(2, 2, method="clopper-pearson"))


def test_default_groups_are_design_points():
    assert list(outage_fraction(ROWS)["design_point"]) == [0, 1]
