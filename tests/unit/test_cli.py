"""The command line itself: usage errors, help, shipped studies by name, init, JSON output."""

from __future__ import annotations

import json

import pytest

USAGE = [
    (("runn", "x"), "invalid choice: 'runn'"),
    (("run",), "the following arguments are required: FILE"),
    (("summary", "out", "--format", "xml"), "invalid choice: 'xml'"),
    (("bench", "--customers", "0"), "0: must be an integer ≥ 1"),
    (("bench", "--repeat", "two"), "'two': not an integer"),
    (("run", "x.toml", "--bogus"), "unrecognized arguments: --bogus"),
    (("reproduce", "--workers"), "expected one argument"),
]


@pytest.mark.parametrize("args,text", USAGE, ids=[" ".join(a) for a, _ in USAGE])
def test_usage_error_is_one_line_and_exit_2(kernsim, args, text):
    proc = kernsim(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: kernsim"), proc.stderr
    assert text in lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_bare_kernsim_prints_the_help_and_exits_0(kernsim):
    proc = kernsim()
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: kernsim")
    for command in ("run", "validate", "summary", "list", "init", "reproduce", "verify"):
        assert f"    {command} " in proc.stdout or f"    {command}\n" in proc.stdout


def test_help_shows_brackets_and_percent_literally(kernsim):
    assert "(default: results/NAME)" in kernsim("run", "--help").stdout
    assert "Mean and 95% CI" in kernsim("summary", "--help").stdout
    assert "95% CI" in kernsim("--help").stdout


def test_a_message_with_markup_is_shown_literally(kernsim):
    proc = kernsim("validate", "[bold]nope.toml")
    assert proc.stderr.startswith("error: [bold]nope.toml: no such experiment file")


def test_validate_expand_writes_pure_json_to_stdout(kernsim, write, tiny):
    write("x.toml", tiny)
    proc = kernsim("validate", "x.toml", "--expand")
    assert proc.returncode == 0
    config = json.loads(proc.stdout)
    assert config["experiment"]["name"] == "tiny"
    assert proc.stderr.startswith("ok: tiny: 1 design point(s)")


def test_validate_all_points_gives_one_object_per_design_point(kernsim, write, tiny):
    write("x.toml", tiny + '\n[sweep]\n"components.cpu.servers" = [1, 2, 3]\n')
    proc = kernsim("validate", "x.toml", "--all-points")
    points = json.loads(proc.stdout)
    assert [p["design_point"] for p in points] == [0, 1, 2]
    assert [p["params"] for p in points] == [{"components.cpu.servers": n} for n in (1, 2, 3)]
    assert [p["config"]["components"]["cpu"]["servers"] for p in points] == [1, 2, 3]


def test_a_shipped_study_runs_by_name_from_any_folder(kernsim, tmp_path):
    proc = kernsim("run", "quickstart", "--set", "experiment.replications=2",
                   "--set", "experiment.duration=5ms", "-q", "--executor", "serial")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results" / "quickstart" / "results.parquet").is_file()


def test_an_unknown_name_is_neither_file_nor_study(kernsim):
    proc = kernsim("validate", "quickstrat")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: quickstrat: no such experiment file, and no shipped "
                                   "study of that name (`kernsim list` shows them)")


def test_list_names_every_shipped_study(kernsim):
    from kernsim.experiment.catalog import studies_dir

    names = [line.split()[0] for line in kernsim("list").stdout.splitlines()]
    expected = sorted(p.relative_to(studies_dir()).with_suffix("").as_posix()
                      for p in studies_dir().rglob("*.toml"))
    assert names == expected
    assert "quickstart" in names and "reproduce/haertig97" in names


def test_init_copies_a_study_and_what_it_extends_then_it_validates(kernsim, tmp_path):
    proc = kernsim("init", "mine", "reproduce/haertig97")
    assert proc.returncode == 0, proc.stderr
    study = tmp_path / "mine" / "haertig97.toml"
    assert 'extends = "workloads/aim.toml"' in study.read_text()
    assert (tmp_path / "mine" / "workloads" / "aim.toml").is_file()
    assert kernsim("validate", str(study)).returncode == 0
    again = kernsim("init", "mine", "reproduce/haertig97")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_init_copies_the_model_a_study_names(kernsim, tmp_path):
    assert kernsim("init", "perf", "performability").returncode == 0
    assert (tmp_path / "perf" / "performability_model.toml").is_file()
    assert kernsim("validate", "perf/performability.toml").returncode == 0


def test_init_of_an_unknown_study_writes_nothing(kernsim, tmp_path):
    proc = kernsim("init", "mine", "nope")
    assert proc.returncode == 2 and "study 'nope'" in proc.stderr
    assert not (tmp_path / "mine").exists()
