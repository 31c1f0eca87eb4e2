"""``kernsim.analysis.report``: summary tables as text (CSV, Markdown, a rich table), through
``kernsim summary``."""

from __future__ import annotations

from io import StringIO

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from kernsim.analysis.stats import summarize
from kernsim.experiment.store import load_results


def test_summary_command_prints_csv_markdown_and_table(sweep_run, kernsim):
    csv = kernsim("summary", "out", "--format", "csv")
    md = kernsim("summary", "out", "--format", "markdown")
    table = kernsim("summary", "out", "--format", "table")
    assert (csv.returncode, md.returncode, table.returncode) == (0, 0, 0)
    parsed = pd.read_csv(StringIO(csv.stdout), engine="python")  # float(): exact floats
    expected = summarize(load_results(sweep_run))
    assert_frame_equal(parsed, expected, check_exact=True)

    md_lines = md.stdout.strip().splitlines()
    assert md_lines[0].startswith("| design_point | components.cpu.servers | metric |")
    assert len(md_lines) == 2 + len(expected)
    assert "throughput" in table.stdout and "95% CI" in table.stdout


def test_summary_level_sets_the_interval_it_prints(sweep_run, kernsim):
    csv = kernsim("summary", "out", "--format", "csv", "--level", "0.99")
    parsed = pd.read_csv(StringIO(csv.stdout), engine="python")
    assert_frame_equal(parsed, summarize(load_results(sweep_run), level=0.99), check_exact=True)
    wide, narrow = parsed, summarize(load_results(sweep_run))
    assert (wide["half_width"] >= narrow["half_width"]).all()
    assert "99% CI" in kernsim("summary", "out", "--level", "0.99").stdout
    bad = kernsim("summary", "out", "--level", "95")
    assert bad.returncode == 2 and "--level" in bad.stderr


def test_text_cells_cannot_act_as_formulas_markup_or_terminal_escapes():
    """Swept strings reach the summary: CSV quotes a would-be formula (numbers, negative
    ones too, stay numbers), Markdown escapes HTML and pipes, the terminal table shows
    control characters as \\xNN."""
    from kernsim.analysis.report import markdown, render_summary, visible

    table = pd.DataFrame({"design_point": [0, 1], "label": ["=HYPERLINK(1)", "<script>a|b"],
                          "metric": ["x", "x"], "n": [2, 2], "mean": [-1.5, 2.0],
                          "sd": [0.1, 0.1], "ci_low": [-2.0, 1.0], "ci_high": [-1.0, 3.0],
                          "half_width": [0.5, 1.0]})
    csv = render_summary(table, "csv").splitlines()
    assert csv[1].split(",")[1] == "'=HYPERLINK(1)" and csv[1].split(",")[4] == "-1.5"
    md = markdown(table)
    assert "&lt;script&gt;a\\|b" in md and "<script>" not in md
    assert visible("a\x1b[31mred\x07") == "a\\x1b[31mred\\x07"


def test_report_out_a_folder_is_refused(sweep_run, tmp_path):
    from kernsim.analysis.html import build_report
    from kernsim.errors import KernsimError

    (tmp_path / "dir").mkdir()
    with pytest.raises(KernsimError, match="is a folder"):
        build_report(sweep_run, tmp_path / "dir")
