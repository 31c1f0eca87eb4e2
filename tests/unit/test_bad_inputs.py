"""Generated bad-input suite: every case of ``tests/fixtures/bad_inputs.toml``.

Each case is one bad input that must be refused before any work is done:

- ``file``: an experiment file with one thing broken (``kernsim validate``/``run``);
- ``set``: ``--set key=value`` overrides on a valid file;
- ``api``: the Python API (``kernsim.experiment.api`` and the loaders it exposes)
  with a bad argument: :class:`~kernsim.errors.KernsimError` (or a subclass), whose
  message is one line naming the argument or key;
- ``cli``: the other commands and options (``validate``, ``summary``, ``list``,
  ``init``, ``bench``, ``report``, ``verify``, ``reproduce``, ``run`` options);
- ``subprocess``: a few more, through the real ``kernsim`` process (the console
  script's exit path).

A refused command exits with status 2 and writes exactly one non-empty line to
stderr naming the offending key, option or file, no traceback, and no file: each
case runs in a fresh ``tmp_path`` as working folder, and the files there after
the call must be exactly those the case put there, unchanged. In this process the
runner's task pool is replaced by one that raises at once: a bad input that gets as
far as running tasks fails its case instead of running (perhaps for ever).

A case the code does not refuse as required yet carries ``xfail`` (the reason: what
happens now) and is a strict xfail: once fixed, it fails until the mark is removed.
"""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from experiment_files import FIXTURES, ROOT, merge, to_toml

from kernsim.errors import KernsimError

TABLE = tomllib.loads((FIXTURES / "bad_inputs.toml").read_text(encoding="utf-8"))
SECTIONS = ("file", "set", "api", "cli", "subprocess")

#: ``<a*300>`` in any string of a case: "a" repeated 300 times (long names)
REPEAT = re.compile(r"<(.)\*(\d+)>")


def expand(value: Any) -> Any:
    """A case's value with every ``<c*n>`` written out."""
    if isinstance(value, str):
        return REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), value)
    if isinstance(value, list):
        return [expand(v) for v in value]
    if isinstance(value, dict):
        return {expand(k): expand(v) for k, v in value.items()}
    return value


def cases(section: str) -> list:
    out = []
    for case in TABLE[section]:
        marks = ([pytest.mark.xfail(strict=True, reason=case["xfail"])]
                 if "xfail" in case else [])
        out.append(pytest.param(expand(case), id=case["id"], marks=marks))
    return out


def signature(section: str, case: dict) -> str:
    """What makes a case's input: everything but its id, expectation and mark."""
    body = {k: v for k, v in case.items() if k not in ("id", "expect", "xfail")}
    return section + repr(sorted(body.items(), key=lambda kv: kv[0]))


# --------------------------------------------------------------------------- setup


def base_path(name: str) -> Path:
    """``tests/fixtures/NAME.toml``, else the shipped ``experiments/NAME.toml``."""
    fixture = FIXTURES / f"{name}.toml"
    return fixture if fixture.is_file() else ROOT / "experiments" / f"{name}.toml"


def dotted(key: str) -> list[str]:
    """``a.b."c.d"`` -> ['a', 'b', 'c.d'] (TOML's own reading of a dotted key)."""
    node, parts = tomllib.loads(f"{key} = 0"), []
    while isinstance(node, dict):
        (part, node), = node.items()
        parts.append(part)
    return parts


def put(data: dict, key: str, value: Any) -> None:
    *parents, last = dotted(key)
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def drop(data: dict, key: str) -> None:
    *parents, last = dotted(key)
    for part in parents:
        data = data[part]
    del data[last]  # a KeyError: the case names a key its base does not have


def experiment(case: dict, folder: Path) -> None:
    """Write the case's experiment file ``x.toml`` (and the files its base names)."""
    target = folder / "x.toml"
    if "text" in case:
        target.write_text(case["text"], encoding="utf-8")
        return
    if "hex" in case:
        target.write_bytes(bytes.fromhex(case["hex"]))
        return
    source = base_path(case.get("base", "tiny"))
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    companions(data, source.parent, folder)
    for key in case.get("drop", []):
        drop(data, key)
    if "key" in case:
        put(data, case["key"], case["value"])
    data = merge(data, case.get("merge", {}))
    target.write_text(to_toml(data), encoding="utf-8")


def companions(data: dict, source: Path, folder: Path) -> None:
    """Copy the files a base names (``extends``, a performance model) to their places
    next to the new file, and the files those name in turn."""
    perf = data.get("faults", {}).get("performability", {})
    for name in (data.get("extends"), perf.get("model") if isinstance(perf, dict) else None):
        if isinstance(name, str):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source / name, folder / name)
            inner = tomllib.loads((source / name).read_text(encoding="utf-8"))
            companions(inner, (source / name).parent, (folder / name).parent)


