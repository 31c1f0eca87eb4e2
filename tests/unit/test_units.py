"""Every metric a shipped study writes has a unit in ``kernsim.units.UNITS``."""

from __future__ import annotations

import numpy as np
import pytest

from kernsim.experiment.catalog import studies_dir
from kernsim.experiment.load import load
from kernsim.simulate import simulate
from kernsim.units import label, quantity, unit

STUDIES = sorted(p for p in studies_dir().rglob("*.toml") if "workloads" not in p.parts)


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.relative_to(studies_dir()).as_posix())
def test_every_metric_of_a_shipped_study_has_a_unit(path):
    exp = load(path)
    names: set[str] = set()
    for point in {exp.points[0].index: exp.points[0], exp.points[-1].index: exp.points[-1]}.values():
        names |= {k for k in simulate(point.config, np.random.SeedSequence(1)) if not k.startswith("_")}
    assert names
    assert [n for n in sorted(names) if not unit(n)] == []


@pytest.mark.parametrize(("metric", "expected"), [
    ("throughput", "1/s"), ("response_mean.read", "µs"), ("util.vfs", "fraction"),
    ("lock.vfs.wait_p99", "µs"), ("lock.vfs.acquisitions", "acquisitions"),
    ("lock_wait_mean", "µs"), ("fault.blast_radius_nodes", "nodes"),
    ("fault.blast_radius_components", "components"), ("mttf_system", "µs"),
])
def test_the_most_specific_pattern_gives_the_unit(metric, expected):
    assert unit(metric) == expected


def test_unknown_names_have_no_unit_and_keep_a_bare_label():
    assert unit("system.cores") == ""
    assert quantity("system.cores") == ""
    assert label("system.cores") == "system.cores"
    assert label("response_p99") == "response_p99 (µs)"
    assert (quantity("response_p99"), quantity("throughput"), quantity("queue.fs")) == (
        "time", "rate", "count")
