"""Confidence intervals and per-design-point summaries of a results frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

#: columns of a results frame that are not metrics
KEYS = ("design_point", "replication", "seed")


def t_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval (low, high) of i.i.d. replication values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if n < 2:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def metric_columns(df: pd.DataFrame, params: list[str]) -> list[str]:
    """Numeric columns that are results: not keys, not swept parameters."""
    return [c for c in df.columns if c not in KEYS and c not in params
            and not c.startswith("_") and pd.api.types.is_numeric_dtype(df[c])]


def summarize(df: pd.DataFrame, params: list[str] | None = None,
              metrics: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Long table: one row per design point × metric with n, mean, sd and the CI.

    ``params`` (the swept columns) default to ``df.attrs["params"]``, which
    ``model.load_results`` sets.
    """
    params = list(df.attrs.get("params", [])) if params is None else params
    metrics = metrics or metric_columns(df, params)
    rows = []
    for dp, group in df.groupby("design_point", sort=True):
        head = {"design_point": dp, **{p: group[p].iloc[0] for p in params}}
        for metric in metrics:
            mean, low, high = t_interval(group[metric], level)
            rows.append({**head, "metric": metric, "n": int(group[metric].notna().sum()),
                         "mean": mean, "sd": float(group[metric].std(ddof=1)),
                         "ci_low": low, "ci_high": high, "half_width": (high - low) / 2})
    return pd.DataFrame(rows)
