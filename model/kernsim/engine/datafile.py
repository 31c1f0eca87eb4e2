"""A column of numbers from a CSV data file (an empirical distribution's, a fit's).

:func:`read_column` refuses, with one line naming the file, what is not a regular
file, a file past :data:`MAX_DATA_BYTES`, an unknown column and text in a number
column; it raises :class:`DataFileError`.
"""

from __future__ import annotations

import csv
import pathlib
import stat
from typing import Any


class DataFileError(ValueError):
    """A data file that cannot give the numbers asked for."""


def read_column(path: pathlib.Path, column: str | None = None) -> list[float]:
    """The values of ``column`` (default: the first all-numeric column) of a CSV file."""
    rows = _read_csv(path)
    return _column(rows, column if column is not None else _first_numeric(rows, path), path)


#: a data file (empirical or fit) larger than this is refused before it is read
MAX_DATA_BYTES = 256 * 2**20


def _read_csv(path: pathlib.Path) -> list[dict[str, str]]:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DataFileError(f"file: {str(path)!r} not found") from None
    except OSError as err:
        raise DataFileError(f"file: cannot read {str(path)!r}: {err.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise DataFileError(f"file: {str(path)!r} is not a regular file (a folder, FIFO or "
                        "device); give a CSV file")
    if info.st_size > MAX_DATA_BYTES:
        raise DataFileError(f"file: {str(path)!r} has {info.st_size:,} bytes; at most "
                        f"{MAX_DATA_BYTES:,}")
    try:
        with path.open(newline="") as fh:
            return [row for row in csv.DictReader(fh) if any(v.strip() for v in row.values() if v)]
    except FileNotFoundError:
        raise DataFileError(f"file: {str(path)!r} not found") from None
    except OSError as err:
        raise DataFileError(f"file: cannot read {str(path)!r}: {err.strerror}") from None


def _first_numeric(rows: list[dict[str, str]], path: Any) -> str:
    for name in rows[0] if rows else ():
        if all(_is_number(row[name]) for row in rows):
            return name
    raise DataFileError(f"file: {str(path)!r} has no numeric column")


def _column(rows: list[dict[str, str]], column: str, path: Any) -> list[float]:
    if not rows or column not in rows[0]:
        raise DataFileError(f"column: got {column!r}; not a column of {str(path)!r}")
    try:
        return [float(row[column]) for row in rows]
    except (TypeError, ValueError):
        raise DataFileError(f"column: {column!r} of {str(path)!r} is not all numeric") from None


def _is_number(text: str | None) -> bool:
    try:
        float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True
