"""Running experiments from Python (notebooks, scripts)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kernsim.errors import KernsimError
from kernsim.experiment import arguments
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.store import load_results

#: the keyword options of :func:`run_experiment`, passed on to the runner
OPTIONS = ("allow_unstable", "allow_long", "overwrite", "progress", "scheduler")


def run_experiment(path: str | Path, out: str | Path | None = None, overrides: tuple = (),
                   executor: str = "serial", workers: int | None = None,
                   **options: object) -> pd.DataFrame:
    """Run (or resume) an experiment file and return its results frame. ``options``:
    any of :data:`OPTIONS` (as :func:`kernsim.experiment.runner.run`). Bad arguments
    raise :class:`~kernsim.errors.KernsimError`, as bad config values do."""
    file = arguments.path("path", path, "an experiment file's path")
    sets = arguments.overrides(overrides)
    folder = arguments.optional_path("out", out, "a results folder's path")
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise KernsimError(f"{unknown[0]}: not an option of run_experiment; allowed: "
                           f"{', '.join(OPTIONS)} (config keys go in overrides, e.g. "
                           f"['experiment.{unknown[0]}=...'])")
    exp = load(file, sets)
    result = run(exp, out=folder, executor=executor, workers=workers, **options)
    return load_results(result.out)
