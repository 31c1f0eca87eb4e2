"""The compaction of a results folder's part files into its tables.

- ``results.parquet``: the parts' rows through a pandas frame
  (:func:`results_frame`, :func:`frame_bytes`), byte for byte as ever.
- a side table's compacted file (``samples.parquet``, …;
  :data:`kernsim.experiment.side_tables.SIDES`): :func:`compacted_bytes`, in
  the folder's format (the manifest's ``format``). Format 2, :data:`FORMAT`,
  concatenates the parts in Arrow (:func:`compact_table`), so the file keeps
  the types the model wrote (an int64 or bool column null in another sample
  table's rows stays a nullable int64 or bool). Format 1, that of folders
  written before the format was recorded, went through a pandas frame, which
  widened such columns (to float64, object); it is kept to verify their bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: the manifest's ``format`` for the compacted side tables this kernsim writes (Arrow,
#: the model's types); a manifest without one is of format 1 (through pandas, widened)
FORMAT = 2

#: replications in the results: one count for every design point, or a count per
#: design point index (sequential replications; points not listed have none)
Counts = int | dict[int, int]


def table_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


#: part files combined per this many, so thousands of one-row tables never coexist
CHUNK = 512


def read_parts(paths: list[Path]) -> list[pa.Table]:
    """Part files as Arrow tables, combined by chunks (ParquetFile.read: ≈2× faster
    than read_table per file)."""
    out = []
    for i in range(0, len(paths), CHUNK):
        tables = [pq.ParquetFile(p).read(use_threads=False) for p in paths[i:i + CHUNK]]
        out.extend(combine(tables))
    return out


def combine(tables: list[pa.Table]) -> list[pa.Table]:
    """One table per chunk of ``CHUNK`` tables (what read_parts gives for their files)."""
    return [pa.concat_tables(tables[i:i + CHUNK], promote_options="permissive").combine_chunks()
            for i in range(0, len(tables), CHUNK)]


def results_frame(tables: list[pa.Table], replications: Counts) -> pd.DataFrame:
    """The compaction: all rows of the current replications, by (design point, replication)."""
    df = concat(tables)
    if len(df):
        df = df[current(df, replications)]
        df = df.sort_values(["design_point", "replication"], kind="stable")
        df = df.reset_index(drop=True)
    return df


def samples_frame(tables: list[pa.Table], replications: Counts) -> pd.DataFrame:
    """The format-1 compaction of a side table (read back by pandas, widened)."""
    df = concat(tables)
    return df[current(df, replications)].reset_index(drop=True)


def compacted_bytes(tables: list[pa.Table], replications: Counts, form: int) -> bytes:
    """The compacted file of a side table's parts, in manifest format ``form``: 2 (and
    up) in Arrow, keeping the parts' types; 1 through a pandas frame, as folders
    written before the format was recorded hold it."""
    if form >= 2:
        return table_bytes(compact_table(tables, replications))
    return frame_bytes(samples_frame(tables, replications))


def current(df: pd.DataFrame, replications: Counts) -> pd.Series:
    """Which rows belong to the current replications of their design point."""
    if isinstance(replications, int):
        return df["replication"] < replications
    limit = df["design_point"].map(replications).fillna(0)
    return df["replication"] < limit


def concat(tables: list[pa.Table]) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame()
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def frame_bytes(df: pd.DataFrame) -> bytes:
    return table_bytes(pa.Table.from_pandas(df, preserve_index=False))


def compact_table(tables: list[pa.Table], replications: Counts) -> pa.Table:
    """The compaction of a side table's parts: their rows of the current replications,
    in file order, as one Arrow table with the parts' own column types (a column one
    part lacks is null there; no pandas round trip widens it)."""
    table = pa.concat_tables(tables, promote_options="permissive").combine_chunks()
    if table.num_rows:
        table = table.filter(pa.array(current_rows(table, replications)))
    return table.replace_schema_metadata(None)


def current_rows(table: pa.Table, replications: Counts) -> np.ndarray:
    """Which rows of ``table`` belong to the current replications of their design point."""
    rep = table["replication"].to_numpy()
    if isinstance(replications, int):
        return rep < replications
    points, index = np.unique(table["design_point"].to_numpy(), return_inverse=True)
    limits = np.array([replications.get(int(dp), 0) for dp in points], dtype=np.int64)
    return rep < limits[index]
