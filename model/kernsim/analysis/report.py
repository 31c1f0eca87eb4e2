"""Render summary tables as text: a rich table, CSV or Markdown."""

from __future__ import annotations

import html
import io

import pandas as pd
from rich import box
from rich.table import Table
from rich.text import Text

#: a text cell starting with one of these is a formula to a spreadsheet
FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: control characters (ANSI escapes start with ESC) are shown, never sent to a terminal
CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7f] if chr(c) not in "\n"}


def render_summary(table: pd.DataFrame, fmt: str = "table", level: float = 0.95) -> str | Table:
    """The long summary (design point × metric) in the requested format. Text cells
    come from users (swept strings): CSV quotes a would-be formula with a leading ',
    Markdown escapes HTML and pipes, the terminal shows control characters escaped."""
    if fmt == "csv":
        buf = io.StringIO()
        table.map(_csv_cell).to_csv(buf, index=False)
        return buf.getvalue()
    shown = _shown(table, level)
    if fmt == "markdown":
        return markdown(shown)
    return rich_table(shown)


def _shown(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Drop sd/half-width, format numbers, and show the CI as one column (named by its
    level)."""
    keep = [c for c in table.columns if c not in ("sd", "half_width", "ci_low", "ci_high")]
    shown = table[keep].copy()
    shown["mean"] = shown["mean"].map(lambda v: f"{v:.6g}")
    shown[f"{level * 100:.4g}% CI"] = [f"[{lo:.6g}, {hi:.6g}]" for lo, hi in zip(table["ci_low"], table["ci_high"])]
    return shown


def rich_table(df: pd.DataFrame) -> Table:
    """A rich Table that the console lays out to its width."""
    table = Table(box=box.SIMPLE_HEAD)
    for col in df.columns:
        table.add_column(str(col), justify="right" if col != "metric" else "left")
    for row in df.itertuples(index=False):
        table.add_row(*(Text(visible(str(v))) for v in row))  # data, never markup
    return table


def markdown(df: pd.DataFrame) -> str:
    """A GitHub-style Markdown table (no extra dependency)."""
    cols = [_md_cell(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def visible(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` (no terminal escapes)."""
    return text.translate(CONTROL)


def _csv_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading ' (numbers stay)."""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return value


def _md_cell(value: object) -> str:
    text = visible(str(value))
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")
