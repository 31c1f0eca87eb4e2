"""``kernsim bench``: how fast kernsim runs, next to plain SimPy and Ciw on the same queue.

Rows, all measured in one process and one call of :func:`run_bench`:

(a) bare SimPy: one process doing ``yield env.timeout(1)`` N times (the engine's ceiling);
(b) a hand-written SimPy M/M/c in SimPy's normal style (:func:`handwritten_mmc`);
(c) kernsim's general model on the same M/M/c, from ``experiments/bench/mmc.toml``;
(d) Ciw on the same M/M/c, when it is installed (``pip install kernsim[bench]``);
(e) the quickstart experiment (one replication of its first design point);
(f) the C2 lock study at 32 cores, once ``experiments/c2_locks_vs_messages.toml`` exists;
(g) the dependability mode (SimPy) on ``experiments/validation/availability.toml``, its
    duration set for ``faults`` faults, and (h) ``experiment.engine = "fast"`` on the same
    config: faults count as customers, and ``fast_vs_simpy_blast_radius`` is (h) ÷ (g)
    in faults/s (the fast engine answers only the blast-radius question: no timing).

Each row is timed ``repeat`` times: wall time (median and best; customers/s and
events/s come from it) and the process's CPU time (steadier on a shared machine;
``cpu_time_ratios`` in the result). Engine events and
peak memory come from one extra, separate pass, so that counting (a wrapper
around one environment instance's ``step``) and ``tracemalloc`` cost nothing in
the timed runs. Model code is never changed: the wrapper is set on the instance.

The M/M/c rows (b)-(d) use a different seed per run (replication ``r`` of the
bench seed), so their runs also give mean waits, compared with the exact Erlang C
value through a Student-t interval: (b) and (c) run max(repeat, reps) replications
(the first ``repeat`` timed), Ciw only its ``repeat`` timed runs.
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kernsim.bench.runs import (
    LAMBDA,
    MU,
    SERVERS,
    EventCounter,
    Measured,
    bare_timeout_loop,
    ciw_available,
    ciw_mmc,
    dependability_run,
    fast_run,
    faults_config,
    first_point_case,
    handwritten_mmc,
    kernsim_run,
    lock_study_score,
    mmc_config,
)
from kernsim.experiment.catalog import find, study_name

MEMORY_METHOD = ("tracemalloc peak of Python allocations during one separate run "
                 "(not process RSS; numpy buffers count, the interpreter does not)")


CIW_MISSING = "not installed (pip install kernsim[bench])"


FAULT_ROWS = "gh"  # rows whose "customers" are faults


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


@dataclass
class Measurement:
    """One row: timed runs, engine events and peak memory of one extra run, mean waits."""

    key: str
    label: str
    detail: str = ""
    status: str = "ok"                 # ok | unavailable | error
    note: str = ""
    walls_s: list[float] = field(default_factory=list)       # timed runs only
    cpu_s: list[float] = field(default_factory=list)         # their process CPU time
    customers: list[int] = field(default_factory=list)       # per timed run
    waits: list[float] = field(default_factory=list)         # per replication (M/M/c rows)
    events: int | None = None           # engine events of the counting run
    events_customers: int | None = None  # customers served in the counting run
    peak_memory_bytes: int | None = None
    engine: str = "SimPy events"

    @property
    def wall_median_s(self) -> float | None:
        return statistics.median(self.walls_s) if self.walls_s else None

    @property
    def wall_best_s(self) -> float | None:
        return min(self.walls_s) if self.walls_s else None

    def _rates(self) -> list[float]:
        return [c / w for c, w in zip(self.customers, self.walls_s) if c and w > 0]

    @property
    def cpu_median_s(self) -> float | None:
        return statistics.median(self.cpu_s) if self.cpu_s else None

    @property
    def customers_per_cpu_s(self) -> float | None:
        rates = [c / t for c, t in zip(self.customers, self.cpu_s) if c and t > 0]
        return statistics.median(rates) if rates else None

    @property
    def events_per_cpu_s(self) -> float | None:
        if self.events is None or not self.cpu_s:
            return None
        if self.events_per_customer is not None and self.customers_per_cpu_s is not None:
            return self.events_per_customer * self.customers_per_cpu_s
        return self.events / self.cpu_median_s

    @property
    def customers_per_s(self) -> float | None:
        rates = self._rates()
        return statistics.median(rates) if rates else None

    @property
    def customers_per_s_best(self) -> float | None:
        rates = self._rates()
        return max(rates) if rates else None

    @property
    def events_per_customer(self) -> float | None:
        if self.events is None or not self.events_customers:
            return None
        return self.events / self.events_customers

    @property
    def events_per_s(self) -> float | None:
        """Median rate: events per customer × customers/s, or events / median wall."""
        if self.events is None or not self.walls_s:
            return None
        if self.events_per_customer is not None and self.customers_per_s is not None:
            return self.events_per_customer * self.customers_per_s
        return self.events / self.wall_median_s


def timed(run: Callable[[], Measured]) -> tuple[float, float, Measured]:
    """Wall and process CPU time of one call (garbage collected first, not disabled)."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - start, time.process_time() - cpu, result


