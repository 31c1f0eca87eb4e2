"""``kernsim bench``: speed against honest rivals, or the executors' speed-up.

Cheap to import (the ``kernsim`` command imports it for its parser); the work is
in :mod:`kernsim.bench`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from kernsim.cli_paths import output_file
from kernsim.cli_types import count

HELP = ("Speed of kernsim against bare SimPy, hand-written SimPy (process and callback style; "
        "an OS model) and Ciw (one process, one run).")


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--customers", type=count(1),
                   help="M/M/4 customers per run (default 200000; --quick: 20000).")
    p.add_argument("--repeat", type=count(1), help="Timed runs per row; median and best are "
                   "reported (default 3; --quick: 1).")
    p.add_argument("--reps", type=count(2),
                   help="Replications behind the M/M/c mean-wait CIs (default 5).")
    p.add_argument("--events", type=count(1),
                   help="Bare SimPy loop timeouts (default 1000000; --quick: 100000).")
    p.add_argument("--seed", type=count(0), default=2026,
                   help="Root seed of the M/M/c replications (default 2026).")
    p.add_argument("--memory", action=argparse.BooleanOptionalAction, default=True,
                   help="Measure peak memory (tracemalloc, in a separate run).")
    p.add_argument("--quick", action="store_true", help="Small, fast version (smoke test).")
    p.add_argument("--json", action="store_true", help="Print a JSON dict instead of the table.")
    p.add_argument("--save", type=Path, help="Also write the JSON dict to a file.")
    p.add_argument("--sweep", action="store_true", help="Instead: speed-up of processes and dask "
                   "over serial, 64 tasks of ≈1 s (--quick: 16 of ≈0.25 s).")


def cmd_bench(a: argparse.Namespace, out: Console, err: Console) -> int:
    """Run the bench; the table on ``out`` (or JSON on stdout), progress on ``err``."""
    from kernsim.bench.measure import run_bench, to_json
    from kernsim.bench.report import render_table
    from kernsim.bench.rows import BenchOptions

    if a.save:
        output_file(a.save, "--save")
    if a.sweep:
        return _bench_sweep(a.quick, a.json, a.save, err)
    given = {k: v for k, v in {"customers": a.customers, "repeat": a.repeat, "reps": a.reps,
                               "bare_events": a.events}.items() if v is not None}
    base = BenchOptions.quick() if a.quick else BenchOptions()
    options = BenchOptions(**{**vars(base), **given, "seed": a.seed, "memory": a.memory})
    result = run_bench(options, progress=lambda text: err.print(text, style="dim", markup=False))
    if a.save:
        a.save.write_text(to_json(result) + "\n", encoding="utf-8")
    if a.json:
        sys.stdout.write(to_json(result) + "\n")
    else:
        console = out if out.is_terminal else Console(width=170)
        console.print(render_table(result))
    return 0


def _bench_sweep(quick: bool, as_json: bool, save: Path | None, err: Console) -> int:
    from kernsim.bench.measure import to_json
    from kernsim.bench.sweep import SweepOptions, render, run_sweep_bench

    options = SweepOptions.quick() if quick else SweepOptions()
    result = run_sweep_bench(options, progress=lambda t: err.print(t, style="dim", markup=False))
    if save:
        save.write_text(to_json(result) + "\n", encoding="utf-8")
    sys.stdout.write((to_json(result) if as_json else render(result)) + "\n")
    return 0
