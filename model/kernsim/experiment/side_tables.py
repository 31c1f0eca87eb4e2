"""A task's side tables, written before its part: sample rows
(``samples/dp#####-r#####.parquet``), time series (``series/…``) and trace spans
(``traces/…``), each tagged with the task's design point and replication.

The spans come from :class:`kernsim.system.trace.Tracer` as columns
(:data:`kernsim.system.trace.COLUMNS`); the table tags them with the task's
design point and replication, with fixed types (a task with no span in its
window writes an empty table of the same schema).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from kernsim.system.trace import COLUMNS

#: the Arrow type of each trace column, in the order of COLUMNS
TYPES = dict(zip(COLUMNS, (pa.int64(), pa.string(), pa.string(), pa.int64(), pa.string(),
                           pa.float64(), pa.float64()), strict=True))


def trace_table(row: dict, trace: dict[str, list]) -> pa.Table:
    """One task's spans (columns), tagged with its design point and replication."""
    n = len(trace["start"])
    key = {"design_point": pa.array([row["design_point"]] * n, pa.int64()),
           "replication": pa.array([row["replication"]] * n, pa.int64())}
    return pa.table({**key, **{c: pa.array(trace[c], t) for c, t in TYPES.items()}})


def sample_table(row: dict, samples: dict[str, list[dict]]) -> pa.Table:
    """One task's sample rows, tagged with table name, design point and replication.

    A single table given as columns (``as_columns()``, e.g. the fast engine's
    ``Rows``) is written column-wise, without a dict per row.
    """
    key = {"design_point": row["design_point"], "replication": row["replication"]}
    if len(samples) == 1:
        (table, items), = samples.items()
        if hasattr(items, "as_columns"):
            n = len(items)
            tags = {"sample": [table] * n, **{k: [v] * n for k, v in key.items()}}
            return pa.table({**tags, **items.as_columns()})
    parts = [pa.Table.from_pylist([{"sample": table, **key, **r} for r in items])
             for table, items in samples.items() if len(items)]
    if len(parts) < 2:  # from_pylist takes the columns of the first row: one table at a time
        return parts[0] if parts else pa.Table.from_pylist([])
    return pa.concat_tables(parts, promote_options="permissive")


def series_table(row: dict, series: dict[str, np.ndarray]) -> pa.Table:
    """One task's time series (columns ``t``, ``dt``, ``metric``, ``value``), tagged."""
    n = len(series["t"])
    return pa.table({"design_point": pa.array([row["design_point"]] * n, pa.int64()),
                     "replication": pa.array([row["replication"]] * n, pa.int64()),
                     **{k: series[k] for k in ("t", "dt", "metric", "value")}})