def counted(run: Callable[[EventCounter], Measured],
            memory: bool) -> tuple[int, int | None, Measured]:
    """One separate run with events counted and, if asked, the tracemalloc peak."""
    counter = EventCounter()
    gc.collect()
    if memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    try:
        result = run(counter)
        peak = tracemalloc.get_traced_memory()[1] if memory else None
    finally:
        if memory:
            tracemalloc.stop()
    return counter.count, peak, result


def measure(key: str, label: str, detail: str,
            run: Callable[[int, EventCounter | None], Measured],
            timed_runs: int, extra_runs: int = 0, memory: bool = True,
            engine: str = "SimPy events") -> Measurement:
    """Time ``run(i, None)`` for i < timed_runs, run it further for mean waits
    (i < timed_runs + extra_runs, untimed in the report), then count ``run(0, counter)``."""
    row = Measurement(key, label, detail, engine=engine)
    for i in range(timed_runs + extra_runs):
        wall, cpu, result = timed(lambda i=i: run(i, None))
        if i < timed_runs:
            row.walls_s.append(wall)
            row.cpu_s.append(cpu)
            row.customers.append(result.customers or 0)
        if result.wait_mean is not None and not math.isnan(result.wait_mean):
            row.waits.append(result.wait_mean)
    row.events, row.peak_memory_bytes, result = counted(lambda c: run(0, c), memory)
    row.events_customers = result.customers
    return row


