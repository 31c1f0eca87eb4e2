"""Which resource limits a design point: utilisation per domain and of the cores.

The resources of a design point are its server domains (or queueing stations),
busy fraction ``util.<domain>``, and its cores, busy fraction ``cores_busy`` =
1 − ``cpu.idle`` − ``cpu.sleep`` (core time not idle; ``cpu.sleep`` is core time
left idle while threads sleep on a lock). :func:`bottlenecks` names, per design
point, the resource with the highest mean utilisation and whether it is
saturated (mean ≥ :data:`SATURATED`); :func:`utilisation_plot` draws them all
against the swept parameter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kernsim.analysis.figure import colors, figure, finish, maybe_log, theme

SATURATED = 0.95
"""A resource whose mean utilisation is at least this is called saturated: busy all
but 5% of the window, so more load or more cores add (almost) nothing through it."""

CORES = "cores_busy"
"""The derived column: share of core time not idle (1 − cpu.idle − cpu.sleep)."""


def with_cores_busy(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a :data:`CORES` column when it has ``cpu.idle`` (OS model runs)."""
    if "cpu.idle" not in df.columns or not df["cpu.idle"].notna().any():
        return df
    sleep = df["cpu.sleep"].fillna(0.0) if "cpu.sleep" in df.columns else 0.0
    out = df.assign(**{CORES: 1.0 - df["cpu.idle"] - sleep})
    out.attrs = dict(df.attrs)
    return out


def resources(df: pd.DataFrame) -> list[str]:
    """The utilisation columns with data: ``util.<domain>`` in column order, then
    :data:`CORES` (after :func:`with_cores_busy`)."""
    cols = [c for c in df.columns if c.startswith("util.") or c == CORES]
    return [c for c in cols if df[c].notna().any()]


def bottlenecks(df: pd.DataFrame) -> pd.DataFrame:
    """Per design point: the swept parameters, the mean of every resource, ``bottleneck``
    (the resource with the highest mean), ``peak`` (its mean) and ``saturated``."""
    df = with_cores_busy(df)
    cols = resources(df)
    params = [p for p in df.attrs.get("params", []) if p in df.columns]
    means = df.groupby("design_point", sort=True)[cols].mean()
    first = df.groupby("design_point", sort=True)[params].first()
    out = pd.concat([first, means], axis=1).reset_index()
    values = means.to_numpy(dtype=float)
    has = ~np.isnan(values).all(axis=1) if cols else np.zeros(len(out), bool)
    best = (np.where(has, np.argmax(np.nan_to_num(values, nan=-np.inf), axis=1), 0) if cols
            else np.zeros(len(out), int))   # no resource at all: no bottleneck anywhere
    out["bottleneck"] = [cols[i] if h else None for i, h in zip(best, has)]
    out["peak"] = [values[r, i] if h else np.nan for r, (i, h) in enumerate(zip(best, has))]
    out["saturated"] = out["peak"] >= SATURATED
    return out


def utilisation_plot(df: pd.DataFrame, x: str, hue: list[str],
                     logx: bool | None = None) -> Figure:
    """Mean utilisation of every resource against ``x``: one panel per ``hue`` group,
    one line per resource, the :data:`SATURATED` level dotted."""
    table = bottlenecks(df)
    cols = resources(table)
    if not cols:
        raise ValueError("no utilisation columns (util.* or cpu.idle)")
    groups = list(table.groupby(hue, sort=False)) if hue else [((), table)]
    palette = dict(zip(cols, colors(len(cols))))
    with theme():
        fig, axes = figure(1, len(groups), width=4.2 * len(groups) + 1.6, height=3.8)
        for ax, (key, part) in zip(np.atleast_1d(axes), groups):
            part = part.sort_values(x)
            for col in cols:
                if part[col].notna().any():
                    ax.plot(part[x], part[col], marker="o", color=palette[col], label=col)
            ax.axhline(SATURATED, color="0.5", linestyle=":", linewidth=1)
            ax.set_ylim(0, 1.05)
            maybe_log(ax, part[x], logx)
            name = ", ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            finish(ax, x, "utilisation (fraction)", name or "all points", "resource",
                   outside=ax is np.atleast_1d(axes)[-1])
    return fig
