"""Fault-injection outcomes per replication, as the fault studies judge them.

:func:`per_replication` turns the ``faults`` sample rows (one per injected fault) into
one row per design and replication (and per ``by`` column, e.g. whether a driver was
the origin): the faults, the share that crashed the OS, and the requests lost and
failed per fault; :func:`of` takes one column of one design out, one value per
replication. Used by ``nooks_minix`` and ``nooks03``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def per_replication(samples: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Per design, replication (and ``by``): ``faults``, ``crash`` (the share that took the
    system down), ``lost`` and ``failed`` (requests per fault)."""
    g = samples.groupby(["design", "replication", *by])
    return pd.DataFrame({"faults": g.size(), "crash": g["system_down"].mean(),
                         "lost": g["requests_lost"].mean(),
                         "failed": g["requests_failed"].mean()}).reset_index()


def of(per_rep: pd.DataFrame, name: str, column: str, driver: bool | None = None) -> np.ndarray:
    """``column`` per replication of design ``name``: of the drivers' faults only, of the
    others' (``driver``), or of all of them (weighted by faults when split by origin)."""
    part = per_rep[per_rep["design"] == name]
    if driver is not None:
        part = part[part["driver"] == driver]
    if driver is not None or "driver" not in part.columns:
        return part.sort_values("replication")[column].to_numpy(float)
    weighted = part.assign(total=part[column] * part["faults"]).groupby("replication")
    return (weighted["total"].sum() / weighted["faults"].sum()).sort_index().to_numpy(float)