def unavailable(key: str, label: str, detail: str, note: str,
                status: str = "unavailable") -> Measurement:
    return Measurement(key, label, detail, status=status, note=note)


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
    n = opt.customers
    timed_runs, extra = _mmc_runs(opt)
    return measure("b", f"(b) hand-written SimPy M/M/{SERVERS}",
                   f"{n:,} customers; Resource, a process per customer",
                   lambda i, c: handwritten_mmc(n, _replication_seed(opt.seed, i), c),
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


def erlang_c_wait(lam: float = LAMBDA, mu: float = MU, c: int = SERVERS) -> float:
    """Exact mean wait in queue of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def wait_interval(waits: list[float], level: float, exact: float) -> dict | None:
    """Mean wait over replications with a Student-t interval, and whether it covers ``exact``."""
    if not waits:
        return None
    from kernsim.stats.intervals import t_interval

    mean, low, high = t_interval(waits, level)
    covers = None if math.isnan(low) else bool(low <= exact <= high)
    return {"runs": list(waits), "mean": mean, "low": _num(low), "high": _num(high),
            "level": level, "exact": exact, "covers_exact": covers}


def run_bench(options: BenchOptions, progress: Callable[[str], None] | None = None) -> dict:
    """Measure every row in this process; return all numbers and the headline ratios."""
    say = progress or (lambda text: None)
    steps = [measure_bare, measure_handwritten, measure_kernsim_mmc, measure_ciw,
             measure_quickstart, measure_c2, measure_dependability, measure_fast]
    load_before = _load_average()
    rows: list[Measurement] = []
    for step in steps:
        say(f"measuring {step.__name__.removeprefix('measure_')} …")
        rows.append(step(options))
    result = report(rows, options)
    result["environment"]["load_average_1min"] = {"start": load_before, "end": _load_average()}
    return result


def _load_average() -> float | None:
    """The machine's 1-minute load average (other processes distort timings)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def report(rows: list[Measurement], options: BenchOptions) -> dict:
    """The machine-readable result: raw numbers per row, ratios, headline ratios."""
    by_key = {r.key: r for r in rows}
    bare, hand = by_key["a"], by_key["b"]
    exact = erlang_c_wait()
    out_rows = {}
    for r in rows:
        d = asdict(r)
        d.update(
            wall_median_s=r.wall_median_s, wall_best_s=r.wall_best_s,
            customers_per_s=r.customers_per_s, customers_per_s_best=r.customers_per_s_best,
            events_per_s=r.events_per_s, events_per_customer=r.events_per_customer,
            cpu_median_s=r.cpu_median_s, customers_per_cpu_s=r.customers_per_cpu_s,
            events_per_cpu_s=r.events_per_cpu_s,
            events_vs_bare=_ratio(r.events_per_s, bare.events_per_s),
            customers_vs_handwritten=(None if r.key in FAULT_ROWS else  # faults, not customers
                                      _ratio(r.customers_per_s, hand.customers_per_s)),
            wait=wait_interval(r.waits, options.level, exact) if r.key in "bcd" else None,
        )
        out_rows[r.key] = d
    kern, ciw_row, quick = by_key["c"], by_key["d"], by_key["e"]
    simpy_faults, fast_faults = by_key["g"], by_key["h"]
    return _clean({
        "model_vs_handwritten_simpy": _ratio(kern.customers_per_s, hand.customers_per_s),
        "model_vs_ciw": _ratio(kern.customers_per_s, ciw_row.customers_per_s),
        "os_model_vs_bare_event_ratio": _ratio(quick.events_per_s, bare.events_per_s),
        "fast_vs_simpy_blast_radius": _ratio(fast_faults.customers_per_s,
                                             simpy_faults.customers_per_s),
        "cpu_time_ratios": {
            "model_vs_handwritten_simpy": _ratio(kern.customers_per_cpu_s,
                                                 hand.customers_per_cpu_s),
            "model_vs_ciw": _ratio(kern.customers_per_cpu_s, ciw_row.customers_per_cpu_s),
            "os_model_vs_bare_event_ratio": _ratio(quick.events_per_cpu_s, bare.events_per_cpu_s),
            "fast_vs_simpy_blast_radius": _ratio(fast_faults.customers_per_cpu_s,
                                                 simpy_faults.customers_per_cpu_s),
        },
        "erlang_c_wait": exact,
        "queue": {"lambda": LAMBDA, "mu": MU, "servers": SERVERS, "rho": LAMBDA / MU / SERVERS},
        "peak_memory_method": MEMORY_METHOD if options.memory else None,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        "environment": _environment(),
        "rows": out_rows,
    })


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _clean(obj: Any) -> Any:
    """NaN -> None and numpy scalars -> Python, so the dict is strict JSON."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def _environment() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {"python": platform.python_version(), "platform": platform.platform(),
            "machine": platform.machine(), "simpy": ver("simpy"), "numpy": ver("numpy"),
            "ciw": ver("ciw"), "kernsim": ver("kernsim")}


def to_json(result: dict) -> str:
    return json.dumps(result, indent=2, allow_nan=False)
