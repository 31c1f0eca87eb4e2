"""``kernsim.analysis.report``: summary tables as text (CSV, Markdown, a rich table), through
``kernsim summary``."""

from __future__ import annotations

from io import StringIO

import pandas as pd
from pandas.testing import assert_frame_equal

from kernsim.analysis.stats import summarize
from kernsim.experiment.store import load_results


def test_summary_command_prints_csv_markdown_and_table(sweep_run, kernsim):
    csv = kernsim("summary", "out", "--format", "csv")
    md = kernsim("summary", "out", "--format", "markdown")
    table = kernsim("summary", "out", "--format", "table")
    assert (csv.returncode, md.returncode, table.returncode) == (0, 0, 0)
    parsed = pd.read_csv(StringIO(csv.stdout), float_precision="round_trip")  # exact floats
    expected = summarize(load_results(sweep_run))
    assert_frame_equal(parsed, expected, check_exact=True)

    md_lines = md.stdout.strip().splitlines()
    assert md_lines[0].startswith("| design_point | components.cpu.servers | metric |")
    assert len(md_lines) == 2 + len(expected)
    assert "throughput" in table.stdout and "95% CI" in table.stdout
