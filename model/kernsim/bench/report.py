"""``kernsim bench``'s table: the result dict of :func:`kernsim.bench.measure.run_bench`
laid out for the terminal."""

from __future__ import annotations

import os

from kernsim.bench.runs import LAMBDA, MU, SERVERS


def render_table(result: dict):
    """A rich table of :func:`run_bench`'s result."""
    from rich.markup import escape
    from rich.table import Table

    exact = result["erlang_c_wait"]
    opts = result["options"]
    table = Table(title="kernsim bench (one process; wall: median (best) of "
                        f"{opts['repeat']}; cpu: median; rates from wall time)",
                  title_justify="left")
    for name in ["row", "wall s", "cpu s", "customers/s", "events/s", "events/cust", "peak memory",
                 "÷ (a) events/s", "÷ (b) cust/s", f"mean wait µs ({opts['level']:.0%} CI)"]:
        table.add_column(name, justify="left" if name == "row" else "right")
    for row in result["rows"].values():
        label = f"{escape(row['label'])}\n[dim]{escape(row['detail'])}[/]"
        if row["status"] != "ok":
            table.add_row(label, f"[yellow]{escape(row['note'])}[/]", *[""] * 8)
            continue
        table.add_row(
            label,
            f"{row['wall_median_s']:.3f} ({row['wall_best_s']:.3f})",
            f"{row['cpu_median_s']:.3f}",
            _fmt(row["customers_per_s"], ",.0f"),
            _fmt(row["events_per_s"], ",.0f"),
            _fmt(row["events_per_customer"], ".2f"),
            _bytes(row["peak_memory_bytes"]),
            _fmt(row["events_vs_bare"], ".3f"),
            _fmt(row["customers_vs_handwritten"], ".2f"),
            _wait_cell(row["wait"]),
        )
    env = result["environment"]
    load = env.get("load_average_1min") or {}
    table.caption = (
        f"Exact Erlang C mean wait {exact:.4f} µs (M/M/{SERVERS}, λ = {LAMBDA}, μ = {MU}). "
        f"M/M/c seeds: replications of {opts['seed']}; (b), (b′), (c): mean waits over "
        f"{max(opts['repeat'], opts['reps'])} replications "
        f"(Ciw: its {opts['repeat']} timed runs).\n"
        f"{_ratios_line('wall', result, result['targets'])}\n"
        f"{_ratios_line('cpu', result['cpu_time_ratios'], result['targets'])}\n"
        f"Events: SimPy events processed (Ciw: event-loop steps), counted in a separate run.\n"
        f"Peak memory: {result['peak_memory_method'] or 'not measured'}.\n"
        f"Python {env['python']}, SimPy {env['simpy']}, numpy {env['numpy']}, Ciw {env['ciw']}, "
        f"{os.cpu_count()} CPUs; 1-min load average {load.get('start')} at start, "
        f"{load.get('end')} at end (other processes inflate wall times unevenly; "
        f"CPU time is less affected)."
    )
    table.caption_justify = "left"
    return table


#: the headline ratios as the caption names them, and their format
RATIO_TEXT = (
    ("model_vs_handwritten_simpy", "kernsim (c) ÷ process-style SimPy (b) customers/s", ".2f"),
    ("model_vs_callback_simpy", "(c) ÷ callback SimPy (b′)", ".2f"),
    ("model_vs_ciw", "(c) ÷ Ciw (d)", ".2f"),
    ("os_model_vs_handwritten_os", "quickstart (e) ÷ hand-written SimPy OS (e′) requests/s",
     ".2f"),
    ("os_model_vs_bare_event_ratio", "(e) events/s ÷ bare SimPy (a) events/s", ".3f"),
    ("os_model_trace_off_vs_baseline", "tracing off (e″) ÷ (e)", ".3f"),
    ("os_model_traced_vs_untraced", "traced (e‴) ÷ (e)", ".3f"),
    ("fast_vs_simpy_blast_radius", "fast (h) ÷ SimPy (g) faults/s (blast radius)", ".1f"),
)


def _ratios_line(clock: str, ratios: dict, targets: dict) -> str:
    parts = []
    for name, text, spec in RATIO_TEXT:
        target = f" (target ≥ {targets[name]:g})" if name in targets else ""
        parts.append(f"{text} = {_fmt(ratios.get(name), spec)}{target}")
    return f"{clock} time: " + "; ".join(parts) + "."


def _fmt(x: float | None, spec: str) -> str:
    return "–" if x is None else format(x, spec)


def _bytes(n: int | None) -> str:
    if n is None:
        return "–"
    if n < 2**20:
        return f"{n / 2**10:.1f} KiB"
    return f"{n / 2**20:.2f} MiB"


def _wait_cell(wait: dict | None) -> str:
    if not wait:
        return ""
    if wait["low"] is None:
        return f"{wait['mean']:.4f} (1 run)"
    half = (wait["high"] - wait["low"]) / 2
    mark = "" if wait["covers_exact"] else " [red]✗[/]"
    return f"{wait['mean']:.4f} ± {half:.4f}{mark}"
