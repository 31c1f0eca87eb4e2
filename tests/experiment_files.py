"""Experiment files for the tests: the fixture files in ``tests/fixtures/``, some keys changed.

``experiment_text("tiny", experiment={"seed": 11}, sweep={"components.cpu.servers": [1, 2]})``
is ``tests/fixtures/tiny.toml`` with each keyword's top-level table merged over the
file's, key by key, as ``extends`` merges a child over its base: a table merges into
the table of the same name; any other value replaces what is there, and so does a
distribution table (one that names its ``dist``). ``drop`` removes keys first
(``"workload.interarrival"``). With nothing changed it is the file's own text.

The fixtures: ``tiny`` (a one-station open queue, ρ = 0.5), ``sweep`` (tiny over
1 or 2 servers, 3 replications), ``dependability`` (web ×3 and db, no workload) and
``faults_sweep`` (the dependability mode with and without propagation).

``tests/conftest.py`` turns these into fixtures (``tiny``, ``experiment_file``);
this module is for what a test module needs at import time (parametrize lists).
"""

from __future__ import annotations

import copy
import json
import math
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
#: the repository's root (its experiments/, data/, docs/, pyproject.toml)
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"

#: the runner's tests' variant of ``sweep``: 3 ms runs and a slower server (ρ = 0.6 at one)
RUNNER_SWEEP: dict[str, Any] = {
    "experiment": {"duration": "3000us"},
    "components": {"cpu": {"servers": 1,
                           "service": {"dist": "exponential", "mean": "6us"}}},
}


def fixture_text(name: str) -> str:
    """The text of ``tests/fixtures/<name>.toml``."""
    return (FIXTURES / f"{name}.toml").read_text(encoding="utf-8")


def experiment_dict(base: str = "tiny", drop: Iterable[str] = (), **tables: Any) -> dict:
    """The fixture ``base`` as a dict, keys in ``drop`` removed, ``tables`` merged over it."""
    data = tomllib.loads(fixture_text(base))
    for dotted in drop:
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]  # a KeyError names a key the fixture does not have
    return copy.deepcopy(merge(data, tables))


def experiment_text(base: str = "tiny", drop: Iterable[str] = (), **tables: Any) -> str:
    """:func:`experiment_dict` as the text of an experiment file."""
    drop = tuple(drop)
    if not drop and not tables:
        return fixture_text(base)
    return to_toml(experiment_dict(base, drop, **tables))


def merge(base: dict, over: dict) -> dict:
    """``over`` merged over ``base`` key by key (a new dict; neither is changed)."""
    out = dict(base)
    for key, value in over.items():
        if _is_table(value) and _is_table(out.get(key)):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _is_table(value: Any) -> bool:
    """A TOML table of its own: a dict that is not a distribution (those stay inline)."""
    return isinstance(value, dict) and "dist" not in value


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def to_toml(data: dict) -> str:
    """``data`` as TOML: plain keys first, then one ``[table]`` per dict (a distribution
    stays an inline table). ``tomllib.loads(to_toml(d)) == d``."""
    lines: list[str] = []

    def table(path: tuple[str, ...], node: dict) -> None:
        plain = [(k, v) for k, v in node.items() if not _is_table(v)]
        tables = [(k, v) for k, v in node.items() if _is_table(v)]
        if path and (plain or not tables):
            lines.append(f"\n[{'.'.join(_key(p) for p in path)}]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in plain)
        for key, sub in tables:
            table(path + (key,), sub)

    table((), data)
    return "\n".join(lines).lstrip("\n") + "\n"
