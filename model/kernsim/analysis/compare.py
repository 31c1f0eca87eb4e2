"""Comparing two design points: paired (common random numbers) and independent.

With ``experiment.common_random_numbers = true`` (the default) replication ``r``
of every design point draws from the same random streams, so the values of two
design points in one replication are positively correlated and their
difference varies less than that of independent runs. Pairing by the
``replication`` column and taking a Student-t CI of the per-replication
differences uses that; :func:`variance_reduction` measures how much it gained.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from kernsim.stats.intervals import t_interval


class Difference(NamedTuple):
    """Mean of ``b - a`` with its CI, the number of pairs (or of runs per side) and sd."""

    mean: float
    lo: float
    hi: float
    n: int
    sd: float


def paired_difference(df: pd.DataFrame, param: str, a: Any, b: Any, metric: str,
                      level: float = 0.95, where: dict | None = None) -> Difference:
    """Mean and t-CI of ``metric[param=b] - metric[param=a]``, paired by replication.

    Every other swept parameter (``df.attrs["params"]``) must be fixed: by
    ``where={column: value}`` or because it takes one value in ``df``; see
    :func:`paired_differences` for all combinations at once. Only replications
    present on both sides count; ``sd`` is that of the differences.
    """
    xa, xb = _sides(df, param, a, b, metric, where)
    pairs = pd.concat([xa.rename("a"), xb.rename("b")], axis=1, join="inner").dropna()
    if len(pairs) < 2:
        raise ValueError(f"paired_difference: {len(pairs)} paired replications; need >= 2")
    d = pairs["b"] - pairs["a"]
    mean, lo, hi = t_interval(d, level)
    return Difference(mean, lo, hi, len(d), float(d.std(ddof=1)))


def independent_difference(df: pd.DataFrame, param: str, a: Any, b: Any, metric: str,
                           level: float = 0.95, where: dict | None = None) -> Difference:
    """Mean and Welch t-CI of ``b - a`` treating the two sides as independent samples.

    ``n`` is the smaller side's count; ``sd`` is ``sqrt(var_a + var_b)``, the sd
    of the difference of one run of each side.
    """
    xa, xb = (s.dropna() for s in _sides(df, param, a, b, metric, where))
    if min(len(xa), len(xb)) < 2:
        raise ValueError("independent_difference: need >= 2 replications on each side")
    va, vb = xa.var(ddof=1) / len(xa), xb.var(ddof=1) / len(xb)
    dof = (va + vb) ** 2 / (va**2 / (len(xa) - 1) + vb**2 / (len(xb) - 1)) if va + vb else 1.0
    mean = float(xb.mean() - xa.mean())
    half = float(stdtrit(dof, 0.5 + level / 2) * np.sqrt(va + vb))
    return Difference(mean, mean - half, mean + half, min(len(xa), len(xb)),
                      float(np.sqrt(xa.var(ddof=1) + xb.var(ddof=1))))


def paired_differences(df: pd.DataFrame, param: str, a: Any, b: Any, metric: str,
                       level: float = 0.95) -> pd.DataFrame:
    """:func:`paired_difference` for every combination of the other swept parameters."""
    others = _others(df, param)
    groups = df.groupby(others, sort=True) if others else [((), df)]
    rows = []
    for key, group in groups:
        fixed = dict(zip(others, key if isinstance(key, tuple) else (key,)))
        diff = paired_difference(group, param, a, b, metric, level, where=fixed)
        rows.append({**fixed, "metric": metric, "a": a, "b": b, **diff._asdict()})
    return pd.DataFrame(rows)


def variance_reduction(df_crn: pd.DataFrame, df_indep: pd.DataFrame, param: str, a: Any,
                       b: Any, metric: str, where: dict | None = None) -> float:
    """Var(independent difference) / Var(paired difference): the gain of common random numbers.

    The numerator is ``var_a + var_b`` from ``df_indep`` (runs with independent
    streams), the denominator the variance of the per-replication differences
    in ``df_crn``. Above 1: CRN needs that many times fewer replications for the
    same CI width.
    """
    indep = independent_difference(df_indep, param, a, b, metric, where=where)
    paired = paired_difference(df_crn, param, a, b, metric, where=where)
    return float(indep.sd**2 / paired.sd**2) if paired.sd > 0 else np.inf


def _sides(df, param, a, b, metric, where) -> tuple[pd.Series, pd.Series]:
    """Values of ``metric`` for ``param == a`` and ``== b``, indexed by replication."""
    for column in (param, metric, "replication"):
        if column not in df.columns:
            raise KeyError(f"{column!r}: not a column of the results frame")
    sub = _select(df, where or {})
    varying = [c for c in _others(df, param) if c not in (where or {})
               and sub[c].nunique(dropna=False) > 1]
    if varying:
        raise ValueError(f"other swept parameters vary: {', '.join(varying)}; fix them with "
                         "where={...} or use paired_differences")
    sides = []
    for value in (a, b):
        side = sub[sub[param] == value]
        if side.empty:
            raise ValueError(f"{param} = {value!r}: no rows")
        if side["replication"].duplicated().any():
            raise ValueError(f"{param} = {value!r}: several rows per replication")
        sides.append(side.set_index("replication")[metric].astype(float))
    return sides[0], sides[1]


def _select(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    mask = np.ones(len(df), dtype=bool)
    for column, value in where.items():
        mask &= (df[column] == value).to_numpy()
    return df[mask]


def _others(df: pd.DataFrame, param: str) -> list[str]:
    return [p for p in df.attrs.get("params", []) if p != param and p in df.columns]
