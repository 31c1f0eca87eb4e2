"""A task's side tables, written before its part: sample rows
(``samples/dp#####-r#####.parquet``), time series (``series/…``) and trace spans
(``traces/…``), each tagged with the task's design point and replication.

:data:`SIDES` declares them: each :class:`Side` names its folder, the file its
parts are compacted into and how a task's table is built. The store, its
compaction and ``kernsim verify`` read only that registry, so a new side table
is one entry there (the compaction itself: :mod:`kernsim.experiment.compaction`).

The spans come from :class:`kernsim.system.trace.Tracer` as columns
(:data:`kernsim.system.trace.COLUMNS`); the table tags them with the task's
design point and replication, with fixed types (a task with no span in its
window writes an empty table of the same schema).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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


#: what a task hands a side table: sample rows by table name, or columns (series, trace)
Output = dict[str, list] | dict[str, np.ndarray]


@dataclass(frozen=True)
class Side:
    """One side table: a per-task file in its own folder, compacted into one file."""

    folder: str
    """The folder of the per-task files, in the results folder (``samples``)."""
    compacted: str
    """The file of the results folder they are compacted into (``samples.parquet``)."""
    key: str
    """The key of a task's output row that carries the table's data (``_samples``)."""
    build: Callable[[dict, Output | None], pa.Table | None]
    """The task's table from its row and that data (None: the task writes no file)."""


def _samples(row: dict, samples: Output | None) -> pa.Table | None:
    return sample_table(row, samples) if samples else None


def _series(row: dict, series: Output | None) -> pa.Table | None:
    return series_table(row, series) if series and len(series["t"]) else None


def _trace(row: dict, trace: Output | None) -> pa.Table | None:
    return None if trace is None else trace_table(row, trace)  # even empty: traced, no span


#: every side table, in the order a task writes its files (all before its part)
SIDES = (Side("samples", "samples.parquet", "_samples", _samples),
         Side("series", "series.parquet", "_series", _series),
         Side("traces", "trace.parquet", "_trace", _trace))


def take_outputs(row: dict) -> dict[str, Output]:
    """The side tables' data of a finished task, taken out of its ``row`` (by
    :attr:`Side.key`): what is left is the row of its part."""
    return {side.key: row.pop(side.key) for side in SIDES if side.key in row}

