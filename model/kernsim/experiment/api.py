"""Running experiments from Python (notebooks, scripts)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kernsim.errors import KernsimError
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.store import load_results


def run_experiment(path: str | Path, out: str | Path | None = None, overrides: tuple = (),
                   executor: str = "serial", workers: int | None = None,
                   **options) -> pd.DataFrame:
    """Run (or resume) an experiment file and return its results frame. Bad arguments
    raise :class:`~kernsim.errors.KernsimError`, as bad config values do."""
    if not isinstance(path, (str, Path)):
        raise KernsimError(f"path = {path!r}: must be an experiment file's path (str or Path)")
    if isinstance(overrides, (str, bytes)) or not all(isinstance(o, str) for o in overrides):
        raise KernsimError(f"overrides = {overrides!r}: must be a list of 'key=value' strings")
    if out is not None and not isinstance(out, (str, Path)):
        raise KernsimError(f"out = {out!r}: must be a folder's path (str or Path) or None")
    exp = load(path, list(overrides))
    result = run(exp, out=out, executor=executor, workers=workers, **options)
    return load_results(result.out)
