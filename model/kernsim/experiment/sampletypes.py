"""The column types of one samples table, as the model wrote them.

samples.parquet holds every sample table of a run in one frame. Where a task
writes several tables (a fault-injection run writes ``faults`` and
``latency_histogram``), a column of one table is null in the rows of the
other, and the compaction's pandas frame widens it: integers to float64,
booleans to object. The per-task files under ``samples/`` keep the Arrow
types the model produced; :func:`restore` casts the columns of one selected
table back to them, where no value of the table is missing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def restore(df: pd.DataFrame, folder: Path, sample: str) -> pd.DataFrame:
    """``df`` (the rows of table ``sample``) with widened columns cast back to the integer
    or boolean type the task files under ``folder`` hold for them."""
    widened = {c for c in df.columns
               if (df[c].dtype == float or df[c].dtype == object) and not df[c].isna().any()}
    for col, typ in _types(folder, sample, widened).items():
        if pa.types.is_integer(typ):
            df[col] = df[col].astype("int64")
        elif pa.types.is_boolean(typ):
            df[col] = df[col].astype(bool)
    return df


def _types(folder: Path, sample: str, columns: set[str]) -> dict[str, pa.DataType]:
    """The Arrow type of each of ``columns`` in the first task files that hold a value of
    it in a row of table ``sample``."""
    found: dict[str, pa.DataType] = {}
    for path in sorted(folder.glob("dp*-r*.parquet")) if columns else []:
        table = pq.read_table(path)
        if "sample" not in table.column_names:
            continue
        rows = table.filter(pc.equal(table["sample"], sample))
        for name in (columns & set(rows.column_names)) - found.keys():
            if rows[name].null_count < rows.num_rows:
                found[name] = rows.schema.field(name).type
        if columns <= found.keys():
            break
    return found
