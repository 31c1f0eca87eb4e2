"""Response-time distributions from the ``latency_histogram`` samples table.

Every request-level replication writes its response-time histogram (the
buckets of :class:`kernsim.engine.monitor.Quantiles`, ≈ 1% wide, merged by
:data:`kernsim.queueing.outcomes.HISTOGRAM_MERGE`) as sample rows ``lower``,
``upper`` (µs; a bucket is (lower, upper]) and ``count``. Buckets have the
same edges in every replication, so pooling is adding counts.
:func:`pooled_ecdf` gives the ECDF per design point at the upper edges,
:func:`bracket` the buckets that hold a quantile, and :func:`ecdf_plot` draws it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kernsim.analysis.figure import colors, figure, finish, maybe_log, theme
from kernsim.units import unit

TABLE = "latency_histogram"
"""The samples table (``sample`` column of samples.parquet)."""


def histograms(samples: pd.DataFrame) -> pd.DataFrame:
    """The ``latency_histogram`` rows of a samples frame (empty if it has none)."""
    if "sample" not in samples.columns:
        return pd.DataFrame(columns=["design_point", "replication", "lower", "upper", "count"])
    rows = samples[samples["sample"] == TABLE]
    return rows.dropna(axis=1, how="all").reset_index(drop=True)


def pooled_ecdf(hist: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Per design point (and the ``by`` columns it carries), the buckets pooled over
    replications, increasing: ``lower``, ``upper``, ``count`` and ``ecdf``, the share of
    the pooled requests with a response time ≤ ``upper`` (exact at the edges)."""
    keys = ["design_point", *[b for b in (by or []) if b != "design_point"]]
    pooled = (hist.groupby([*keys, "lower", "upper"], sort=True, dropna=False)["count"]
              .sum().reset_index())
    total = pooled.groupby(keys, dropna=False)["count"].transform("sum")
    pooled["ecdf"] = pooled.groupby(keys, dropna=False)["count"].cumsum() / total
    return pooled


def bracket(lower: np.ndarray, upper: np.ndarray, count: np.ndarray,
            q: float) -> tuple[float, float]:
    """Bounds on the ``q``-quantile (0..1, linear interpolation between order statistics
    as numpy's) of the values a histogram counts: the lower edge of the bucket of order
    statistic ⌊(n−1)q⌋ and the upper edge of the bucket of the next one."""
    cum = np.cumsum(count)
    k = int(np.floor((cum[-1] - 1) * q))
    first = int(np.searchsorted(cum, k, side="right"))
    second = int(np.searchsorted(cum, min(k + 1, cum[-1] - 1), side="right"))
    return float(lower[first]), float(upper[second])


def ecdf_plot(hist: pd.DataFrame, hue: str | None = None, style: str | None = None,
              logx: bool | None = None) -> Figure:
    """The pooled ECDF per design point as steps at the bucket edges: one line per design
    point, coloured by ``hue`` and dashed by ``style`` (swept columns the rows carry)."""
    if hist.empty:
        raise ValueError(f"no {TABLE} sample rows (a run of kernsim before this table existed?)")
    by = [c for c in (hue, style) if c]
    pooled = pooled_ecdf(hist, by)
    hues = list(dict.fromkeys(pooled[hue])) if hue else [None]
    styles = list(dict.fromkeys(pooled[style])) if style else [None]
    palette = colors(len(hues))
    dashes = ["-", "--", ":", "-."]
    with theme():
        fig, ax = figure()
        for dp, rows in pooled.groupby("design_point", sort=True):
            h = rows[hue].iloc[0] if hue else None
            s = rows[style].iloc[0] if style else None
            x = np.concatenate([[rows["lower"].iloc[0]], rows["upper"].to_numpy()])
            y = np.concatenate([[0.0], rows["ecdf"].to_numpy()])
            name = ", ".join(str(v) for v in (h, s) if v is not None) or f"point {dp}"
            ax.plot(x, y, drawstyle="steps-post", color=palette[hues.index(h)],
                    linestyle=dashes[styles.index(s) % len(dashes)], label=name)
        ax.set_ylim(0, 1.02)
        maybe_log(ax, pooled["upper"], logx)
        finish(ax, f"response time ({unit('response_mean')})",
               "P(response time ≤ x)", "response-time ECDF (pooled over replications)",
               " · ".join(by) or None, outside=True)
    return fig
