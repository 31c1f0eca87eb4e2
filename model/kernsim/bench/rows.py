"""The rows of ``kernsim bench``: what each one runs, with which options.

(a) a bare SimPy timeout loop; (b) a hand-written SimPy M/M/c in SimPy's normal style
(a process per customer) and (b′) in an expert's callback style (two events per
customer); (c) kernsim's general model on the same M/M/c; (d) Ciw on it, when
installed; (e) the quickstart's first design point in kernsim and (e′) in a
hand-written SimPy OS model (:mod:`kernsim.bench.handwritten_os`); (e″) and (e‴) that
point with ``experiment.trace`` set, untraced and traced; (f) the C2 lock
study; (g) the dependability mode and (h) the fast engine on one faults config.
Each ``measure_*`` function takes :class:`BenchOptions` and returns one
:class:`~kernsim.bench.timing.Measurement`; :data:`ROWS` lists them in table order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kernsim.bench.runs import (
    SERVERS,
    EventCounter,
    Measured,
    bare_timeout_loop,
    callback_mmc,
    ciw_available,
    ciw_mmc,
    dependability_run,
    fast_run,
    faults_config,
    first_point_case,
    handwritten_mmc,
    handwritten_os_params,
    handwritten_os_run,
    kernsim_run,
    lock_study_score,
    mmc_config,
)
from kernsim.bench.timing import Measurement, measure, unavailable
from kernsim.experiment.catalog import find, study_name

CIW_MISSING = "not installed (pip install kernsim[bench])"


@dataclass(frozen=True)
class BenchOptions:
    """What to run and how often."""

    customers: int = 200_000
    repeat: int = 3
    reps: int = 5
    bare_events: int = 1_000_000
    seed: int = 2026
    level: float = 0.99
    memory: bool = True
    mmc_file: Path = field(default_factory=lambda: find("bench/mmc"))
    quickstart_file: Path = field(default_factory=lambda: find("quickstart"))
    c2_file: Path = field(default_factory=lambda: find("c2_locks_vs_messages"))
    c2_cores: int = 32
    faults: int = 100_000
    faults_file: Path = field(default_factory=lambda: find("validation/availability"))

    @classmethod
    def quick(cls, **overrides: Any) -> BenchOptions:
        """A small, fast version for smoke tests."""
        base = {"customers": 20_000, "repeat": 1, "reps": 5, "bare_events": 100_000,
                "faults": 10_000}
        return cls(**{**base, **overrides})


def measure_bare(opt: BenchOptions) -> Measurement:
    n = opt.bare_events
    return measure("a", "(a) bare SimPy loop", f"one process, {n:,} × yield env.timeout(1)",
                   lambda i, c: bare_timeout_loop(n, c), opt.repeat, memory=opt.memory)


def _replication_seed(seed: int, r: int) -> np.random.SeedSequence:
    from kernsim.engine.streams import task_seed

    return task_seed(seed, r)


def _mmc_runs(opt: BenchOptions) -> tuple[int, int]:
    """Timed runs and extra (untimed) runs so that there are ``reps`` replications."""
    return opt.repeat, max(0, opt.reps - opt.repeat)


def measure_handwritten(opt: BenchOptions) -> Measurement:
    return _rival_mmc(opt, "b", "(b) hand-written SimPy", "Resource, a process per customer",
                      handwritten_mmc)


def measure_callback(opt: BenchOptions) -> Measurement:
    return _rival_mmc(opt, "b2", "(b′) callback SimPy",
                      "Timeout callbacks, a deque, block draws: no processes", callback_mmc)


def _rival_mmc(opt: BenchOptions, key: str, title: str, how: str,
               model: Callable[[int, Any, EventCounter | None], Measured]) -> Measurement:
    """A hand-written SimPy M/M/c row: ``model(customers, seed, collect)``."""
    n = opt.customers
    timed_runs, extra = _mmc_runs(opt)
    return measure(key, f"{title} M/M/{SERVERS}", f"{n:,} customers; {how}",
                   lambda i, c: model(n, _replication_seed(opt.seed, i), c),
                   timed_runs, extra, opt.memory)


def measure_kernsim_mmc(opt: BenchOptions) -> Measurement:
    config = mmc_config(opt.mmc_file, opt.customers)
    timed_runs, extra = _mmc_runs(opt)
    detail = f"{_rel(opt.mmc_file)}, duration {config.experiment.duration:,.0f} µs"
    return measure("c", f"(c) kernsim M/M/{SERVERS}", detail,
                   lambda i, c: kernsim_run(config, _replication_seed(opt.seed, i), c),
                   timed_runs, extra, opt.memory)


def measure_ciw(opt: BenchOptions) -> Measurement:
    label = f"(d) Ciw M/M/{SERVERS}"
    detail = f"{opt.customers:,} customers; simulate_until_max_customers"
    if not ciw_available():
        return unavailable("d", label, detail, CIW_MISSING)

    def run(i: int, c: EventCounter | None) -> Measured:
        seed = int(_replication_seed(opt.seed, i).generate_state(1)[0])
        return ciw_mmc(opt.customers, seed, c)

    return measure("d", label, detail, run, opt.repeat, memory=opt.memory, engine="Ciw events")


def measure_model_file(key: str, label: str, path: Path, opt: BenchOptions,
                       prefer: Callable[[dict], int] | None = None) -> Measurement:
    """(e), (f): one replication of one design point of an experiment file, repeated."""
    try:
        case = first_point_case(path, prefer)
        row = measure(key, label, f"{_rel(path)}, {case.label}, replication 0",
                      lambda i, c: kernsim_run(case.config, case.seed, c),
                      opt.repeat, memory=opt.memory)
    except Exception as exc:  # noqa: BLE001 - the OS model is in flux; report, go on
        return unavailable(key, label, _rel(path), f"error: {type(exc).__name__}: {exc}",
                           status="error")
    row.waits = []   # a single replication: no CI, and not the M/M/c wait
    return row


def measure_quickstart(opt: BenchOptions) -> Measurement:
    return measure_model_file("e", "(e) quickstart", opt.quickstart_file, opt)


def measure_handwritten_os(opt: BenchOptions) -> Measurement:
    """(e′): the design point of (e) in the hand-written SimPy OS model, with (e)'s seed."""
    key, label = "e2", "(e′) hand-written SimPy OS model"
    try:
        case = first_point_case(opt.quickstart_file)
        params = handwritten_os_params(case.config)
    except Exception as exc:  # noqa: BLE001 - as (e): report, go on
        return unavailable(key, label, _rel(opt.quickstart_file),
                           f"error: {type(exc).__name__}: {exc}", status="error")
    detail = (f"{_rel(opt.quickstart_file)}, {case.label}; cores, locks, threads as "
              "Resources, a process per client")
    return measure(key, label, detail, lambda i, c: handwritten_os_run(params, case.seed, c),
                   opt.repeat, memory=opt.memory)


