"""Reproductions of published comparisons: calibrate on micro-figures, predict macro-results.

Each study (``STUDIES``) is a module here with ``reproduce(ctx) -> Result``;
its experiment file is ``experiments/reproduce/<name>.toml`` (with a SCOPE
comment) and its figures ``data/published/<name>.csv``. ``run(name)`` runs
one, writes ``report.md``, ``comparison.csv``, ``curves.csv`` and
``figure.png`` into its results folder and returns the :class:`Result`.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from kernsim.errors import KernsimError

STUDIES = ("haertig97", "liedtke93", "boydwickizer12", "baumann09", "nooks_minix", "nooks03")


def run(name: str, quick: bool = False, out: str | Path | None = None,
        workers: int | None = None):
    """Run study ``name`` into ``out`` (default ``results/reproduce/<name>``); return its Result."""
    from kernsim.reproduce import study
    from kernsim.reproduce.runs import Context

    if name not in STUDIES:
        raise KernsimError(f"reproduce {name!r}: unknown study; known: {', '.join(STUDIES)}")
    folder = Path(out) if out is not None else Path("results") / "reproduce" / name
    ctx = Context(quick=quick, out=folder, workers=workers)
    start = time.perf_counter()
    result = importlib.import_module(f"kernsim.reproduce.{name}").reproduce(ctx)
    result.seconds = time.perf_counter() - start
    study.write(result, folder)
    return result
