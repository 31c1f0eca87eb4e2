"""The one look of every kernsim plot, and the small pieces each plot is built from.

:func:`theme` (seaborn "whitegrid", "notebook" context, colour-blind palette) is a
context manager, nothing global; :func:`figure` makes a Figure without pyplot;
:func:`finish` labels an axis, titles it and places its legend;
:func:`kernsim.units.display_unit` picks the scale a metric is shown in (µs, ms,
s, …; /s, k/s, M/s), for axes and sentences alike. The plots
themselves live in :mod:`kernsim.analysis.plots`; a new plot builds on these
(the extension hook: a plot module that uses ``theme``, ``figure`` and ``finish``
looks like the rest).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from kernsim.units import quantity

PALETTE = "colorblind"
RC = {"axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100,
      "savefig.dpi": 120, "savefig.bbox": "tight", "legend.frameon": False}


@contextmanager
def theme() -> Iterator[None]:
    """The one seaborn look of every kernsim plot (a context manager, nothing global)."""
    import seaborn as sns

    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.9), \
            mpl.rc_context(RC), sns.color_palette(PALETTE):
        yield


def figure(nrows: int = 1, ncols: int = 1, width: float = 6.4, height: float = 4.2,
           sharex: bool = False):
    """A constrained-layout Figure (no pyplot) and its axes (one, or an array)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=True)
    return fig, axes


def finish(ax: Axes, xlabel, ylabel, title: str, legend: str | None,
           outside: bool = False) -> None:
    """Axis labels, a title, and a legend (titled ``legend``; none when it is None)."""
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize="medium")
    handles, _ = ax.get_legend_handles_labels()
    if legend is not None and handles:
        kw = {"loc": "upper left", "bbox_to_anchor": (1.0, 1.0)} if outside else {}
        ax.legend(title=legend, fontsize="small", title_fontsize="small", **kw)


def categorical_axis(ax: Axes, pos, names, title: str | None) -> None:
    """Named ticks at ``pos`` (tilted when long), no vertical grid."""
    names = [str(n) for n in names]
    ax.set_xticks(pos, names, rotation=30 if max(map(len, names), default=0) > 6 else 0,
                  ha="right" if max(map(len, names), default=0) > 6 else "center")
    if title:
        ax.set_xlabel(title)
    ax.grid(axis="x", visible=False)


def maybe_log(ax: Axes, x: pd.Series, logx: bool | None) -> None:
    """A log x axis when asked, or (``logx`` None) when positive ``x`` spans > 20×."""
    if not pd.api.types.is_numeric_dtype(x):
        return
    lo, hi = float(x.min()), float(x.max())
    if logx or (logx is None and lo > 0 and hi / lo > 20):
        ax.set_xscale("log")


def colors(n: int) -> list:
    """``n`` colours of the palette."""
    import seaborn as sns

    return sns.color_palette(PALETTE, max(n, 1))


def axis_label(metric: str, shown_unit: str) -> str:
    """``metric (unit)``, or the bare name without a unit."""
    return f"{metric} ({shown_unit})" if shown_unit else metric


def probability_axis(ax: Axes, metric: str, axis: str = "y") -> None:
    """A fraction or probability runs from 0 to 1 on its axis."""
    if quantity(metric) == "fraction":
        (ax.set_ylim if axis == "y" else ax.set_xlim)(0.0, 1.02)
