"""How much locks cost, as shares: of response time and of core time.

Both come from metrics every OS-model replication already has:

- ``lock_wait_share`` = ``lock_wait_mean`` / ``response_mean``: the share of
  the requests' response time spent waiting for locks. Both means are over the
  same requests (those completed in the measured window), so it is the ratio
  of their summed lock waits to their summed response times, exactly.
- ``lock_core_share`` = ``cpu.spin`` + ``cpu.sleep``: the share of core time
  lost to lock waits, spinning on a lock or left idle while threads sleep on
  one.

Each is computed per replication; CIs are over replications as for any metric.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHARES = ("lock_wait_share", "lock_core_share")
"""The derived columns, in the order the report shows them."""


def with_lock_shares(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the :data:`SHARES` it has the metrics for (none without locks)."""
    out = {}
    if {"lock_wait_mean", "response_mean"} <= set(df.columns):
        rt = df["response_mean"].where(df["response_mean"] > 0)
        out["lock_wait_share"] = df["lock_wait_mean"] / rt
    if "cpu.spin" in df.columns:
        out["lock_core_share"] = df["cpu.spin"].fillna(0.0) + (
            df["cpu.sleep"].fillna(0.0) if "cpu.sleep" in df.columns else 0.0)
    shares = df.assign(**out)
    shares.attrs = dict(df.attrs)
    return shares


def has_lock_waits(df: pd.DataFrame) -> bool:
    """Whether any replication waited on a lock (a share above zero)."""
    cols = [c for c in SHARES if c in df.columns]
    return bool(cols) and bool(np.nan_to_num(df[cols].to_numpy(dtype=float)).max() > 0)
