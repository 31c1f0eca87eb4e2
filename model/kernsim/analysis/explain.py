"""Sentences computed from the data: what each report plot shows, and why the headline
curve looks as it does.

Nothing here is canned text about a study: every number, design point and
resource named is read from the results frame (means over replications). The
reason for the headline (:func:`headline_reason`) is the resource that
saturates (:mod:`kernsim.analysis.utilisation`): along each line of the
headline plot, the run of largest ``x`` values over which the same resource is
saturated; a line whose metric changes by less than :data:`FLAT` over that run
is called flat.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kernsim.analysis.latency import pooled_ecdf
from kernsim.analysis.lockshare import SHARES, with_lock_shares
from kernsim.analysis.utilisation import CORES, SATURATED, bottlenecks
from kernsim.units import STEPS, display_unit, quantity, unit

FLAT = 0.05
"""A relative change of the headline metric below this (5%) over a saturated run is
"flat"."""


def value(metric: str, v: float) -> str:
    """``v`` with its unit, 3 significant digits, in the scale an axis shows it in
    (:func:`kernsim.units.display_unit`: µs, ms, s, h, days; /s, k/s, M/s; B, KiB, …);
    a fraction as 0.44; any other quantity with a k, M or G prefix (3.2k requests)."""
    u = unit(metric)
    if u == "fraction":
        return f"{v:.2f}"
    if quantity(metric) in STEPS:
        div, shown = display_unit(metric, [v])
        return f"{v / div:.3g} {shown}"
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:.3g}{prefix} {u}".rstrip()
    return f"{v:.3g} {u}".rstrip()


def extremes(df: pd.DataFrame, metric: str, params: Sequence[str]) -> str:
    """"metric ranges from LOW (point) to HIGH (point)" over the design-point means."""
    means = _means(df, [metric], params).dropna(subset=[metric])
    if means.empty:
        return f"{metric} has no values."
    lo, hi = means.loc[means[metric].idxmin()], means.loc[means[metric].idxmax()]
    return (f"{metric} ranges from {value(metric, lo[metric])} ({_point(lo, params)}) "
            f"to {value(metric, hi[metric])} ({_point(hi, params)}).")


def headline_reason(df: pd.DataFrame, metric: str, x: str, hue: Sequence[str]) -> str:
    """One sentence per line of the headline plot (``metric`` against ``x``, one line
    per ``hue`` group): which resource saturates at its largest ``x`` values and how
    ``metric`` changes there, or that none does."""
    table = bottlenecks(df)
    table[metric] = df.groupby("design_point", sort=True)[metric].mean().to_numpy()
    if "cpu.idle" in df.columns:
        table["cpu.idle"] = df.groupby("design_point", sort=True)["cpu.idle"].mean().to_numpy()
    groups = table.groupby(list(hue), sort=False) if hue else [((), table)]
    return " ".join(_line_reason(_name(key), part.sort_values(x), metric, x)
                    for key, part in groups)


def utilisation_sentence(df: pd.DataFrame, params: Sequence[str]) -> str:
    """Which resources are saturated at which design points (or the busiest one)."""
    table = bottlenecks(df)
    sat = table[table["saturated"]]
    if sat.empty:
        top = table.loc[table["peak"].idxmax()]
        return (f"No resource is saturated (mean ≥ {SATURATED}); the busiest is "
                f"{top['bottleneck']} at {top['peak']:.2f} ({_point(top, params)}).")
    parts = [f"{res} at {' / '.join(_point(r, params) for _, r in rows.iterrows())}"
             for res, rows in sat.groupby("bottleneck", sort=False)]
    return f"Saturated (mean utilisation ≥ {SATURATED}): {'; '.join(parts)}."


def lock_share_sentence(df: pd.DataFrame, params: Sequence[str],
                        only: str | None = None) -> str:
    """The largest share of response time and of core time lost to lock waits (``only``:
    one of :data:`~kernsim.analysis.lockshare.SHARES`)."""
    shares = with_lock_shares(df)
    cols = [c for c in SHARES if c in shares.columns and only in (None, c)]
    means = _means(shares, cols, params)
    what = {"lock_wait_share": "of response time", "lock_core_share": "of core time"}
    parts = [f"{means[c].max():.2%} {what[c]} ({_point(means.loc[means[c].idxmax()], params)})"
             for c in cols if means[c].notna().any()]
    return f"Lock waits take at most {' and '.join(parts)}."


def latency_sentence(hist: pd.DataFrame, params: Sequence[str]) -> str:
    """The range of the pooled median and p99 over design points (bucket upper edges)."""
    pooled = pooled_ecdf(hist, [p for p in params if p in hist.columns])
    keys = ["design_point", *[p for p in params if p in pooled.columns]]
    rows = []
    for key, part in pooled.groupby(keys, sort=True):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        for q in (0.5, 0.99):
            row[q] = float(part["upper"].to_numpy()[np.searchsorted(part["ecdf"], q)])
        rows.append(row)
    table = pd.DataFrame(rows)
    shown = [p for p in params if p in table.columns]
    parts = []
    for q, name in ((0.5, "median"), (0.99, "p99")):
        lo, hi = table.loc[table[q].idxmin()], table.loc[table[q].idxmax()]
        parts.append(f"the {name} from ≤ {value('response_mean', lo[q])} ({_point(lo, shown)}) "
                     f"to ≤ {value('response_mean', hi[q])} ({_point(hi, shown)})")
    return f"Response times: {'; '.join(parts)} (upper edges of ≈ 1% buckets)."


def cpu_sentence(df: pd.DataFrame, params: Sequence[str]) -> str:
    """The largest non-idle CPU share and the largest idle share."""
    cols = [c for c in df.columns if c.startswith("cpu.") and c != "cpu.idle"]
    means = _means(df, [*cols, "cpu.idle"], params)
    top = means[cols].max().idxmax()
    at = means.loc[means[top].idxmax()]
    text = f"The largest share besides idle is {top} = {at[top]:.2f} ({_point(at, params)})"
    if means["cpu.idle"].notna().any():
        idle = means.loc[means["cpu.idle"].idxmax()]
        text += f"; cpu.idle reaches {idle['cpu.idle']:.2f} ({_point(idle, params)})"
    return text + "."


def lock_wait_sentence(df: pd.DataFrame, locks: Sequence[str], params: Sequence[str]) -> str:
    """The lock with the longest mean wait, and where."""
    column = {n: f"lock.{n}.wait_mean" for n in locks}  # a lock's name may hold dots
    means = _means(df, list(column.values()), params)
    name = max(locks, key=lambda n: means[column[n]].max())
    col = column[name]
    at = means.loc[means[col].idxmax()]
    return (f"The longest mean wait is on {name}: "
            f"{value(col, at[col])} ({_point(at, params)}).")


# --- helpers --------------------------------------------------------------------------------


def _line_reason(name: str, part: pd.DataFrame, metric: str, x: str) -> str:
    who = f"{name}: " if name else ""
    last = part.iloc[-1]
    if not last["saturated"]:
        text = (f"{who}nothing saturates at {x} = {last[x]} (busiest: {last['bottleneck']} "
                f"at {last['peak']:.2f}), so the offered load, not a resource, sets {metric}")
        earlier = part[part["saturated"]]
        if len(earlier):
            res = earlier["bottleneck"].iloc[-1]
            xs = earlier[earlier["bottleneck"] == res][x]
            text += f"; {res} saturates at {x} = {_span(xs)}"
        return text + "."
    res = last["bottleneck"]
    same = (part["saturated"] & (part["bottleneck"] == res)).to_numpy()
    start = len(same) - int(np.argmin(same[::-1])) if not same.all() else 0
    run = part.iloc[start:]
    why = f"{res} ≈ {run['peak'].min():.2f}"
    if res != CORES and "cpu.idle" in run.columns and run["cpu.idle"].notna().any():
        idle = run["cpu.idle"]
        why += (f" while cpu.idle = {_range(idle)}: its {res.removeprefix('util.')} "
                "server threads, not the cores, are the limit")
    elif res == CORES:
        why += ": every core is busy"
    if len(run) == 1:
        return f"{who}at {x} = {last[x]}, {why}."
    first = run.iloc[0]
    change = last[metric] / first[metric] - 1 if first[metric] else np.nan
    shape = "is flat" if abs(change) < FLAT else "changes"
    return (f"{who}{metric} {shape} from {x} = {first[x]} on ({change:+.1%} to "
            f"{x} = {last[x]}) because {why}.")


def _means(df: pd.DataFrame, cols: list[str], params: Sequence[str]) -> pd.DataFrame:
    keep = [c for c in cols if c in df.columns]
    out = df.groupby("design_point", sort=True)[[*params, *keep]].agg(
        {**{p: "first" for p in params}, **{c: "mean" for c in keep}})
    return out.reset_index()


def _point(row: pd.Series, params: Sequence[str]) -> str:
    return ", ".join(f"{row[p]}" for p in params) or f"point {row['design_point']}"


def _name(key) -> str:
    return ", ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))


def _span(xs: pd.Series) -> str:
    return f"{xs.iloc[0]}" if len(xs) == 1 else f"{xs.iloc[0]}–{xs.iloc[-1]}"


def _range(values: pd.Series) -> str:
    lo, hi = float(values.min()), float(values.max())
    return f"{lo:.2f}" if round(lo, 2) == round(hi, 2) else f"{lo:.2f}–{hi:.2f}"
