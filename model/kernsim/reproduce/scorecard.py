"""The scorecard: per study and in total, predictions inside tolerance out of those judged.

Only ``prediction`` rows are judged and counted. Calibration inputs are
counted apart (how many published figures the model was fitted to), and the
``identity`` and ``model-only`` rows are counted to be shown, never scored.
``--strict`` fails on predictions outside their tolerance, and on nothing else.
Post-hoc predictions (moved by a model change made after they had been seen,
``compare.Row.post_hoc``) are counted in ``judged`` and ``inside`` and again
apart, so the blind predictions' share can be read beside the total.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd

from kernsim.reproduce.compare import Row, outside

TOTAL = "total"
FILE = "scorecard.csv"


@dataclass(frozen=True)
class Score:
    """One study's (or the total's) counts."""

    study: str
    inside: int            # predictions inside their tolerance
    judged: int            # predictions (each has a published value and a tolerance)
    calibration: int       # published figures taken as inputs
    identity: int          # true by construction: shown, not scored
    model_only: int        # no published value: shown, not scored
    post_hoc_inside: int = 0   # of ``inside``: post-hoc predictions
    post_hoc_judged: int = 0   # of ``judged``: post-hoc predictions

    @property
    def outside(self) -> int:
        return self.judged - self.inside

    @property
    def blind_inside(self) -> int:
        return self.inside - self.post_hoc_inside

    @property
    def blind_judged(self) -> int:
        return self.judged - self.post_hoc_judged

    def line(self) -> str:
        share = f" ({self.inside / self.judged:.0%})" if self.judged else ""
        split = ""
        if self.post_hoc_judged:
            blind = (f" ({self.blind_inside / self.blind_judged:.0%})"
                     if self.blind_judged else "")
            split = (f" — blind {self.blind_inside}/{self.blind_judged}{blind}, post hoc "
                     f"{self.post_hoc_inside}/{self.post_hoc_judged}")
        return (f"{self.inside}/{self.judged} predictions inside tolerance{share}{split}; "
                f"{self.calibration} calibration inputs; {self.identity} identity and "
                f"{self.model_only} model-only rows (shown, not scored)")


def score(study: str, rows: list[Row]) -> Score:
    roles = [r.role for r in rows]
    judged = [r for r in rows if r.role == "prediction"]
    late = [r for r in judged if r.post_hoc]
    return Score(study, sum(r.within == "yes" for r in judged), len(judged),
                 roles.count("calibration"), roles.count("identity"), roles.count("model-only"),
                 sum(r.within == "yes" for r in late), len(late))


def total(scores: list[Score]) -> Score:
    counts = {f.name: sum(getattr(s, f.name) for s in scores) for f in fields(Score)
              if f.name != "study"}
    return Score(TOTAL, **counts)


def table(scores: list[Score]) -> pd.DataFrame:
    """One line per study, then the total when there is more than one study."""
    lines = list(scores) + ([total(scores)] if len(scores) > 1 else [])
    return pd.DataFrame([{**asdict(s), "outside": s.outside, "blind_inside": s.blind_inside,
                          "blind_judged": s.blind_judged} for s in lines])


def write(scores: list[Score], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table(scores).to_csv(path, index=False)
    return path


def exit_code(results, strict: bool) -> int:
    """1 under ``strict`` when any study has a prediction outside its tolerance, else 0."""
    return int(strict and any(outside(r.rows) for r in results))


def rich_table(scores: list[Score]):
    from rich.table import Table

    table_ = Table(title="Scorecard: only predictions are judged and counted", title_justify="left")
    for col in ("study", "inside / judged", "blind", "post hoc", "calibration inputs",
                "identity", "model-only"):
        table_.add_column(col)
    lines = list(scores) + ([total(scores)] if len(scores) > 1 else [])
    for s in lines:
        style = "bold" if s.study == TOTAL else ""
        table_.add_row(s.study, f"{s.inside}/{s.judged}", f"{s.blind_inside}/{s.blind_judged}",
                       f"{s.post_hoc_inside}/{s.post_hoc_judged}", str(s.calibration),
                       str(s.identity), str(s.model_only), style=style)
    return table_


def finish(results, folder: Path | None, console, err, strict: bool) -> int:
    """After the studies: the scorecard printed (and written to ``folder``, if given), the
    predictions outside their tolerance listed on ``err``, and the exit status."""
    from rich.markup import escape

    scores = [score(r.name, r.rows) for r in results]
    console.print(rich_table(scores))
    if folder is not None:
        where = write(scores, folder / FILE)
        console.print(f"scorecard: {escape(str(where))}", highlight=False, soft_wrap=True)
    missed = [(r.name, row) for r in results for row in outside(r.rows)]
    for name, row in missed:
        err.print(f"[yellow]outside tolerance[/] ({escape(name)}): {escape(row.quantity)} "
                  f"({escape(row.system)}): published {row.published:.4g}, model {row.mean:.4g}, "
                  f"tolerance {escape(row.tolerance_text)}", highlight=False)
    code = exit_code(results, strict)
    if code:
        err.print(f"--strict: {len(missed)} prediction(s) outside their tolerance")
    return code
