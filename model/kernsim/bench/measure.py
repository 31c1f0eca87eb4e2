"""``kernsim bench``: how fast kernsim runs, next to plain SimPy and Ciw on the same queue.

Rows (:mod:`kernsim.bench.rows`), all measured in one process and one call of
:func:`run_bench`:

(a) bare SimPy: one process doing ``yield env.timeout(1)`` N times (the engine's ceiling);
(b) a hand-written SimPy M/M/c in SimPy's normal style, a process per customer
    (:func:`~kernsim.bench.runs.handwritten_mmc`), and (b′, key ``b2``) in an expert's
    callback style, two events per customer (:func:`~kernsim.bench.runs.callback_mmc`);
(c) kernsim's general model on the same M/M/c, from ``experiments/bench/mmc.toml``;
(d) Ciw on the same M/M/c, when it is installed (``pip install kernsim[bench]``);
(e) the quickstart experiment (one replication of its first design point), and
    (e′, key ``e2``) the same point in a hand-written SimPy OS model
    (:mod:`kernsim.bench.handwritten_os`): ``os_model_vs_handwritten_os`` is (e) ÷ (e′)
    in requests/s;
(e″, key ``e3``) that point with ``experiment.trace`` set, in a replication it does not
    trace (the tracer is None: tracing off), and (e‴, ``e4``) traced, every request over
    the whole run: ``os_model_trace_off_vs_baseline`` is (e″) ÷ (e),
    ``os_model_traced_vs_untraced`` (e‴) ÷ (e), in requests/s;
(f) the C2 lock study at 32 cores, once ``experiments/c2_locks_vs_messages.toml`` exists;
(g) the dependability mode (SimPy) on ``experiments/validation/availability.toml``, its
    duration set for ``faults`` faults, and (h) ``experiment.engine = "fast"`` on the same
    config: faults count as customers, and ``fast_vs_simpy_blast_radius`` is (h) ÷ (g)
    in faults/s (the fast engine answers only the blast-radius question: no timing).

Each row is timed ``repeat`` times (:mod:`kernsim.bench.timing`): wall time (median
and best; customers/s and events/s come from it) and the process's CPU time (steadier
on a shared machine; ``cpu_time_ratios`` in the result). Engine events and peak
memory come from one extra, separate pass.

The M/M/c rows (b), (b′), (c), (d) use a different seed per run (replication ``r`` of
the bench seed), so their runs also give mean waits, compared with the exact Erlang C
value through a Student-t interval: (b), (b′) and (c) run max(repeat, reps)
replications (the first ``repeat`` timed), Ciw only its ``repeat`` timed runs.
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from kernsim.bench.rows import ROWS, BenchOptions
from kernsim.bench.runs import LAMBDA, MU, SERVERS
from kernsim.bench.timing import Measurement

MEMORY_METHOD = ("tracemalloc peak of Python allocations during one separate run "
                 "(not process RSS; numpy buffers count, the interpreter does not)")


FAULT_ROWS = ("g", "h")  # rows whose "customers" are faults
MMC_ROWS = ("b", "b2", "c", "d")  # rows whose mean waits meet Erlang C

#: headline ratios: (row, ÷ row, of customers/s or events/s)
HEADLINE = {
    "model_vs_handwritten_simpy": ("c", "b", "customers"),
    "model_vs_callback_simpy": ("c", "b2", "customers"),
    "model_vs_ciw": ("c", "d", "customers"),
    "os_model_vs_handwritten_os": ("e", "e2", "customers"),
    "os_model_vs_bare_event_ratio": ("e", "a", "events"),
    "os_model_trace_off_vs_baseline": ("e3", "e", "customers"),
    "os_model_traced_vs_untraced": ("e4", "e", "customers"),
    "fast_vs_simpy_blast_radius": ("h", "g", "customers"),
}

#: issue 17's targets (minimum ratios; benchmarks, never asserted by a test)
TARGETS = {"model_vs_callback_simpy": 1.0, "model_vs_ciw": 6.0,
           "os_model_vs_handwritten_os": 3.0, "os_model_vs_bare_event_ratio": 0.5}


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
    load_before = _load_average()
    rows: list[Measurement] = []
    for step in ROWS:
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
            wait=wait_interval(r.waits, options.level, exact) if r.key in MMC_ROWS else None,
        )
        out_rows[r.key] = d
    return _clean({
        **{name: _ratio(*_pair(by_key, name, "")) for name in HEADLINE},
        "cpu_time_ratios": {name: _ratio(*_pair(by_key, name, "_cpu")) for name in HEADLINE},
        "targets": TARGETS,
        "erlang_c_wait": exact,
        "queue": {"lambda": LAMBDA, "mu": MU, "servers": SERVERS, "rho": LAMBDA / MU / SERVERS},
        "peak_memory_method": MEMORY_METHOD if options.memory else None,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        "environment": _environment(),
        "rows": out_rows,
    })


def _pair(rows: dict[str, Measurement], name: str, clock: str) -> tuple[float | None, ...]:
    """The two rates a headline ratio divides (wall time, or ``clock="_cpu"``)."""
    top, bottom, per = HEADLINE[name]
    return tuple(getattr(rows[key], f"{per}_per{clock}_s") for key in (top, bottom))


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
