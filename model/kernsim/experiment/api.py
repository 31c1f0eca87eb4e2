"""Running experiments from Python (notebooks, scripts)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.store import load_results


def run_experiment(path: str | Path, out: str | Path | None = None, overrides: tuple = (),
                   executor: str = "serial", workers: int | None = None,
                   **options) -> pd.DataFrame:
    """Run (or resume) an experiment file and return its results frame."""
    exp = load(path, list(overrides))
    result = run(exp, out=out, executor=executor, workers=workers, **options)
    return load_results(result.out)
