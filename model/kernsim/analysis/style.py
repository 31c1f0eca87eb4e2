"""The one look of every kernsim plot: theme, figure, axis finish and colours."""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl
from matplotlib.figure import Figure

PALETTE = "colorblind"
RC = {"axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100,
      "savefig.dpi": 120, "savefig.bbox": "tight", "legend.frameon": False}


@contextmanager
def theme():
    """The one seaborn look of every kernsim plot (a context manager, nothing global)."""
    import seaborn as sns

    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.9), \
            mpl.rc_context(RC), sns.color_palette(PALETTE):
        yield


def figure(nrows: int = 1, ncols: int = 1, width: float = 6.4, height: float = 4.2,
           sharex: bool = False):
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=True)
    return fig, axes


def finish(ax, xlabel, ylabel, title: str, legend: str | None, outside: bool = False) -> None:
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize="medium")
    handles, _ = ax.get_legend_handles_labels()
    if legend is not None and handles:
        kw = {"loc": "upper left", "bbox_to_anchor": (1.0, 1.0)} if outside else {}
        ax.legend(title=legend, fontsize="small", title_fontsize="small", **kw)


def colors(n: int) -> list:
    import seaborn as sns

    return sns.color_palette(PALETTE, max(n, 1))
