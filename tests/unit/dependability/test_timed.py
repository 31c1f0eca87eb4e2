"""``kernsim.dependability.timed``: the dependability mode's faults, their propagation and
repairs, run through the runner."""

from __future__ import annotations

import kernsim
from kernsim.experiment.load import load
from kernsim.experiment.runner import run


def test_faults_spread_only_along_edges_of_positive_probability(experiment_file, tmp_path):
    exp = load(experiment_file("f.toml", "faults_sweep"))  # edge db->web: 0, then 0.5
    out = run(exp, out=tmp_path / "a", executor="serial").out
    samples = kernsim.load_samples(out, "faults")
    isolated = samples[samples["design_point"] == 0]
    assert (isolated["blast_radius_components"] == 1).all()
    spread = samples[(samples["design_point"] == 1) & (samples["origin"] == "db")]
    assert (spread["blast_radius_components"] > 1).any()