def measure_quickstart_trace(opt: BenchOptions, traced: bool) -> Measurement:
    """(e″) the point of (e) with ``experiment.trace`` set (every request over the whole run)
    in a replication it does not trace (tracing off: the tracer is None), and (e‴) in one
    it traces."""
    key, label = ("e4", "(e‴) quickstart, traced") if traced else (
        "e3", "(e″) quickstart, tracing off")
    try:
        exp = first_point_case(opt.quickstart_file).config.experiment
        trace = (f"experiment.trace={{sample=1.0,window=[0.0,{exp.warmup + exp.duration!r}],"
                 "replications=[0]}")
        case = first_point_case(opt.quickstart_file, overrides=(trace,))
    except Exception as exc:  # noqa: BLE001 - as (e): report, go on
        return unavailable(key, label, _rel(opt.quickstart_file),
                           f"error: {type(exc).__name__}: {exc}", status="error")
    detail = (f"{_rel(opt.quickstart_file)}, {case.label}; experiment.trace: every request, "
              f"the whole run; {'traced' if traced else 'replication not traced'}")
    row = measure(key, label, detail, lambda i, c: kernsim_run(case.config, case.seed, c, traced),
                  opt.repeat, memory=opt.memory)
    row.waits = []
    return row


def measure_trace_off(opt: BenchOptions) -> Measurement:
    return measure_quickstart_trace(opt, traced=False)


def measure_traced(opt: BenchOptions) -> Measurement:
    return measure_quickstart_trace(opt, traced=True)


def measure_c2(opt: BenchOptions) -> Measurement:
    label = f"(f) C2 lock study at {opt.c2_cores} cores"
    if not opt.c2_file.exists():
        return unavailable("f", label, _rel(opt.c2_file), "not available yet")
    return measure_model_file("f", label, opt.c2_file, opt, lock_study_score(opt.c2_cores))


def measure_dependability(opt: BenchOptions) -> Measurement:
    config = faults_config(opt.faults_file, opt.faults)
    detail = f"{_rel(opt.faults_file)}, ≈{opt.faults:,} faults (customers = faults)"
    return measure("g", "(g) blast radius: SimPy dependability mode", detail,
                   lambda i, c: dependability_run(config, _replication_seed(opt.seed, i), c),
                   opt.repeat, memory=opt.memory)


def measure_fast(opt: BenchOptions) -> Measurement:
    config = faults_config(opt.faults_file, opt.faults, "fast")
    detail = "the same config as (g), engine = \"fast\" (customers = faults)"
    row = measure("h", "(h) blast radius: fast engine (numpy)", detail,
                  lambda i, c: fast_run(config, _replication_seed(opt.seed, i), c),
                  opt.repeat, memory=opt.memory, engine="none (vectorised numpy)")
    row.events = None  # no event loop to count
    return row


def _rel(path: Path) -> str:
    """A shipped study by its name, any other file by its path."""
    try:
        return study_name(path)
    except ValueError:
        return str(path)


#: every row, in table order
ROWS: tuple[Callable[[BenchOptions], Measurement], ...] = (
    measure_bare, measure_handwritten, measure_callback, measure_kernsim_mmc, measure_ciw,
    measure_quickstart, measure_handwritten_os, measure_trace_off, measure_traced, measure_c2,
    measure_dependability, measure_fast)
