"""``kernsim.cli``: usage errors, help, shipped studies by name, list, init, JSON output, and
bad experiment files and options through the real ``kernsim`` command.

Every bad input must end with exit status 2, no traceback, and one line of output
that names the offending key (and, where it applies, the value given and what
is allowed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from experiment_files import experiment_text

from kernsim.engine.dists import DISTRIBUTIONS

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
    assert "(Student t, 95% unless --level)" in kernsim("summary", "--help").stdout
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
    assert proc.stderr.splitlines()[-1].startswith("ok: tiny: 1 design point(s)")


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


def test_list_names_the_quickstart_study(kernsim):
    proc = kernsim("list")
    assert proc.returncode == 0
    assert any(line.startswith("quickstart  quickstart:")
               for line in proc.stdout.splitlines())


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


# --------------------------------------------------------------------------- bad input

#: tests/fixtures/tiny.toml, valid; each case breaks one thing in it
TINY = experiment_text("tiny")


def tiny(drop=(), **tables) -> str:
    """tiny.toml with ``tables`` merged over it (a KeyError if a key in ``drop`` is not there)."""
    return experiment_text("tiny", drop, **tables)


def service(spec: dict) -> str:
    return tiny(components={"cpu": {"service": spec}})


@dataclass
class Case:
    id: str
    args: tuple[str, ...]
    files: dict[str, str]
    #: fragments that must all appear on one line of stderr
    line: tuple[str, ...]
    #: fragments that must appear somewhere in stderr
    also: tuple[str, ...] = field(default=())


V = ("validate", "x.toml")
RUN = ("run", "x.toml", "--out", "out", "--executor", "serial", "-q")
ALLOWED_DISTS = "allowed: " + ", ".join(DISTRIBUTIONS)

CASES = [
    Case("unknown-top-level-key", V, {"x.toml": tiny(bogus=1)},
         ("bogus: unknown key", "allowed here: experiment, workload, components")),
    Case("unknown-key-in-experiment", V, {"x.toml": tiny(experiment={"foo": 3})},
         ("experiment.foo: unknown key", "allowed here: name, description, seed, replications")),
    Case("unknown-key-in-component", V, {"x.toml": tiny(components={"cpu": {"speed": 3}})},
         ("components.cpu.speed: unknown key", "allowed here: servers, discipline, service")),
    Case("negative-replications", V,
         {"x.toml": tiny(experiment={"replications": -1})},
         ("experiment.replications = -1", "greater than or equal to 1")),
    Case("zero-duration", V, {"x.toml": tiny(experiment={"duration": 0})},
         ("experiment.duration = 0", "greater than 0")),
    Case("negative-duration", V, {"x.toml": tiny(experiment={"duration": "-5ms"})},
         ("experiment.duration = '-5ms'", "must be >= 0")),
    Case("exponential-negative-mean", V,
         {"x.toml": service({"dist": "exponential", "mean": -1})},
         ("components.cpu.service.mean", "-1", "must be >= 0")),
    Case("lognormal-negative-cv", V,
         {"x.toml": service({"dist": "lognormal", "mean": 5, "cv": -0.5})},
         ("components.cpu.service.cv", "-0.5", "must be > 0")),
    Case("unknown-distribution", V, {"x.toml": service({"dist": "pareto", "mean": 5})},
         ("components.cpu.service.dist", "'pareto'", ALLOWED_DISTS)),
    Case("distribution-missing-required-key", V,
         {"x.toml": service({"dist": "uniform", "low": 1})},
         ("components.cpu.service.high", "missing", "required: low, high")),
    Case("unknown-unit", V, {"x.toml": tiny(experiment={"duration": "3 weeks"})},
         ("experiment.duration", "3 weeks", "unknown unit 'weeks'",
          "allowed: ns, us, µs, ms, s, min, h")),
    Case("string-where-integer-expected", V,
         {"x.toml": tiny(components={"cpu": {"servers": "two"}})},
         ("components.cpu.servers = 'two'", "valid integer")),
    Case("empty-sweep-list", V, {"x.toml": tiny(sweep={"components.cpu.servers": []})},
         ("sweep.components.cpu.servers = []", "empty list")),
    Case("sweep-over-unknown-key", V,
         {"x.toml": tiny(sweep={"components.cpu.speed": [1, 2]})},
         ("components.cpu.speed: unknown key", "allowed here: servers, discipline, service"),
         also=("sweep point components.cpu.speed=1",)),
    Case("sampled-sweep-range-reversed", V,
         {"x.toml": tiny(sweep={"method": "lhs", "n": 2,
                                "ranges": {"components.cpu.servers": [3, 1]}})},
         ("sweep.ranges.components.cpu.servers = [3, 1]", "[low, high]", "low ≤ high")),
    Case("path-names-unknown-component", V,
         {"x.toml": tiny(workload={"classes": {"a": {"path": ["cpu", "disk"]}}})},
         ("workload.classes.a.path[1]", "unknown component 'disk'", "known: cpu")),
    Case("closed-workload-without-clients", V,
         {"x.toml": tiny(drop=["workload.interarrival"], workload={"kind": "closed"})},
         ("workload", "closed workload needs 'clients'")),
    Case("not-toml", V, {"x.toml": "[experiment\nname = 1\n"},
         ("x.toml", "not valid TOML", "line 1")),
    Case("missing-file", ("validate", "nope.toml"), {},
         ("nope.toml", "no such experiment file")),
    Case("extends-missing-file", V, {"x.toml": 'extends = "base.toml"\n'},
         ("x.toml", "extends = 'base.toml'", "no such file")),
    Case("extends-cycle", V,
         {"x.toml": 'extends = "y.toml"\n', "y.toml": 'extends = "x.toml"\n'},
         ("'extends' forms a cycle", "x.toml -> ", "y.toml -> ")),
    Case("set-without-equals", V + ("--set", "experiment.replications"), {"x.toml": TINY},
         ("--set 'experiment.replications'", "expected key=value")),
    Case("set-unknown-key", V + ("--set", "experiment.foo=3"), {"x.toml": TINY},
         ("experiment.foo: unknown key", "allowed here: name, description")),
    Case("set-wrong-type", RUN + ("--set", "experiment.replications=two"), {"x.toml": TINY},
         ("experiment.replications = 'two'", "valid integer")),
    Case("empirical-missing-file", V,
         {"x.toml": service({"dist": "empirical", "file": "nothere.csv"})},
         ("components.cpu.service.file", "nothere.csv", "not found")),
    Case("bad-executor", RUN + ("--executor", "threads"), {"x.toml": TINY},
         ("--executor 'threads'", "allowed: serial, processes")),
    Case("zero-workers", ("run", "x.toml", "--out", "out", "--workers", "0"), {"x.toml": TINY},
         ("--workers 0", "≥ 1")),
    Case("summary-of-folder-without-results", ("summary", "empty"), {"empty/notes.txt": "x"},
         ("empty", "no results")),
    # issue 14: coercions, bare errors, references
    Case("replications-true", V + ("--set", "experiment.replications=true"), {"x.toml": TINY},
         ("experiment.replications = True", "valid integer")),
    Case("crn-as-text", V + ("--set", 'experiment.common_random_numbers="yes"'),
         {"x.toml": TINY}, ("experiment.common_random_numbers = 'yes'", "valid boolean")),
    Case("experiment-not-a-table", V, {"x.toml": "experiment = 5\n"},
         ("experiment = 5", "must be a table")),
    Case("set-into-unknown-component", V + ("--set", "components.cpy.servers=3"),
         {"x.toml": TINY}, ("components.cpy.servers", "no component 'cpy'",
                            "did you mean 'cpu'")),
    Case("out-is-a-file", ("run", "x.toml", "--out", "x.toml", "-q"), {"x.toml": TINY},
         ("--out x.toml", "not a folder")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_with_one_line_naming_the_key(case, kernsim, write, tmp_path):
    for name, text in case.files.items():
        write(name, text)
    proc = kernsim(*case.args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if all(f in ln for f in case.line)]
    assert lines, f"no stderr line holds all of {case.line!r}:\n{proc.stderr}"
    for fragment in case.also:
        assert fragment in proc.stderr
    if "--out" in case.args:
        assert not (tmp_path / "out").exists(), "a refused run must not create its folder"
