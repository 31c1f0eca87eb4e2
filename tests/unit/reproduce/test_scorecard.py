"""``kernsim.reproduce.scorecard``: only predictions are counted, calibration never, and
``--strict`` fails on predictions outside their tolerance and on nothing else. Rows are
constructed here: nothing depends on what the model happens to compute."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kernsim.reproduce import compare, scorecard
from kernsim.reproduce.study import Result, markdown

NAN = math.nan


def rows(inside: int, outside: int, calibration_off: bool = True) -> list[compare.Row]:
    """``inside`` and ``outside`` predictions (tag P), two calibration inputs (far off their
    published value when ``calibration_off``), an identity far off and two model-only rows."""
    cal_model = 500.0 if calibration_off else 100.0
    out = [compare.exact("in", str(i), "prediction", "", 101.0, 100.0, "P") for i in range(inside)]
    out += [compare.exact("out", str(i), "prediction", "", 200.0, 100.0, "P")
            for i in range(outside)]
    out += [compare.exact("cal", str(i), "calibration", "", cal_model, 100.0, "S")
            for i in range(2)]
    out += [compare.exact("id", "x", "identity", "", 1.0, 100.0, "P")]
    out += [compare.exact("mo", str(i), "model-only", "", 7.0) for i in range(2)]
    return out


def result(name: str, rs: list[compare.Row]) -> Result:
    from matplotlib.figure import Figure

    return Result(name, name.upper(), rs, pd.DataFrame(), Figure(), ["an input"])


def test_only_predictions_are_counted_and_calibration_never():
    s = scorecard.score("a", rows(3, 2))
    assert (s.inside, s.judged, s.outside) == (3, 5, 2)
    assert (s.calibration, s.identity, s.model_only) == (2, 1, 2)
    assert s.judged == sum(r.role == "prediction" for r in rows(3, 2))
    none = scorecard.score("b", [r for r in rows(0, 0)])
    assert (none.inside, none.judged) == (0, 0) and "0/0" in none.line()


def test_the_total_sums_the_studies_and_the_table_ends_with_it(tmp_path):
    scores = [scorecard.score("a", rows(3, 2)), scorecard.score("b", rows(1, 0))]
    t = scorecard.total(scores)
    assert (t.study, t.inside, t.judged, t.calibration) == (scorecard.TOTAL, 4, 6, 4)
    table = pd.read_csv(scorecard.write(scores, tmp_path / "s" / scorecard.FILE))
    assert list(table["study"]) == ["a", "b", scorecard.TOTAL]
    assert {"inside", "judged", "outside", "calibration", "identity", "model_only"} <= set(table)
    assert len(scorecard.table(scores[:1])) == 1          # one study: no total line


@pytest.mark.parametrize("inside,outside,calibration_off,strict,code", [
    (2, 1, False, True, 1),     # a prediction outside: --strict fails
    (2, 1, False, False, 0),    # ... but not without --strict
    (2, 0, True, True, 0),      # calibration inputs and an identity off: never a failure
    (0, 0, True, True, 0),      # nothing judged: nothing fails
])
def test_strict_fails_on_predictions_outside_and_nothing_else(inside, outside, calibration_off,
                                                              strict, code):
    results = [result("a", rows(inside, outside, calibration_off)), result("b", rows(1, 0))]
    assert scorecard.exit_code(results, strict) == code


def test_a_report_states_its_scorecard_line_and_each_tags_rule_once():
    r = result("a", rows(3, 2))
    text = markdown(r)
    assert f"Scorecard: {r.score().line()}." in text
    assert "3/5 predictions inside tolerance" in text
    section = text.split("## Tolerances")[1].split("##")[0]
    assert section.count("- P (5 predictions)") == 1 and "- S" not in section


@pytest.mark.parametrize("bad,code", [(True, 1), (False, 0)])
def test_the_command_prints_the_scorecard_writes_it_and_strict_follows_predictions(
        cli, monkeypatch, tmp_path, bad, code):
    from kernsim import reproduce

    def fake_run(name, quick=False, out=None, workers=None):
        return result(name, rows(2, 1 if bad and name == reproduce.STUDIES[0] else 0))

    monkeypatch.setattr(reproduce, "run", fake_run)
    done = cli("reproduce", "--all", "--quick", "--strict", "--out", tmp_path)
    assert done.exit_code == code, done.output
    assert "Scorecard" in done.stdout and "total" in done.stdout
    table = pd.read_csv(tmp_path / scorecard.FILE)
    assert list(table["study"]) == [*reproduce.STUDIES, scorecard.TOTAL]
    n = len(reproduce.STUDIES)
    assert table["judged"].iloc[-1] == 2 * n + int(bad)
    assert table["calibration"].iloc[-1] == 2 * n
    assert ("outside tolerance" in done.stderr) == bad
