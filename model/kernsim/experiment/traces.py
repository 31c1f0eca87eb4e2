"""A task's trace as an Arrow table: the part file ``traces/dp#####-r#####.parquet``.

The spans come from :class:`kernsim.system.trace.Tracer` as columns
(:data:`kernsim.system.trace.COLUMNS`); the table tags them with the task's
design point and replication, with fixed types (a task with no span in its
window writes an empty table of the same schema).
"""

from __future__ import annotations

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
