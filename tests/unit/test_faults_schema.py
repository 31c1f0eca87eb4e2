"""The ``[faults]`` schema: bad dependability configs give one line naming key, value, rule."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from kernsim.errors import ConfigError
from kernsim.experiment.load import from_dict, load

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    "experiment": {"name": "dep", "seed": 1, "replications": 2, "duration": "1000h"},
    "faults": {
        "mode": "dependability",
        "units": {
            "web": {"count": 3, "nodes": [0, 1, 2], "repair": "2h",
                    "ttf": {"dist": "exponential", "mean": "1000h"}},
            "db": {"ttf": {"dist": "exponential", "mean": "2000h"}, "repair": "1h"},
            "fs": {"repair": "10min"},
        },
        "edges": {"db->web": 0.3},
        "domains": {"kernel": ["fs", "db"]},
        "system": {"require": {"web": 2, "db": 1}},
    },
}


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
