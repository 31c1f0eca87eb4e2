"""Published figures: ``data/published/<study>.csv``, one row per figure.

Columns: ``quantity``, ``system``, ``x`` (where on a curve, e.g. cores; empty
when it is not a curve point), ``value`` (empty when data/published holds no
value), ``unit``, ``tag`` (P/S/F/D/U), ``role`` (calibration, prediction or
context), the citation (``authors``, ``title``, ``venue``, ``year``), ``where``
in the paper, and a ``note``. Citations in full: ``data/published/README.md``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from kernsim.experiment.catalog import data_dir

COLUMNS = ("quantity", "system", "x", "value", "unit", "tag", "role", "authors", "title",
           "venue", "year", "where", "note")
ROLES = ("calibration", "prediction", "context")


def csv_path(study: str) -> Path:
    """The study's shipped figures, ``data/published/<study>.csv``."""
    return data_dir() / "published" / f"{study}.csv"


def load(study: str) -> pd.DataFrame:
    """The study's figures, checked for the expected columns and roles."""
    path = csv_path(study)
    df = pd.read_csv(path, dtype={"tag": str, "note": str}, keep_default_na=True)
    if tuple(df.columns) != COLUMNS:
        raise ValueError(f"{path}: columns {list(df.columns)}; expected {list(COLUMNS)}")
    bad = sorted(set(df["role"]) - set(ROLES))
    if bad:
        raise ValueError(f"{path}: role {bad[0]!r}; allowed: {', '.join(ROLES)}")
    df.attrs["study"] = study
    return df


def figure(df: pd.DataFrame, quantity: str, system: str) -> pd.Series:
    """The one row of ``quantity`` for ``system``."""
    rows = df[(df["quantity"] == quantity) & (df["system"] == system)]
    if len(rows) != 1:
        where = df.attrs.get("study", "published figures")
        raise KeyError(f"{where}: {len(rows)} rows for quantity={quantity!r}, system={system!r}")
    return rows.iloc[0]


def tag(df: pd.DataFrame, quantity: str, system: str) -> str:
    """The figure's tag (P, S, F, D, T, B: what kind of figure it is); "" when it has none."""
    t = figure(df, quantity, system)["tag"]
    return "" if pd.isna(t) else str(t)


def value(df: pd.DataFrame, quantity: str, system: str) -> float:
    """The figure's value; NaN when data/published has none (the row says so in its note)."""
    v = figure(df, quantity, system)["value"]
    return float(v) if not pd.isna(v) else math.nan
