"""``kernsim.config.faults``: the ``[faults]`` schema. Bad dependability configs, bad values of
the injection keys (locks, corruption, ttf, down) and of ``[faults.performability]`` each give
one line naming the key, the value and the rule."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from experiment_files import ROOT, experiment_dict

from kernsim.errors import ConfigError
from kernsim.experiment.load import from_dict, load

#: tests/fixtures/dependability.toml with a placed web tier, an fs unit that never fails
#: on its own, a domain and a quorum
BASE = experiment_dict("dependability", experiment={"seed": 1, "replications": 2}, faults={
    "units": {"web": {"nodes": [0, 1, 2]}, "fs": {"repair": "10min"}},
    "domains": {"kernel": ["fs", "db"]},
    "system": {"require": {"web": 2, "db": 1}},
})


def broken(*edits: tuple[str, object], drop: str | tuple[str, ...] = ()) -> dict:
    """BASE with each ("a|b|c", value) set and the keys in ``drop`` removed ('|' separates
    keys, since edge keys hold '->')."""
    raw = copy.deepcopy(BASE)
    drops = (drop,) if isinstance(drop, str) else drop
    for path, value in edits + tuple((d, None) for d in drops):
        *parents, last = path.split("|")
        node = raw
        for key in parents:
            node = node.setdefault(key, {})
        if path in drops:
            del node[last]
        else:
            node[last] = value
    return raw


CASES = [
    ("edge-unknown-unit", broken(("faults|edges|db->wbe", 0.3)),
     ("faults.edges.db->wbe = 0.3", "unknown unit 'wbe'", "known: db, fs, web")),
    ("edge-bad-key", broken(("faults|edges|db-web", 0.3)),
     ("faults.edges.db-web = 0.3", "'from->to'")),
    ("edge-probability-above-1", broken(("faults|edges|db->web", 1.5)),
     ("faults.edges.db->web = 1.5", "less than or equal to 1")),
    ("edge-probability-negative", broken(("faults|edges|db->web", -0.1)),
     ("faults.edges.db->web = -0.1", "greater than or equal to 0")),
    ("edge-probability-bool", broken(("faults|edges|db->web", True)),
     ("faults.edges.db->web = True", "not true/false")),
    ("require-unknown-unit", broken(("faults|system|require|cache", 1)),
     ("faults.system.require.cache = 1", "unknown unit 'cache'", "known: db, fs, web")),
    ("require-k-above-count", broken(("faults|system|require|web", 4)),
     ("faults.system.require.web = 4", "between 1 and the unit's count (3)")),
    ("require-k-zero", broken(("faults|system|require|web", 0)),
     ("faults.system.require.web = 0", "between 1 and the unit's count (3)")),
    ("unit-unknown-key", broken(("faults|units|db|mttf", "100h")),
     ("faults.units.db.mttf: unknown key", "allowed here: count, node, nodes, ttf, repair")),
    ("unit-missing-repair", broken(drop="faults|units|db|repair"),
     ("faults.units.db.repair: missing",)),
    ("unit-count-zero", broken(("faults|units|db|count", 0)),
     ("faults.units.db.count = 0", "greater than or equal to 1")),
    ("unit-node-and-nodes", broken(("faults|units|web|node", 1)),
     ("faults.units.web.nodes = [0, 1, 2]", "either 'node'", "not both")),
    ("unit-nodes-wrong-length", broken(("faults|units|web|nodes", [0, 1])),
     ("faults.units.web.nodes = [0, 1]", "one per instance (count = 3)")),
    ("unit-bad-kind", broken(("faults|units|db|kind", "explode")),
     ("faults.units.db.kind = 'explode'", "'crash', 'hang' or 'corruption'")),
    ("unit-bad-ttf", broken(("faults|units|db|ttf", {"dist": "exponential", "mean": "-1h"})),
     ("faults.units.db.ttf", "-1h")),
    ("unit-zero-ttf", broken(("faults|units|db|ttf", 0)),
     ("faults.units.db.ttf = 0", "mean > 0", "leave 'ttf' out")),
    ("detect-on-a-crash-unit", broken(("faults|units|db|detect", 0.5)),
     ("faults.units.db.detect = 0.5", "kind = \"corruption\"", "'crash'")),
    ("detect-above-1",
     broken(("faults|units|db|kind", "corruption"), ("faults|units|db|detect", 1.2)),
     ("faults.units.db.detect = 1.2", "less than or equal to 1")),
    ("watchdog-on-a-crash-unit", broken(("faults|units|db|watchdog", "30s")),
     ("faults.units.db.watchdog = '30s'", "kind = \"hang\"")),
    ("domain-unknown-member", broken(("faults|domains|kernel", ["fs", "nfs"])),
     ("faults.domains.kernel[1] = 'nfs'", "unknown unit 'nfs'")),
    ("domain-instance-out-of-range", broken(("faults|domains|node2", ["web[3]"])),
     ("faults.domains.node2[0] = 'web[3]'", "instance 3 does not exist", "count = 3")),
    ("domain-bad-member", broken(("faults|domains|kernel", ["fs", "web[x]"])),
     ("faults.domains.kernel[1] = 'web[x]'", "'unit[i]'")),
    ("domain-overlap", broken(("faults|domains|other", ["db"])),
     ("faults.domains.other[0] = 'db'", "already in domain 'kernel'")),
    ("domain-empty", broken(("faults|domains|kernel", [])),
     ("faults.domains.kernel = []", "at least one member")),
    ("bad-mode", broken(("faults|mode", "chaos")),
     ("faults", "'chaos'", "'dependability', 'injection'")),
    ("unknown-faults-key", broken(("faults|crews", 2)),
     ("faults.crews: unknown key", "allowed here: mode, repair_crews, units")),
    ("negative-crews", broken(("faults|repair_crews", -1)),
     ("faults.repair_crews = -1", "greater than or equal to 0")),
    ("nothing-ever-fails", broken(drop=("faults|units|web|ttf", "faults|units|db|ttf")),
     ("faults.units", "no unit has a 'ttf'")),
    ("workload-with-dependability", broken(("workload", {"interarrival": "10us"})),
     ("workload: not used when faults.mode = \"dependability\"",)),
    ("no-workload-without-dependability", broken(drop="faults"),
     ("workload: missing", "faults.mode = \"dependability\" may leave it out")),
]


@pytest.mark.parametrize("raw, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_faults_config_names_the_key(raw, fragments):
    with pytest.raises(ConfigError) as err:
        from_dict(raw)
    lines = str(err.value).splitlines()
    assert any(all(f in line for f in fragments) for line in lines), str(err.value)


def test_the_base_config_is_valid_and_resolves_defaults():
    faults = from_dict(BASE).config.faults
    assert faults.units["db"].kind == "crash" and faults.repair_crews == 0
    assert faults.members("kernel") == [("fs", 0), ("db", 0)]
    assert faults.required() == {"web": 2, "db": 1}
    assert [faults.units["web"].node_of(i) for i in range(3)] == [0, 1, 2]
    assert faults.units["db"].node_of(0) == 0


def test_require_defaults_to_every_instance_of_every_unit():
    raw = broken(drop="faults|system")
    assert from_dict(raw).config.faults.required() == {"web": 3, "db": 1, "fs": 1}


def test_the_shipped_example_validates():
    exp = load(ROOT / "experiments" / "validation" / "availability.toml")
    assert exp.config.faults.mode == "dependability" and exp.config.workload is None


# ------------------------------------------------------------------ injection, performability

INJ = {
    "experiment": {"name": "inj", "warmup": "200us", "duration": "3ms", "replications": 1},
    "system": {"architecture": "microkernel", "cores": 2},
    "workload": {"kind": "open", "interarrival": "10us",
                 "classes": {"io": {"path": ["fs", "drv"]}}},
    "components": {"fs": {"service": 1.0}, "drv": {"service": 1.0}},
    "faults": {"mode": "injection", "target": "drv"},
}

PERF = """\
[experiment]
name = "perf"
duration = "1ms"

