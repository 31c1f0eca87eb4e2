"""Failure-propagation outcomes per design point: blast-radius PMF/ECDF, outage fraction.

Each function takes the ``faults`` sample rows (``kernsim.load_samples(dir,
"faults")``: one row per fault) and returns a tidy frame, one row per group
(× value), with Wilson (or Clopper–Pearson) intervals from
:func:`kernsim.stats.intervals.proportion_ci`. Intervals are pointwise.

The faults are pooled, so the intervals treat them as independent trials. That
holds for an injection campaign (one fault per replication) and for
``engine = "fast"``. In the SimPy dependability mode the faults of one
replication share its down and repair state (``down_before``); there, take
the per-replication ``p_outage_given_fault`` with a t-interval
(:func:`kernsim.analysis.stats.summarize`), or keep only ``down_before == 0``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kernsim.stats.intervals import proportion_ci

#: the group columns when none are given: one design point each
BY = ("design_point",)


def blast_radius_pmf(samples: pd.DataFrame, by: str | Sequence[str] = BY,
                     column: str = "blast_radius_components", level: float = 0.95,
                     method: str = "wilson") -> pd.DataFrame:
    """P(blast radius = v) and P(blast radius ≤ v) per group, each with its CI.

    Columns: the ``by`` columns, ``value`` (every integer from the smallest to
    the largest radius seen in any group), ``count``, ``faults``, ``p``,
    ``p_lo``, ``p_hi``, ``ecdf``, ``ecdf_lo``, ``ecdf_hi``.
    """
    by = _as_list(by)
    frame = samples.dropna(subset=[column])
    values = np.arange(int(frame[column].min()), int(frame[column].max()) + 1)
    rows = []
    for key, part in frame.groupby(by, sort=False):
        rows += _pmf_rows(dict(zip(by, _tuple(key))), part[column].astype(int), values,
                          level, method)
    return pd.DataFrame(rows)


def outage_fraction(samples: pd.DataFrame, by: str | Sequence[str] = BY,
                    column: str = "system_down", level: float = 0.95,
                    method: str = "wilson") -> pd.DataFrame:
    """Fraction of faults that took the whole system down, per group, with its CI.

    Columns: the ``by`` columns, ``outages``, ``faults``, ``p``, ``lo``, ``hi``.
    Rows whose ``column`` is missing are left out.
    """
    by = _as_list(by)
    rows = []
    for key, part in samples.dropna(subset=[column]).groupby(by, sort=False):
        k, n = int(part[column].astype(bool).sum()), len(part)
        p, lo, hi = proportion_ci(k, n, level, method)
        rows.append({**dict(zip(by, _tuple(key))), "outages": k, "faults": n,
                     "p": p, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def _pmf_rows(key: dict, radius: pd.Series, values: np.ndarray, level: float,
              method: str) -> list[dict]:
    counts = radius.value_counts()
    n, below, rows = len(radius), 0, []
    for v in values:
        k = int(counts.get(v, 0))
        below += k
        p, lo, hi = proportion_ci(k, n, level, method)
        e, elo, ehi = proportion_ci(below, n, level, method)
        rows.append({**key, "value": int(v), "count": k, "faults": n, "p": p, "p_lo": lo,
                     "p_hi": hi, "ecdf": e, "ecdf_lo": elo, "ecdf_hi": ehi})
    return rows


def _as_list(cols: str | Sequence[str]) -> list[str]:
    return [cols] if isinstance(cols, str) else list(cols)


def _tuple(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)
