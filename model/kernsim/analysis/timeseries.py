"""Time series of a results folder: ``series.parquet`` (``experiment.sample_every``) and
``warmup.parquet`` (the pilots of ``warmup = "auto"``), their loaders and their plot.

A series row is one metric of one replication over one interval: ``t`` is the
interval's end and ``dt`` its length (µs), ``value`` the metric over it (see
:mod:`kernsim.sampler` for what each metric is; :mod:`kernsim.units` for its unit). :func:`timeseries`
draws the mean across replications at each ``t`` with a Student-t band.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kernsim.analysis.figure import (
    axis_label,
    colors,
    figure,
    finish,
    probability_axis,
    theme,
)
from kernsim.errors import KernsimError
from kernsim.experiment.store import Store, read_folder_file, with_params
from kernsim.stats.intervals import t_interval
from kernsim.units import display_unit


def load_series(path: str | Path, metric: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The time series of a results folder (``series.parquet``), optionally some metrics
    only, with each row's design-point parameters as columns (``df.attrs["params"]``)."""
    path, df = read_folder_file(path, "series.parquet",
                                'set experiment.sample_every, e.g. "1ms", and run again')
    if metric is not None:
        wanted = [metric] if isinstance(metric, str) else list(metric)
        unknown = sorted(set(wanted) - set(df["metric"]))
        if unknown:
            raise KernsimError(f"metric = {unknown[0]!r}: not in {path / 'series.parquet'}; have "
                               f"{', '.join(sorted(set(df['metric'])))}")
        df = df[df["metric"].isin(wanted)].reset_index(drop=True)
    return with_params(df, Store(path).manifest().get("design_points", []))


def load_pilots(path: str | Path, design_point: int = 0) -> pd.Series:
    """One design point's warm-up pilot (``warmup.parquet``): response times (µs) in
    completion order, indexed by completion time (µs); what ``plots.warmup`` takes."""
    path, df = read_folder_file(path, "warmup.parquet",
                                'only experiment.warmup = "auto" runs a pilot')
    part = df[df["design_point"] == design_point]
    if part.empty:
        raise KernsimError(f"design_point = {design_point!r}: not in {path / 'warmup.parquet'}; have "
                           f"{', '.join(map(str, sorted(set(df['design_point']))))}")
    return pd.Series(part["response"].to_numpy(), index=pd.Index(part["t"].to_numpy(), name="t"),
                     name="response")


def timeseries(series: pd.DataFrame, metric: str, hue: str | Sequence[str] | None = None,
               level: float = 0.95, warmup: float | None = None,
               spans: Sequence[tuple[float, float, str]] = (),
               xlabel: str = "simulated time (ms)") -> Figure:
    """``metric`` over simulated time: the mean across replications at each sample time,
    with a ``level`` Student-t band, one line per ``hue`` (default: the swept parameters).

    ``series`` is :func:`load_series`'s frame. ``warmup`` (µs) draws a line at the end
    of the warm-up; ``spans`` shades (start, end, label) windows in µs (e.g. a trigger).
    The x axis is in ms (``xlabel`` names it, e.g. for ``t`` shifted to an event);
    the y axis carries the metric's unit.
    """
    part = series[series["metric"] == metric]
    if part.empty:
        raise KernsimError(f"metric = {metric!r}: not in the series; have "
                           f"{', '.join(sorted(set(series['metric'])))}")
    hue = ([hue] if isinstance(hue, str) else list(hue)) if hue is not None else \
        [p for p in series.attrs.get("params", []) if p in part.columns]
    groups = part.groupby(hue, sort=False) if hue else [("", part)]
    div, yunit = display_unit(metric, part["value"])  # kernsim.units: the one table
    with theme():
        fig, ax = figure()
        for color, (name, group) in zip(colors(len(groups)), groups):
            stats = np.array([t_interval(g["value"], level)
                              for _, g in group.groupby("t", sort=True)]) / div
            t = np.sort(group["t"].unique()) / 1000.0
            label = ", ".join(map(str, name)) if isinstance(name, tuple) else str(name)
            ax.plot(t, stats[:, 0], color=color, lw=1.2, label=label or metric)
            # every series metric is ≥ 0: the band is clipped there (the mean cannot be below)
            ax.fill_between(t, np.maximum(stats[:, 1], 0), stats[:, 2], color=color, alpha=0.2,
                            lw=0)
        if warmup:
            ax.axvline(warmup / 1000.0, color="0.4", ls=":", lw=1, label="end of warm-up")
        for start, end, text in spans:
            ax.axvspan(start / 1000.0, end / 1000.0, color="0.85", lw=0, zorder=0,
                       label=text or None)
        finish(ax, xlabel, axis_label(metric, yunit),
               title=f"{metric} (mean, {level:.0%} CI over replications)",
               legend=", ".join(hue) if hue else "")
        probability_axis(ax, metric)
    return fig