[system]
architecture = "microkernel"

[workload]
interarrival = "10us"

[components.fs]
service = "1us"

[components.drv]
service = "1us"
"""

DEP = {
    "experiment": {"name": "dep", "duration": "10h"},
    "faults": {"mode": "dependability",
               "units": {"drv": {"ttf": {"dist": "exponential", "mean": "1h"}, "repair": "1s"}},
               "performability": {"model": "perf.toml"}},
}


def injection(drop: tuple[str, ...] = (), **faults) -> dict:
    raw = copy.deepcopy(INJ)
    raw["faults"].update(faults)
    for key in drop:
        del raw["faults"][key]
    return raw


def dependability(units: dict | None = None, **perf) -> dict:
    raw = copy.deepcopy(DEP)
    raw["faults"]["performability"].update(perf)
    if units is not None:
        raw["faults"]["units"] = units
    return raw


UNIT = {"ttf": {"dist": "exponential", "mean": "1h"}, "repair": "1s"}

INJECTION_CASES = [
    ("locks-unknown", injection(locks="lock"),
     ("faults.locks = 'lock'", "'release' or 'poison'")),
    ("detect-above-1", injection(kind="corruption", detect=1.5),
     ("faults.detect = 1.5", "less than or equal to 1")),
    ("detect-on-a-crash", injection(detect=0.5),
     ("faults.detect = 0.5", 'only kind = "corruption"', "'crash'")),
    ("latency-on-a-hang", injection(kind="hang", latency="1ms"),
     ("faults.latency = '1ms'", 'only kind = "corruption"', "'hang'")),
    ("latency-negative-mean", injection(kind="corruption",
                                        latency={"dist": "exponential", "mean": -1}),
     ("faults.latency.mean", "-1", "must be >= 0")),
    ("ttf-and-at", injection(ttf="1ms", at="2ms"),
     ("faults.at = '2ms'", "either 'at'", "or 'ttf'")),
    ("ttf-zero", injection(ttf=0), ("faults.ttf = 0", "mean > 0")),
    ("down-unknown", injection(drop=("target",), down=["nope"]),
     ("faults.down[0]", "unknown component or domain 'nope'", "known: drv, fs")),
    ("down-with-a-target", injection(down=["drv"]),
     ("faults.target = 'drv'", "'down'", "leave it out")),
]


@pytest.mark.parametrize("raw, fragments", [c[1:] for c in INJECTION_CASES],
                         ids=[c[0] for c in INJECTION_CASES])
def test_bad_injection_value_names_the_key(raw, fragments):
    assert_one_line(raw, fragments, None)


PERF_CASES = [
    ("model-missing", dependability(model="nope.toml"),
     ("faults.performability.model", "nope.toml", "no such experiment file")),
    ("unit-not-in-model", dependability(units={"disk": UNIT}),
     ("faults.units.disk = 'disk'", "component or domain of the performance model",
      "known: drv, fs")),
    ("unit-count-2", dependability(units={"drv": {**UNIT, "count": 2}}),
     ("faults.units.drv.count = 2", "must be 1")),
    ("replications-zero", dependability(replications=0),
     ("faults.performability.replications = 0", "greater than or equal to 1")),
    ("duration-unknown-unit", dependability(duration="3 weeks"),
     ("faults.performability.duration", "unknown unit 'weeks'")),
    ("unknown-key", dependability(runs=3),
     ("faults.performability.runs: unknown key", "model, replications, duration")),
]


@pytest.mark.parametrize("raw, fragments", [c[1:] for c in PERF_CASES],
                         ids=[c[0] for c in PERF_CASES])
def test_bad_performability_value_names_the_key(raw, fragments, tmp_path):
    (tmp_path / "perf.toml").write_text(PERF, encoding="utf-8")
    assert_one_line(raw, fragments, tmp_path / "x.toml")


def test_performability_model_must_be_the_os_model(tmp_path):
    queue = PERF.replace('[system]\narchitecture = "microkernel"\n', "")
    (tmp_path / "perf.toml").write_text(queue, encoding="utf-8")
    assert_one_line(dependability(units={"fs": UNIT}), (
        "faults.performability.model", "needs the OS model"), tmp_path / "x.toml")


def test_performability_model_path_is_relative_to_the_experiment_file(tmp_path):
    (tmp_path / "perf.toml").write_text(PERF, encoding="utf-8")
    spec = from_dict(dependability(), tmp_path / "x.toml").config.faults.performability
    assert Path(spec.model) == (tmp_path / "perf.toml").resolve()
    down = spec.degraded(frozenset({"drv"}))
    assert down.faults.down == ["drv"] and down.experiment.duration == 1000.0


def test_shipped_performability_files_validate():
    exp = load(ROOT / "experiments" / "performability.toml")
    assert exp.config.faults.performability.names() >= {"drv", "fs"}
    detailed = load(ROOT / "experiments" / "performability_model.toml").config
    assert detailed.faults.ttf is not None


def test_bad_performability_model_exits_2_with_one_line(kernsim, write):
    write("x.toml", "[experiment]\nname = 'dep'\nduration = '10h'\n[faults]\n"
          "mode = 'dependability'\nunits.drv = { ttf = '1h', repair = '1s' }\n"
          "performability = { model = 'nope.toml' }\n")
    proc = kernsim("validate", "x.toml")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert any("faults.performability.model" in ln and "nope.toml" in ln
               for ln in proc.stderr.splitlines()), proc.stderr


def assert_one_line(raw: dict, fragments: tuple[str, ...], path: Path | None) -> None:
    with pytest.raises(ConfigError) as err:
        from_dict(raw, path)
    lines = str(err.value).splitlines()
    assert any(all(f in line for f in fragments) for line in lines), str(err.value)
