"""Per-design-point summaries of a results frame (the intervals: ``kernsim.stats``)."""

from __future__ import annotations

import pandas as pd

from kernsim.stats.intervals import t_interval
from kernsim.units import unit

#: columns of a results frame that are not metrics
KEYS = ("design_point", "replication", "seed", "replication_seed")


def metric_columns(df: pd.DataFrame, params: list[str]) -> list[str]:
    """Numeric columns that are results: not keys, not swept parameters."""
    return [c for c in df.columns if c not in KEYS and c not in params
            and not c.startswith("_") and pd.api.types.is_numeric_dtype(df[c])]


def summarize(df: pd.DataFrame, params: list[str] | None = None,
              metrics: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Long table: one row per design point × metric with its unit
    (:mod:`kernsim.units`), n, mean, sd and the CI.

    ``params`` (the swept columns) default to ``df.attrs["params"]``, which
    ``kernsim.load_results`` sets.
    """
    params = list(df.attrs.get("params", [])) if params is None else params
    metrics = metrics or metric_columns(df, params)
    rows = []
    for dp, group in df.groupby("design_point", sort=True):
        head = {"design_point": dp, **{p: group[p].iloc[0] for p in params}}
        for metric in metrics:
            mean, low, high = t_interval(group[metric], level)
            rows.append({**head, "metric": metric, "unit": unit(metric), "n": int(group[metric].notna().sum()),
                         "mean": mean, "sd": float(group[metric].std(ddof=1)),
                         "ci_low": low, "ci_high": high, "half_width": (high - low) / 2})
    return pd.DataFrame(rows)
