"""A study's outcome and how it is written: report.md, comparison.csv, scorecard.csv,
curves.csv, figure.png."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kernsim.reproduce import scorecard
from kernsim.reproduce.compare import Row, outside

SCOPE_START = re.compile(r"^#\s*SCOPE\b")


@dataclass
class Result:
    """What a study hands back: rows to print, curves to keep, one figure, and its story."""

    name: str
    title: str
    rows: list[Row]
    curves: pd.DataFrame
    figure: object
    calibration: list[str]
    overrides: dict[str, list[str]] = field(default_factory=dict)
    scope: str = ""
    discussion: list[str] = field(default_factory=list)
    seconds: float = math.nan
    tolerance_changes: list[str] = field(default_factory=list)

    def score(self) -> scorecard.Score:
        return scorecard.score(self.name, self.rows)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([r.as_dict() for r in self.rows])


def scope_text(path: Path) -> str:
    """The ``# SCOPE`` comment block at the top of a study file (without the ``#``)."""
    lines, inside = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if SCOPE_START.match(line):
            inside = True
        if inside and not line.startswith("#"):
            break
        if inside:
            lines.append(line[1:].removeprefix(" "))
    return "\n".join(lines).strip()


def fmt(value: float, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if 1e4 <= abs(value) < 1e9:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def ci(row: Row) -> str:
    if math.isnan(row.lo) or row.lo == row.hi:
        return fmt(row.mean)
    return f"{fmt(row.mean)} [{fmt(row.lo)}, {fmt(row.hi)}]"


def markdown_table(rows: list[Row]) -> str:
    head = ("| quantity | system | role | published | model (95% CI) | ratio | tolerance "
            "| within |\n|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r.quantity} | {r.system} | {r.role} | {fmt(r.published)} {r.unit} "
                     f"({r.tag or '–'}) | {ci(r)} | {fmt(r.ratio, 3)} | {r.tolerance_text} "
                     f"| {within(r)} |")
    return "\n".join(lines)


def within(row: Row) -> str:
    """The row's verdict, marked when the prediction is post hoc."""
    return f"{row.within} (post hoc)" if row.post_hoc else row.within


def post_hoc_lines(rows: list[Row]) -> list[str]:
    """Each model change made after its predictions had been seen: how many it moved, and
    how many of those lie inside."""
    moved: dict[str, list[Row]] = {}
    for r in rows:
        for change in filter(None, r.post_hoc.split("; ")):
            moved.setdefault(change, []).append(r)
    return [f"- {change}: {len(rs)} prediction{'s' if len(rs) > 1 else ''}, "
            f"{sum(r.within == 'yes' for r in rs)} inside" for change, rs in moved.items()]


def tolerance_lines(rows: list[Row]) -> list[str]:
    """Each tag the predictions carry, once, with its rule and reason."""
    used = {}
    for r in rows:
        if r.tolerance is not None:
            used.setdefault(r.tag, []).append(r)
    return [f"- {tag} ({len(r)} prediction{'s' if len(r) > 1 else ''}): "
            f"{r[0].tolerance.rule()} — {r[0].tolerance.reason}" for tag, r in used.items()]


ROLES_NOTE = ("Roles: *calibration* (an input, shown reproduced), *prediction* (judged against "
              "its tag's tolerance and counted), *identity* (true by construction: not judged), "
              "*model-only* (no published value).")


POST_HOC_NOTE = ("A prediction is post hoc when a model change made after its value had been "
                 "seen moves it: judged and counted like the others, and counted apart in the "
                 "scorecard (blind / post hoc).")


TOLERANCES_NOTE = ("One rule per tag (`model/kernsim/reproduce/tolerances.py`), applied to "
                   "predictions only:")


def markdown(result: Result) -> str:
    parts = [f"# Reproduction: {result.title}", "",
             f"Study `{result.name}`; wall time {result.seconds:.1f} s.", "",
             f"Scorecard: {result.score().line()}.", "", "## Scope", "",
             "```", result.scope, "```", "", "## Calibration", ""]
    parts += [f"- {line}" for line in result.calibration]
    parts += ["", "## Published vs model", "", ROLES_NOTE, "", markdown_table(result.rows), "",
              "## Tolerances", "", TOLERANCES_NOTE, ""]
    parts += tolerance_lines(result.rows) or ["- no predictions"]
    parts += ["", "## Tolerance changes", ""]
    parts += [f"- {line}" for line in result.tolerance_changes] or ["- none"]
    parts += ["", "## Post-hoc predictions", "", POST_HOC_NOTE, ""]
    parts += post_hoc_lines(result.rows) or ["- none"]
    parts += ["", "## Predictions outside tolerance", ""]
    bad = outside(result.rows)
    parts += [f"- {r.quantity} ({r.system}): published {fmt(r.published)}, model {ci(r)}"
              f"{' — ' + r.note if r.note else ''}" for r in bad] or ["- none"]
    parts += ["", "## Discussion", ""] + [f"- {line}" for line in result.discussion]
    parts += ["", "## Runs", ""]
    for sub, sets in result.overrides.items():
        parts += [f"`{sub}/`: `kernsim run experiments/reproduce/{sub}.toml` with", "", "```"]
        parts += [f"--set '{s}'" for s in sets] + ["```", ""]
    return "\n".join(parts) + "\n"


def write(result: Result, out: Path) -> dict[str, Path]:
    """Write the report, the comparison and curve tables, and the figure into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"report": out / "report.md", "comparison": out / "comparison.csv",
             "scorecard": out / scorecard.FILE, "curves": out / "curves.csv",
             "figure": out / "figure.png"}
    paths["report"].write_text(markdown(result), encoding="utf-8")
    result.table().to_csv(paths["comparison"], index=False)
    scorecard.write([result.score()], paths["scorecard"])
    result.curves.to_csv(paths["curves"], index=False)
    result.figure.savefig(paths["figure"], bbox_inches="tight", dpi=120)
    return paths


def rich_table(result: Result):
    """The side-by-side table for the terminal."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{result.title} ({result.name}, {result.seconds:.1f} s)",
                  title_justify="left", caption=f"{result.name}: {result.score().line()}",
                  caption_justify="left")
    for col in ("quantity", "system", "role", "published", "model (95% CI)", "ratio",
                "tolerance", "within"):
        table.add_column(col, overflow="fold")
    style = {"yes": "green", "no": "red"}
    for r in result.rows:
        cells = (r.quantity, r.system, r.role, f"{fmt(r.published)} {r.unit} ({r.tag or '–'})",
                 ci(r), fmt(r.ratio, 3), r.tolerance_text)
        table.add_row(*(Text(c) for c in cells), Text(within(r), style=style.get(r.within, "")))
    return table
