"""One table of samples.parquet, in the column types its model wrote.

samples.parquet holds every sample table of a run in one file. Where a task
writes several tables (a fault-injection run writes ``faults`` and
``latency_histogram``), a column of one table is null in the rows of the
other. Which code path keeps its types depends on the folder's format (the
manifest's ``format``, see :data:`kernsim.experiment.compaction.FORMAT`):

- format 2 (and up): the compaction is done in Arrow, so the file holds the
  model's types (a nullable int64 or bool column). :func:`one_table` selects
  the table's rows in Arrow, before pandas sees them: a column with no null
  there converts to int64 or bool.
- format 1 (folders written before the format was recorded): the compaction
  went through pandas and widened such a column in the file itself, integers
  to float64 and booleans to object. :func:`restore` casts the columns of the
  selected table back to the types the per-task files under ``samples/``
  kept, where no value of the table is missing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kernsim.errors import KernsimError


def one_table(table: pa.Table, sample: str, folder: Path, form: int) -> pd.DataFrame:
    """The rows of table ``sample`` of ``folder``'s samples.parquet (read as ``table``,
    written in format ``form``), without the columns only other tables fill."""
    names = table["sample"] if "sample" in table.column_names else None
    rows = table.filter(pc.equal(names, sample)) if names is not None else table.slice(0, 0)
    if not rows.num_rows:
        have = ", ".join(sorted(pc.unique(names).drop_null().to_pylist())) if names is not None else ""
        raise KernsimError(f"{folder}: no sample rows {sample!r} (tables: {have or 'none'})")
    df = rows.to_pandas().dropna(axis=1, how="all").reset_index(drop=True)
    return df if form >= 2 else restore(df, folder / "samples", sample)


def restore(df: pd.DataFrame, folder: Path, sample: str) -> pd.DataFrame:
    """``df`` (the rows of table ``sample`` of a format-1 samples.parquet) with widened
    columns cast back to the integer or boolean type the task files under ``folder``
    hold for them."""
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