def materialise(files: dict[str, str], folder: Path, results: Path) -> None:
    """The files a case starts with: ``@tiny`` (a fixture or shipped study, copied),
    ``@results`` (a finished results folder), ``@dir`` (an empty folder), ``@hex:..``
    (bytes), else the text itself."""
    for name, spec in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if spec == "@dir":
            path.mkdir()
        elif spec == "@results":
            shutil.copytree(results, path)
        elif spec.startswith("@hex:"):
            path.write_bytes(bytes.fromhex(spec[5:]))
        elif spec.startswith("@"):
            shutil.copy(base_path(spec[1:]), path)
        else:
            path.write_text(spec, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder below ``folder``: path -> sha256 of a file, or '<dir>'."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        out[rel] = "<dir>" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A finished results folder of tests/fixtures/tiny.toml (2 replications, serial)."""
    from kernsim.experiment.load import load
    from kernsim.experiment.runner import run

    folder = tmp_path_factory.mktemp("bad-inputs") / "results"
    run(load(FIXTURES / "tiny.toml"), out=folder, executor="serial")
    # the lock file holds the pid of the last writer: this process's, which an in-process
    # run would write again unseen; no run has pid 0, so taking the lock shows
    (folder / ".writer.lock").write_text("0\n")
    return folder


class ReachedSimulation(BaseException):
    """A bad input got as far as running tasks (so it was not refused before work)."""


@pytest.fixture
def no_simulation(monkeypatch) -> None:
    """Make reaching the runner's task pool end the test at once (instead of running
    a bad experiment, perhaps for ever): a case that gets there fails."""
    from kernsim.experiment import runner

    def refuse(*args, **kwargs):
        raise ReachedSimulation("the runner started its tasks: the input was not refused")

    monkeypatch.setattr(runner, "Workers", refuse)


@pytest.fixture
def here(tmp_path, monkeypatch, no_simulation) -> Path:
    """``tmp_path`` as the working folder (a default ``results/NAME`` would land there),
    and no simulation in this process."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- checks


def expected(case: dict) -> list[str]:
    expect = case.get("expect", case.get("key"))
    assert expect, f"case {case['id']}: no 'expect' and no 'key'"
    return [expect] if isinstance(expect, str) else list(expect)


def assert_refused(case: dict, code: int, stdout: str, stderr: str, before: dict,
                   folder: Path) -> None:
    assert "Traceback" not in stdout + stderr, (stdout, stderr)
    assert code == 2, (code, stdout, stderr)
    line = stderr.removesuffix("\n")
    assert line.strip() and "\n" not in line, f"not one line on stderr:\n{stderr}"
    for fragment in expected(case):
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert snapshot(folder) == before, "a refused command wrote or changed files"


def cli_args(case: dict) -> list[str]:
    if "args" in case:
        return list(case["args"])
    args = [case.get("cmd", "validate"), "x.toml"]
    if case.get("cmd") == "run":
        args += ["--out", "out", "--executor", "serial", "-q"]
    for text in case.get("sets", []):
        args += ["--set", text]
    return args


def prepare(case: dict, folder: Path, results: Path) -> dict:
    if "args" not in case:  # an experiment-file case: x.toml from its base
        experiment(case, folder)
    materialise(case.get("files", {}), folder, results)
    return snapshot(folder)


# --------------------------------------------------------------------------- the tests


def test_the_table_holds_at_least_300_distinct_cases():
    ids = [c["id"] for s in SECTIONS for c in TABLE[s]]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    inputs = [signature(s, c) for s in SECTIONS for c in TABLE[s]]
    assert len(inputs) == len(set(inputs)), "two cases give the same input"
    assert len(ids) >= 300


@pytest.mark.parametrize("case", cases("file") + cases("set") + cases("cli"))
def test_bad_file_override_or_command_line_is_refused(case, cli, here, results):
    """Sections ``file`` (a broken x.toml), ``set`` (--set on a valid one) and ``cli``
    (other commands and options), each through ``kernsim`` in this process."""
    before = prepare(case, here, results)
    got = cli(*cli_args(case))
    assert_refused(case, got.exit_code, got.stdout, got.stderr, before, here)


@pytest.mark.parametrize("case", cases("subprocess"))
def test_bad_command_line_in_a_real_process(case, kernsim, tmp_path, results):
    before = prepare(case, tmp_path, results)
    proc = kernsim(*cli_args(case))
    assert_refused(case, proc.returncode, proc.stdout, proc.stderr, before, tmp_path)


# --- the Python API


def api_value(value: Any, folder: Path) -> Any:
    """An argument as the table writes it (a Python literal): ``"Path:NAME"`` is a
    Path, ``"Experiment:NAME"`` the loaded experiment file NAME."""
    if isinstance(value, str) and value.startswith("Path:"):
        return Path(value[5:])
    if isinstance(value, str) and value.startswith("Experiment:"):
        from kernsim.experiment.load import load

        return load(folder / value[11:])
    if isinstance(value, (list, tuple)):
        return type(value)(api_value(v, folder) for v in value)
    return value


def api_function(name: str):
    import kernsim
    from kernsim.experiment import api

    return getattr(api, name) if hasattr(api, name) else getattr(kernsim, name)


@pytest.mark.parametrize("case", cases("api"))
def test_bad_api_argument(case, here, results):
    materialise(case.get("files", {"x.toml": "@tiny"}), here, results)
    args = api_value(ast.literal_eval(case.get("args", "()")), here)
    kwargs = {k: api_value(v, here)
              for k, v in ast.literal_eval(case.get("kwargs", "{}")).items()}
    before = snapshot(here)
    with pytest.raises(KernsimError) as err:
        api_function(case["call"])(*args, **kwargs)
    text = str(err.value)
    assert text.strip() and "\n" not in text, f"not one line: {text!r}"
    for fragment in expected(case):
        assert fragment in text, f"{fragment!r} not in {text!r}"
    assert snapshot(here) == before, "a refused call wrote or changed files"
