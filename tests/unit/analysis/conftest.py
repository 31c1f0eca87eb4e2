"""The results folder the report tests share."""

import pytest
from experiment_files import ROOT

from kernsim.experiment.api import run_experiment

ROOT_FILE = "experiments/quickstart.toml"


@pytest.fixture(scope="session")
def quickstart(tmp_path_factory):
    """The quickstart experiment, shortened: 2 replications of 1 ms (0.2 ms warm-up)."""
    out = tmp_path_factory.mktemp("qs") / "results"
    run_experiment(ROOT / ROOT_FILE, out=out,
                   overrides=("experiment.replications=2", 'experiment.duration="1ms"',
                              'experiment.warmup="0.2ms"'))
    return out
