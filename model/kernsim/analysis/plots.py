"""Standard plots of a results frame, one function each, each returning a Figure.

Every function takes the tidy frame (``kernsim.load_results``: one row per
design point × replication) or the input named in its docstring, computes
means and Student-t CIs across replications itself (not seaborn's bootstrap),
and returns a :class:`matplotlib.figure.Figure` made without pyplot: nothing is
shown or kept open, and in Jupyter the returned figure displays itself. All use
one look, :func:`theme` (seaborn "whitegrid", "notebook" context, colour-blind
palette), applied inside each function as a context manager.

Swept parameters default to ``df.attrs["params"]``; several columns given as a
grouping (``hue`` or ``by``) are combined into one label per combination.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kernsim.analysis.failures import blast_radius_pmf
from kernsim.analysis.figure import axis_label, probability_axis, theme
from kernsim.analysis.figure import categorical_axis as _categorical_axis
from kernsim.analysis.figure import colors as _colors
from kernsim.analysis.figure import figure as _figure
from kernsim.analysis.figure import finish as _finish
from kernsim.analysis.figure import maybe_log as _maybe_log
from kernsim.analysis.timeseries import load_pilots, timeseries  # noqa: F401 (plots.timeseries)
from kernsim.stats.intervals import proportion_ci, t_interval
from kernsim.units import display_unit

CPU_ORDER = ("user", "kernel", "server", "ipc", "switch", "spin", "sleep", "idle")
PERCENTILE = re.compile(r"^response_p(\d+(?:\.\d+)?)$")


# --- metric vs a swept parameter -----------------------------------------------------------


def metric_vs_param(df: pd.DataFrame, metric: str, x: str | None = None,
                    hue: str | Sequence[str] | None = None, level: float = 0.95,
                    logx: bool | None = None) -> Figure:
    """Mean of ``metric`` against ``x`` with a t-CI band, one line per ``hue`` level.

    ``x`` defaults to the numeric swept parameter with the most values, ``hue``
    to the other swept parameters (e.g. ``system.architecture``). ``logx``
    defaults to a log axis when positive ``x`` spans more than a factor of 20.
    """
    x = x or default_x(df)
    hue = _as_list(hue) if hue is not None else [p for p in _params(df) if p != x]
    table = ci_table(df, [*hue, x], metric, level)
    div, shown = display_unit(metric, table["mean"])
    table[["mean", "lo", "hi"]] /= div
    table["_hue"] = labels(table, hue)
    table["_x"], ticks = _x_positions(table[x])
    with theme():
        fig, ax = _figure()
        for color, (name, part) in zip(_colors(table["_hue"].nunique()),
                                       table.groupby("_hue", sort=False)):
            part = part.sort_values("_x")
            ax.plot(part["_x"], part["mean"], marker="o", color=color, label=name or metric)
            ax.fill_between(part["_x"], part["lo"], part["hi"], color=color, alpha=0.2, lw=0)
        _finish(ax, x, axis_label(metric, shown), legend=", ".join(hue) if hue else None,
                title=f"{metric} (mean, {level:.0%} CI over replications)")
        probability_axis(ax, metric)
        if ticks is not None:
            _categorical_axis(ax, np.arange(len(ticks)), ticks, x)
        else:
            _maybe_log(ax, table[x], logx)
    return fig


def _x_positions(x: pd.Series) -> tuple[pd.Series, list | None]:
    """Numeric x as is; categorical x as positions 0..k-1 (in sorted order) and its labels."""
    if pd.api.types.is_numeric_dtype(x):
        return x.astype(float), None
    order = sorted(x.astype(str).unique())
    return x.astype(str).map({v: i for i, v in enumerate(order)}).astype(float), order


# --- latency distribution ------------------------------------------------------------------


def latency_ecdf(df: pd.DataFrame, hue: str | Sequence[str] | None = None,
                 samples: pd.DataFrame | None = None, value: str = "response",
                 level: float = 0.95) -> Figure:
    """Latency CDF per group (default group: every design point, labelled by its parameters).

    With ``samples`` (one row per request: a ``value`` column and the ``hue``
    columns) this is the empirical CDF of those samples. Without them it is a
    step approximation from the percentile columns ``response_pNN`` of ``df``:
    the CDF is drawn as ``F(x) = max{q : mean x_q <= x}`` (0 below the lowest
    percentile), a lower bound of the true CDF that is exact at the marked
    percentiles; the horizontal bars are the t-CIs of each percentile over
    replications. One line per group either way.
    """
    hue = _as_list(hue) if hue is not None else _params(df)
    with theme():
        fig, ax = _figure()
        if samples is not None:
            _ecdf_from_samples(ax, samples, hue, value)
            title, note = "latency ECDF of per-request samples", None
        else:
            _ecdf_from_percentiles(ax, df, hue, level)
            title = "latency CDF (step approximation from percentiles)"
            note = (f"steps: F(x) ≥ q from each mean percentile (dots) on, a lower bound "
                    f"exact at the dots;\nbars: {level:.0%} t-CI of each percentile")
        _finish(ax, f"{value} (µs)", "P(latency ≤ x)", title=title,
                legend=", ".join(hue) if hue else None, outside=True)
        ax.set_ylim(0, 1.02)
        if note:
            fig.supxlabel(note, fontsize="x-small", color="0.35")
    return fig


def _ecdf_from_samples(ax, samples: pd.DataFrame, hue: list[str], value: str) -> None:
    frame = samples.assign(_hue=labels(samples, hue))
    for color, (name, part) in zip(_colors(frame["_hue"].nunique()),
                                   frame.groupby("_hue", sort=False)):
        x = np.sort(part[value].dropna().to_numpy(dtype=float))
        y = np.arange(1, len(x) + 1) / len(x)
        ax.step(np.r_[x[0], x], np.r_[0.0, y], where="post", color=color, label=name)


def _ecdf_from_percentiles(ax, df: pd.DataFrame, hue: list[str], level: float) -> None:
    cols = percentile_columns(df)
    if not cols:
        raise ValueError("latency_ecdf: no response_pNN columns and no samples given")
    qs = np.array([q for q, _ in cols])
    frame = _ordered(df).assign(_hue=lambda d: labels(d, hue))
    groups = list(frame.groupby("_hue", sort=False))
    for color, (name, part) in zip(_colors(len(groups)), groups):
        stats = np.array([t_interval(part[c], level) for _, c in cols])  # mean, lo, hi
        xs = np.maximum.accumulate(stats[:, 0])
        right = xs[-1] + 0.05 * (xs[-1] - xs[0] if xs[-1] > xs[0] else abs(xs[-1]) or 1.0)
        ax.step(np.r_[xs[0], xs, right], np.r_[0.0, qs, qs[-1]], where="post", color=color,
                label=name)
        ax.scatter(xs, qs, color=color, s=18, zorder=3)
        ax.hlines(qs, stats[:, 1], stats[:, 2], color=color, lw=3, alpha=0.5)


def percentile_columns(df: pd.DataFrame) -> list[tuple[float, str]]:
    """``[(q, column)]`` of the ``response_pNN`` columns, sorted by q (p99 -> 0.99)."""
    found = [(float(m.group(1)) / 100, c) for c in df.columns if (m := PERCENTILE.match(c))]
    return sorted(found)


# --- CPU time and locks --------------------------------------------------------------------


def cpu_breakdown(df: pd.DataFrame, by: str | Sequence[str] | None = None) -> Figure:
    """Stacked bars of the mean ``cpu.*`` shares, one bar per design point (or ``by`` group).

    Shares that are 0 (or missing) at every design point are left out, so there
    are (groups × non-zero shares) bar segments; idle time is grey.
    """
    by = _as_list(by) if by is not None else _params(df)
    shares = [c for c in cpu_columns(df) if df[c].fillna(0).abs().max() > 0]
    if not shares:
        raise ValueError("cpu_breakdown: no non-zero cpu.* columns")
    means = _group_means(df, by, shares)
    with theme():
        fig, ax = _figure(width=max(6.0, 0.7 * len(means) + 2))
        bottom = np.zeros(len(means))
        pos = np.arange(len(means))
        for color, col in zip(_colors(len(shares)), shares):
            color = "0.82" if col == "cpu.idle" else color  # idle: grey, not a colour
            height = means[col].fillna(0).to_numpy()
            ax.bar(pos, height, bottom=bottom, color=color, label=col.removeprefix("cpu."),
                   width=0.75)
            bottom += height
        _categorical_axis(ax, pos, means["_label"], ", ".join(by))
        _finish(ax, None, "share of core time", title="where the cores' time goes (mean)",
                legend="cpu", outside=True)
        ax.set_ylim(0, max(1.0, float(bottom.max())) * 1.02)
    return fig


def cpu_columns(df: pd.DataFrame) -> list[str]:
    """The ``cpu.*`` share columns in the documented order (unknown ones last)."""
    cols = [c for c in df.columns if c.startswith("cpu.")]
    rank = {f"cpu.{name}": i for i, name in enumerate(CPU_ORDER)}
    return sorted(cols, key=lambda c: (rank.get(c, len(rank)), c))


def lock_waits(df: pd.DataFrame, stats: Sequence[str] = ("wait_mean", "wait_p99"),
               by: str | Sequence[str] | None = None, level: float = 0.95) -> Figure:
    """Lock waits across design points: one panel per statistic (``lock.<name>.<stat>``).

    In each panel grouped bars (mean over replications, t-CI error bar) per
    design point, one colour per lock, and the replications as dots. Design
    points where every lock value is missing (no locks, e.g. a microkernel)
    are left out: (points with locks × locks) bars per panel.
    """
    by = _as_list(by) if by is not None else _params(df)
    locks = lock_names(df, stats)
    if not locks:
        raise ValueError(f"lock_waits: no lock.<name>.{stats[0]} columns")
    cols = [f"lock.{name}.{s}" for name in locks for s in stats]
    have = df[df[cols].notna().any(axis=1)]
    with theme():
        fig, axes = _figure(ncols=len(stats), width=max(6.0, 3.2 * len(stats) + 0.4
                                                        * have["design_point"].nunique()))
        for ax, stat in zip(np.atleast_1d(axes), stats):
            table = pd.concat([ci_table(have, by, f"lock.{n}.{stat}", level).assign(_lock=n)
                               for n in locks], ignore_index=True)
            _grouped_bars(ax, table, by, "_lock", points=(have, by, locks, stat))
            _finish(ax, None, f"{stat} (µs)", title=f"lock {stat}", legend="lock")
    return fig


def lock_names(df: pd.DataFrame, stats: Sequence[str] = ("wait_mean",)) -> list[str]:
    """Names of the locks with a ``lock.<name>.<stats[0]>`` column, in column order."""
    suffix = f".{stats[0]}"
    return [c[len("lock."):-len(suffix)] for c in df.columns
            if c.startswith("lock.") and c.endswith(suffix)]


# --- failures: blast radius and availability -----------------------------------------------


def blast_radius(df: pd.DataFrame, by: str | Sequence[str],
                 column: str = "blast_radius_components", level: float = 0.95) -> Figure:
    """PMF of the blast radius (components affected per failure) per group, Wilson CIs.

    ``df`` has one row per failure with the integer ``column`` and the ``by``
    columns. Bars: one per group and value in ``min..max`` of the column
    (values never seen get a bar of height 0 with its CI).
    """
    by = _as_list(by)
    frame = df.dropna(subset=[column]).assign(_hue=lambda d: labels(d, by))
    table = blast_radius_pmf(frame, "_hue", column, level).rename(
        columns={"value": "_x", "p": "mean", "p_lo": "lo", "p_hi": "hi"})
    table.loc[table["count"] == 0, ["lo", "hi"]] = 0.0  # no bar, so no whisker in the air
    with theme():
        fig, ax = _figure()
        _grouped_bars(ax, table, ["_x"], "_hue")
        _finish(ax, "components affected per failure", "probability",
                title=f"blast radius PMF ({level:.0%} Wilson CI)", legend=", ".join(by))
        ax.set_ylim(0.0, 1.02)
    return fig


def availability(df: pd.DataFrame, by: str | Sequence[str] | None = None,
                 metric: str = "availability", hue: str | Sequence[str] | None = None,
                 level: float = 0.95, counts: tuple[str, str] | None = None) -> Figure:
    """Bars of availability per group with CIs: one bar per ``by`` group (× ``hue``).

    By default the mean of ``metric`` over replications with a t-CI. With
    ``counts=(up, total)`` (column names) the pooled proportion sum(up)/sum(total)
    with a Wilson CI instead.
    """
    hue = _as_list(hue) if hue is not None else []
    by = _as_list(by) if by is not None else [p for p in _params(df) if p not in hue]
    if counts:
        table = _pooled_proportions(df, [*by, *hue], counts, level)
    else:
        table = ci_table(df, [*by, *hue], metric, level)
    table["_hue"] = labels(table, hue) if hue else metric
    with theme():
        fig, ax = _figure(width=max(6.0, 0.6 * len(table) + 2))
        _grouped_bars(ax, table, by, "_hue")
        ax.set_ylim(0.0, 1.02)  # a probability: the whole scale, not a zoom
        _finish(ax, None, axis_label(metric, "fraction"), title=f"{metric} (mean, {level:.0%} CI)",
                legend=", ".join(hue) if hue else None)
    return fig


def _pooled_proportions(df, keys, counts, level) -> pd.DataFrame:
    up, total = counts
    rows = []
    for key, part in _ordered(df).groupby(keys, sort=False):
        p, lo, hi = proportion_ci(int(part[up].sum()), int(part[total].sum()), level, "wilson")
        rows.append({**dict(zip(keys, _tuple(key))), "mean": p, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


# --- model against published numbers -------------------------------------------------------


def published_overlay(model_df: pd.DataFrame, published: pd.DataFrame, x: str, quantity: str,
                      hue: str | None = None, level: float = 0.95,
                      metric: str | None = None) -> Figure:
    """Model curves (mean, t-CI band per ``hue`` level) with published values on top.

    ``published`` has columns ``quantity``, ``system``, ``value`` and the x
    column (named ``x`` like the model's, or literally ``"x"``); its rows with
    ``quantity == quantity`` are drawn as dashed lines with square markers, one
    per ``system``, in the colour of the model line whose ``hue`` value equals
    the system. ``metric`` is the model column (default: ``quantity``).
    Lines: model hue levels + published systems.
    """
    metric = metric or quantity
    hue = hue or next((p for p in _params(model_df) if p != x), None)
    keys = [hue, x] if hue else [x]
    table = ci_table(model_df, keys, metric, level)
    table["_hue"] = table[hue].astype(str) if hue else metric
    pub = published[published["quantity"] == quantity]
    pub_x = x if x in pub.columns else "x"
    names = list(dict.fromkeys([*table["_hue"], *pub["system"].astype(str)]))
    colors = dict(zip(names, _colors(len(names))))
    with theme():
        fig, ax = _figure()
        for name, part in table.groupby("_hue", sort=False):
            part = part.sort_values(x)
            ax.plot(part[x], part["mean"], marker="o", color=colors[name], label=f"{name} (model)")
            ax.fill_between(part[x], part["lo"], part["hi"], color=colors[name], alpha=0.2, lw=0)
        for name, part in pub.groupby(pub["system"].astype(str), sort=False):
            part = part.sort_values(pub_x)
            ax.plot(part[pub_x], part["value"], ls="--", marker="s", mfc="white",
                    color=colors[name], label=f"{name} (published)")
        _finish(ax, x, quantity, title=f"{quantity}: model ({level:.0%} CI) vs published",
                legend=hue)
        _maybe_log(ax, table[x], None)
    return fig


# --- warm-up -------------------------------------------------------------------------------


def warmup(series, cut=None, design_point: int = 0) -> Figure:
    """Check an MSER-5 truncation: the series, its batch means and the cut; MSER(d) below.

    ``series`` is a series in time order, or a results folder of ``warmup = "auto"``
    (its pilot for ``design_point``, from ``warmup.parquet``). ``cut`` is a
    :class:`~kernsim.stats.warmup.WarmupCut` or an observation count (default: MSER-5's). Top panel: the raw series (thin), means of batches of 5, a vertical
    line at the cut and the dropped part shaded; bottom: MSER(d) against the
    truncation point with its minimum marked (3 lines on top, 1 below).
    """
    from kernsim.stats.warmup import batch_series, mser5

    if isinstance(series, (str, Path)):
        series = load_pilots(series, design_point)
    y = np.asarray(series, dtype=float)
    t = np.asarray(series.index, dtype=float) if isinstance(series, pd.Series) else \
        np.arange(len(y), dtype=float)
    res = mser5(series)
    size, n_cut = res.batch_size, int(res if cut is None else cut)
    z = batch_series(y, size)
    centers = t[: len(z) * size].reshape(-1, size).mean(axis=1)
    t_cut = t[min(n_cut, len(t) - 1)]
    with theme():
        fig, (top, bottom) = _figure(nrows=2, height=5.5, sharex=True)
        c = _colors(3)
        top.plot(t, y, color="0.6", lw=0.6, label="observations")
        top.plot(centers, z, color=c[0], lw=1.2, label=f"batch means of {size}")
        top.axvline(t_cut, color=c[1], ls="--", label=f"cut: drop {n_cut}")
        top.axvspan(t[0], t_cut, color=c[1], alpha=0.1, lw=0)
        _finish(top, None, "value", title="warm-up (MSER-5)", legend="")
        d = np.arange(len(res.statistic))
        bottom.plot(t[np.minimum(d * size, len(t) - 1)], res.statistic, color=c[2])
        bottom.scatter([t[res.index]], [res.statistic[res.batches]], color=c[1], zorder=3)
        half = len(z) // 2
        bottom.axvspan(t[min(half * size, len(t) - 1)], t[-1], color="0.9", lw=0)
        bottom.set_ylim(0, 1.5 * float(res.statistic[: half + 1].max()))
        _finish(bottom, "time" if isinstance(series, pd.Series) else "observation",
                "MSER(d)", title="MSER statistic (grey: not searched)", legend=None)
    return fig


# --- Sobol' sensitivity indices ------------------------------------------------------------


def sensitivity(table: pd.DataFrame) -> Figure:
    """First-order (S1) and total (ST) Sobol' indices per parameter, with their CIs.

    ``table`` is what ``kernsim.analysis.sensitivity.sobol_indices`` returns (or the
    CSV ``kernsim sensitivity`` writes); one panel per group of the other swept keys.
    ST well above S1 means the parameter acts through interactions; a bar whose CI
    reaches 0 is not resolved from no effect.
    """
    heads = [c for c in table.columns if c != "parameter" and not c.startswith(("S1", "ST"))]
    prefix = _dotted_prefix(list(dict.fromkeys(table["parameter"])))
    long = pd.concat([table.assign(index=name, mean=table[k], lo=table[f"{k}_low"],
                                   hi=table[f"{k}_high"],
                                   parameter=table["parameter"].str.removeprefix(prefix))
                      for k, name in (("S1", "first-order S1"), ("ST", "total ST"))])
    groups = list(long.assign(_g=labels(long, heads)).groupby("_g", sort=False))
    level = table.attrs.get("level")
    what = table.attrs.get("quantity", table.attrs.get("metric", "the metric"))
    with theme():
        fig, axes = _figure(ncols=len(groups), width=max(6.4, 4.2 * len(groups)))
        for ax, (name, part) in zip(np.atleast_1d(axes), groups):
            _grouped_bars(ax, part, ["parameter"], "index")
            low = min(0.0, float(part["lo"].min()))
            ax.set_ylim(low - 0.02, max(1.0, float(part["hi"].max())) + 0.02)
            ax.axhline(0, color="0.4", lw=0.8)
            _finish(ax, f"parameter ({prefix}…)" if prefix else "parameter",
                    "share of variance (0–1)", legend="", outside=True,
                    title=f"{', '.join(heads)} = {name}" if heads else "")
        fig.suptitle(f"Sobol' indices of {what}" + (f" ({level:.0%} bootstrap CI)" if level
                                                    else ""), fontsize="medium")
    return fig


def _dotted_prefix(names: list[str]) -> str:
    """The dotted prefix all ``names`` share (``"system."``); each keeps its last part."""
    common = []
    for part in zip(*(n.split(".")[:-1] for n in names)) if len(names) > 1 else ():
        if len(set(part)) > 1:
            break
        common.append(part[0])
    return "".join(f"{c}." for c in common)


# --- tables and helpers --------------------------------------------------------------------


def ci_table(df: pd.DataFrame, keys: Sequence[str], metric: str,
             level: float = 0.95) -> pd.DataFrame:
    """One row per combination of ``keys``: n, mean, lo, hi of ``metric`` (Student t)."""
    if metric not in df.columns:
        raise KeyError(f"{metric!r}: not a column; have {', '.join(map(str, df.columns))}")
    keys = list(keys)
    if not keys:
        return pd.DataFrame([_ci_row({}, df[metric], level)])
    rows = [_ci_row(dict(zip(keys, _tuple(key))), part[metric], level)
            for key, part in _ordered(df).groupby(keys, sort=False)]
    return pd.DataFrame(rows)


def _ordered(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in design-point order, so that groups appear as the sweep lists them."""
    return df.sort_values("design_point", kind="stable") if "design_point" in df else df


def _ci_row(head: dict, values: pd.Series, level: float) -> dict:
    mean, lo, hi = t_interval(values, level)
    return {**head, "n": int(values.notna().sum()), "mean": mean, "lo": lo, "hi": hi}


def labels(df: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    """One text label per row from ``cols``: the value, or ``"a, b"`` for several."""
    cols = list(cols)
    if not cols:
        return pd.Series([""] * len(df), index=df.index)
    text = df[cols].astype(str)
    return text.iloc[:, 0] if len(cols) == 1 else text.agg(", ".join, axis=1)


def default_x(df: pd.DataFrame) -> str:
    """The numeric swept parameter with the most distinct values (else the first one)."""
    params = _params(df)
    if not params:
        raise ValueError("no swept parameters (df.attrs['params'] is empty); give x=")
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(df[p])]
    return max(numeric or params, key=lambda p: df[p].nunique())


def _group_means(df: pd.DataFrame, by: list[str], cols: list[str]) -> pd.DataFrame:
    keys = by or ["design_point"]
    means = _ordered(df).groupby(keys, sort=False)[cols].mean().reset_index()
    means["_label"] = labels(means, keys)
    return means


def _grouped_bars(ax, table: pd.DataFrame, by: list[str], hue: str, points=None) -> None:
    """Bars of ``mean`` with CI error bars: x = ``by`` groups, side by side per ``hue``."""
    table = table.assign(_x=labels(table, by))
    xs = list(dict.fromkeys(table["_x"]))
    hues = list(dict.fromkeys(table[hue]))
    width = 0.8 / len(hues)
    for i, (color, name) in enumerate(zip(_colors(len(hues)), hues)):
        part = table[table[hue] == name].set_index("_x").reindex(xs)
        pos = np.arange(len(xs)) + (i - (len(hues) - 1) / 2) * width
        mean = part["mean"].to_numpy(dtype=float)
        err = np.vstack([mean - part["lo"].to_numpy(dtype=float),
                         part["hi"].to_numpy(dtype=float) - mean])
        ax.bar(pos, np.nan_to_num(mean), width=width * 0.95, color=color, label=str(name),
               yerr=np.where(np.isnan(err), 0, err), ecolor="0.25", capsize=0,
               error_kw={"lw": 1})
        if points is not None:
            _bar_points(ax, points, name, xs, pos, color)
    _categorical_axis(ax, np.arange(len(xs)), xs, ", ".join(by) if by != ["_x"] else None)


def _bar_points(ax, points, lock, xs, pos, color) -> None:
    """Replication values as dots on a lock's bars (``points`` = (frame, by, locks, stat))."""
    frame, by, _, stat = points
    col = f"lock.{lock}.{stat}"
    where = dict(zip(xs, pos))
    lab = labels(frame, by)
    x = lab.map(where).to_numpy(dtype=float)
    ax.scatter(x, frame[col], s=8, color="0.15", alpha=0.6, zorder=3, lw=0)


def _params(df: pd.DataFrame) -> list[str]:
    return [p for p in df.attrs.get("params", []) if p in df.columns]


def _as_list(cols) -> list[str]:
    return [cols] if isinstance(cols, str) else list(cols)


def _tuple(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)
