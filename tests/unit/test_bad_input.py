"""Bad experiment files and options, through the real ``kernsim`` command.

Every case must end with exit status 2, no traceback, and one line of output
that names the offending key (and, where it applies, the value given and what
is allowed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from kernsim.engine.dists import DISTRIBUTIONS

#: a valid one-station open queue (ρ = 0.5); each case breaks one thing in it
TINY = """\
[experiment]
name = "tiny"
seed = 7
replications = 2
duration = "2000us"

[workload]
interarrival = { dist = "exponential", mean = "10us" }

[components.cpu]
service = { dist = "exponential", mean = "5us" }
"""


def tiny(old: str, new: str) -> str:
    """TINY with one exact piece replaced (fails loudly if the piece is not there)."""
    assert old in TINY, old
    return TINY.replace(old, new)


EXP_SERVICE = 'service = { dist = "exponential", mean = "5us" }'


def service(spec: str) -> str:
    return tiny(EXP_SERVICE, f"service = {spec}")


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
    Case("unknown-top-level-key", V, {"x.toml": "bogus = 1\n" + TINY},
         ("bogus: unknown key", "allowed here: experiment, workload, components")),
    Case("unknown-key-in-experiment", V, {"x.toml": tiny("seed = 7", "seed = 7\nfoo = 3")},
         ("experiment.foo: unknown key", "allowed here: name, description, seed, replications")),
    Case("unknown-key-in-component", V, {"x.toml": TINY + "speed = 3\n"},
         ("components.cpu.speed: unknown key", "allowed here: servers, discipline, service")),
    Case("negative-replications", V,
         {"x.toml": tiny("replications = 2", "replications = -1")},
         ("experiment.replications = -1", "greater than or equal to 1")),
    Case("zero-duration", V, {"x.toml": tiny('duration = "2000us"', "duration = 0")},
         ("experiment.duration = 0", "greater than 0")),
    Case("negative-duration", V, {"x.toml": tiny('duration = "2000us"', 'duration = "-5ms"')},
         ("experiment.duration = '-5ms'", "must be >= 0")),
    Case("exponential-negative-mean", V,
         {"x.toml": service('{ dist = "exponential", mean = -1 }')},
         ("components.cpu.service.mean", "-1", "must be >= 0")),
    Case("lognormal-negative-cv", V,
         {"x.toml": service('{ dist = "lognormal", mean = 5, cv = -0.5 }')},
         ("components.cpu.service.cv", "-0.5", "must be > 0")),
    Case("unknown-distribution", V, {"x.toml": service('{ dist = "pareto", mean = 5 }')},
         ("components.cpu.service.dist", "'pareto'", ALLOWED_DISTS)),
    Case("distribution-missing-required-key", V,
         {"x.toml": service('{ dist = "uniform", low = 1 }')},
         ("components.cpu.service.high", "missing", "required: low, high")),
    Case("unknown-unit", V, {"x.toml": tiny('duration = "2000us"', 'duration = "3 weeks"')},
         ("experiment.duration", "3 weeks", "unknown unit 'weeks'",
          "allowed: ns, us, µs, ms, s, min, h")),
    Case("string-where-integer-expected", V, {"x.toml": TINY + 'servers = "two"\n'},
         ("components.cpu.servers = 'two'", "valid integer")),
    Case("empty-sweep-list", V, {"x.toml": TINY + '[sweep]\n"components.cpu.servers" = []\n'},
         ("sweep.components.cpu.servers = []", "empty list")),
    Case("sweep-over-unknown-key", V,
         {"x.toml": TINY + '[sweep]\n"components.cpu.speed" = [1, 2]\n'},
         ("components.cpu.speed: unknown key", "allowed here: servers, discipline, service"),
         also=("sweep point components.cpu.speed=1",)),
    Case("sampled-sweep-range-reversed", V,
         {"x.toml": TINY + '[sweep]\nmethod = "lhs"\nn = 2\n'
                           '[sweep.ranges]\n"components.cpu.servers" = [3, 1]\n'},
         ("sweep.ranges.components.cpu.servers = [3, 1]", "[low, high]", "low ≤ high")),
    Case("path-names-unknown-component", V,
         {"x.toml": TINY + '[workload.classes.a]\npath = ["cpu", "disk"]\n'},
         ("workload.classes.a.path[1]", "unknown component 'disk'", "known: cpu")),
    Case("closed-workload-without-clients", V,
         {"x.toml": tiny('interarrival = { dist = "exponential", mean = "10us" }',
                         'kind = "closed"')},
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
         {"x.toml": service('{ dist = "empirical", file = "nothere.csv" }')},
         ("components.cpu.service.file", "nothere.csv", "not found")),
    Case("bad-executor", RUN + ("--executor", "threads"), {"x.toml": TINY},
         ("--executor 'threads'", "allowed: serial, processes")),
    Case("zero-workers", ("run", "x.toml", "--out", "out", "--workers", "0"), {"x.toml": TINY},
         ("--workers 0", "≥ 1")),
    Case("summary-of-folder-without-results", ("summary", "empty"), {"empty/notes.txt": "x"},
         ("empty", "no results")),
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


UNSTABLE = tiny(EXP_SERVICE, 'service = { dist = "exponential", mean = "12us" }')  # ρ = 1.2


def test_validate_warns_about_unstable_open_queue_and_exits_0(kernsim, write):
    write("x.toml", UNSTABLE)
    proc = kernsim("validate", "x.toml")
    assert proc.returncode == 0, proc.stderr
    warning = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning")]
    assert len(warning) == 1
    assert "'cpu'" in warning[0] and "ρ = 1.2" in warning[0]
    assert "--allow-unstable" in warning[0]


def test_run_refuses_unstable_open_queue_without_allow_unstable(kernsim, write, tmp_path):
    write("x.toml", UNSTABLE)
    proc = kernsim("run", "x.toml", "--out", "out", "--executor", "serial", "-q")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "'cpu'" in proc.stderr and "ρ = 1.2" in proc.stderr
    assert "--allow-unstable" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_run_with_allow_unstable_runs_unstable_open_queue(kernsim, write, tmp_path):
    write("x.toml", UNSTABLE)
    proc = kernsim("run", "x.toml", "--out", "out", "--executor", "serial", "-q",
                   "--allow-unstable")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "results.parquet").is_file()
    assert len(list((tmp_path / "out" / "parts").glob("*.parquet"))) == 2
