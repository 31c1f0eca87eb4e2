"""Clusters in the dependability mode: ring edges (``fanout``) and the quorum rule (``needs``).

1. ring topology: the instance pairs a ``fanout`` edge links, listed by hand
2. blast radius on a ring (5 nodes, fanout 2, and a second unit linked into it
   with a fanout) vs exact enumeration of all 2^16 live/dead edge subsets,
   for the SimPy model and for ``cascade.py``: every (origin, radius) cell's
   Wilson interval at a Bonferroni-corrected level must hold the exact value
3. quorum, deterministic: 3 replicas, a dependent needing 2; one down -> no
   propagation, two down -> the dependent fails (and spreads)
4. quorum, stochastic: P(cascade to all nodes) and P(dependent fails) against
   probabilities computed by hand
5. bad ``fanout`` and ``needs`` values name the key, the value and the rule
Seeds are fixed.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from kernsim.dependability.cascade import blast_radius, instance_graph
from kernsim.errors import ConfigError
from kernsim.experiment.load import from_dict
from kernsim.experiment.tasks import run_task, tasks_for
from kernsim.stats.intervals import wilson

ALPHA = 0.001


def config(units: dict, *, reps: int, duration: str, seed: int = 1, **faults) -> dict:
    return {"experiment": {"name": "cluster", "seed": seed, "replications": reps,
                           "warmup": "0h", "duration": duration},
            "faults": {"mode": "dependability", "units": units, **faults}}


def run(raw: dict) -> list[dict]:
    """Every replication's row; fails if the model raised."""
    rows = [run_task(t) for t in tasks_for(from_dict(raw))]
    errors = [r["_error"] for r in rows if "_error" in r]
    assert not errors, errors[0]
    return rows


def faults(rows: list[dict]) -> list[dict]:
    return [s for r in rows for s in r["_samples"]["faults"]]


def exp(mean_h: float) -> dict:
    return {"dist": "exponential", "mean": f"{mean_h}h"}


def cells_hold(observed: dict, exact: dict, label: str) -> list[tuple[bool, str]]:
    """Per (group, value) cell: the Wilson interval of the observed share holds the exact one.

    The level is Bonferroni-corrected over the cells, so the family fails with
    probability about ``ALPHA`` when the model is right.
    """
    cells = [(g, v) for g in exact for v in exact[g]]
    level = 1 - ALPHA / len(cells)
    checks = []
    for g, v in cells:
        n = sum(observed[g].values())
        share, low, high = wilson(observed[g].get(v, 0), n, level=level)
        ok = low <= exact[g][v] <= high
        msg = (f"{label} {g} radius {v}: exact {exact[g][v]:.4f}, observed {share:.4f} "
               f"[{low:.4f}, {high:.4f}] (n={n})")
        checks.append((ok, msg))
    impossible = [(g, v) for g in observed for v in observed[g] if v not in exact[g]]
    checks.append((not impossible, f"{label}: impossible radii observed: {impossible}"))
    return checks


def assert_all(checks: list[tuple[bool, str]]) -> None:
    bad = [msg for ok, msg in checks if not ok]
    print("\n".join(msg for _, msg in checks))
    assert not bad, "\n".join(bad)


# --- 1. ring topology ---

RING = {"n": {"count": 5, "node": "each", "ttf": exp(200), "repair": exp(0.05)},
        "s": {"count": 3, "nodes": [1, 3, 5], "ttf": exp(200), "repair": exp(0.05)}}
RING_EDGES = {"n->n": {"p": 0.4, "fanout": 2}, "s->n": {"p": 0.7, "fanout": 2}}


def ring_edges() -> list[tuple[tuple[str, int], tuple[str, int], float]]:
    """The ring's instance edges, written from the rule (i+1 .. i+fanout mod count)."""
    ring = [(("n", i), ("n", (i + d) % 5), 0.4) for i in range(5) for d in (1, 2)]
    into = [(("s", i), ("n", (i + d) % 5), 0.7) for i in range(3) for d in (1, 2)]
    return ring + into


def test_fanout_links_the_next_instances_on_a_ring():
    units = {**RING, "t": {"count": 3, "repair": "1h"}}
    edges = {**RING_EDGES, "n->s": {"p": 0.1, "fanout": 2}, "s->s": {"p": 0.1, "fanout": 3},
             "s->t": {"p": 0.1, "fanout": 3}, "t->s": 0.1, "t->t": 0.1}
    spec = from_dict(config(units, reps=1, duration="1h", edges=edges)).config.faults
    assert spec.pairs("n->n") == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4),
                                  (3, 0), (4, 0), (4, 1)]
    assert spec.pairs("s->n") == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (2, 4)]
    assert spec.pairs("n->s") == [(0, 1), (0, 2), (1, 2), (1, 0), (2, 0), (2, 1), (3, 1),
                                  (3, 2), (4, 2), (4, 0)]
    # fanout = count is all-to-all, as a plain number (a unit to itself: i skipped)
    assert sorted(spec.pairs("s->s")) == spec.pairs("t->t")
    assert sorted(spec.pairs("s->t")) == spec.pairs("t->s")
    assert spec.probability("n->n") == 0.4 and spec.probability("t->s") == 0.1


# --- 2. blast radius on a ring vs exact enumeration ---

def exact_ring() -> dict:
    """P(blast radius | origin) over all 2^16 live/dead subsets of the ring's edges."""
    names = [("n", i) for i in range(5)] + [("s", i) for i in range(3)]
    idx = {name: k for k, name in enumerate(names)}
    edges = [(idx[a], idx[b], p) for a, b, p in ring_edges()]
    n_e = len(edges)
    live = ((np.arange(2**n_e)[:, None] >> np.arange(n_e)) & 1).astype(bool)
    p = np.array([e[2] for e in edges])
    weight = np.prod(np.where(live, p, 1 - p), axis=1)
    out = {}
    for origin, name in enumerate(names):
        hit = np.zeros((live.shape[0], len(names)), dtype=bool)
        hit[:, origin] = True
        for _ in names:  # len(names) rounds reach every fixpoint
            for e, (a, b, _) in enumerate(edges):
                hit[:, b] |= hit[:, a] & live[:, e]
        size = hit.sum(axis=1)
        out[name] = {int(v): float(weight[size == v].sum()) for v in np.unique(size)}
    return out


def test_ring_blast_radius_matches_exact_enumeration_simpy():
    exact = exact_ring()
    rows = run(config(RING, reps=10, duration="10000h", seed=21, edges=RING_EDGES))
    clean = [s for s in faults(rows) if s["down_before"] == 0]
    assert len(clean) > 0.95 * len(faults(rows))
    observed: dict = {g: {} for g in exact}
    for s in clean:
        counts = observed[(s["origin"], s["origin_instance"])]
        counts[s["blast_radius_components"]] = counts.get(s["blast_radius_components"], 0) + 1
    # node = "each" and s on nodes 1, 3, 5: a fault's nodes are its instances less the
    # n-s pairs sharing a node (n[1], s[0] on 1; n[3], s[1] on 3)
    assert all(s["blast_radius_nodes"] <= s["blast_radius_components"] for s in clean)
    assert_all(cells_hold(observed, exact, "SimPy"))


def test_ring_blast_radius_matches_exact_enumeration_cascade_py():
    exact = exact_ring()
    spec = from_dict(config(RING, reps=1, duration="1h", edges=RING_EDGES)).config.faults
    names, edges, probs = instance_graph(spec)
    rng = np.random.default_rng(22)
    observed = {}
    for k, name in enumerate(names):
        sizes = blast_radius(edges, probs, [k], None, 4000, rng, n_vertices=len(names))
        observed[name] = dict(zip(*np.unique(sizes, return_counts=True), strict=True))
    assert_all(cells_hold(observed, exact, "cascade.py"))


# --- 3. quorum, deterministic ---

def test_one_replica_down_keeps_the_quorum_two_break_it():
    """Three replicas with the same constant ttf fail at 100 h, one after the other, and
    stay down (repair 1000 h); ``d`` needs 2 of them and fails ``e`` when it fails."""
    units = {"r": {"count": 3, "ttf": "100h", "repair": "1000h"},
             "d": {"needs": {"r": 2}, "repair": "1h"}, "e": {"repair": "1h"}}
    rows = run(config(units, reps=1, duration="150h", edges={"d->e": 1.0}))
    got = [(s["origin_instance"], s["blast_radius_components"]) for s in faults(rows)]
    # r[0]: 2 of 3 up, no propagation; r[1]: 1 up, d and e fail; r[2]: d already down
    assert got == [(0, 1), (1, 3), (2, 1)]


@pytest.mark.parametrize("fanout, radius", [(1, 2), (2, 5)])
def test_a_quorum_lost_by_propagation_fails_the_dependent_in_the_same_cascade(fanout, radius):
    """x[0] fails r[1] (fanout 1) or r[1] and r[2] (fanout 2) for sure; d needs 2 of r."""
    units = {"x": {"ttf": "100h", "repair": "1h"}, "r": {"count": 3, "repair": "1h"},
             "d": {"needs": {"r": 2}, "repair": "1h"}, "e": {"repair": "1h"}}
    rows = run(config(units, reps=1, duration="150h",
                      edges={"x->r": {"p": 1.0, "fanout": fanout}, "d->e": 1.0}))
    (s,) = faults(rows)
    assert s["blast_radius_components"] == radius


def test_cascade_py_refuses_the_quorum_rule():
    units = {"r": {"count": 3, "ttf": "100h", "repair": "1h"},
             "d": {"needs": {"r": 2}, "repair": "1h"}}
    spec = from_dict(config(units, reps=1, duration="1h")).config.faults
    with pytest.raises(ValueError, match="faults.units.d.needs"):
        instance_graph(spec)


# --- 4. quorum, stochastic ---

def test_a_majority_cluster_falls_when_the_ring_fails_one_more_node():
    """4 nodes needing 3 (a majority), ring fanout 2, p: a fault takes every node iff one
    of its 2 ring successors fails, so P(all) = 1 - (1 - p)^2; nodes hit: 1 or 4."""
    p = 0.3
    units = {"c": {"count": 4, "node": "each", "ttf": exp(100), "repair": exp(0.01),
                   "needs": {"c": 3}}}
    rows = run(config(units, reps=10, duration="10000h", seed=23,
                      edges={"c->c": {"p": p, "fanout": 2}}))
    clean = [s for s in faults(rows) if s["down_before"] == 0]
    hits = sum(s["all_nodes"] for s in clean)
    share, low, high = wilson(hits, len(clean), level=1 - ALPHA)
    exact = 1 - (1 - p) ** 2
    assert {s["blast_radius_nodes"] for s in clean} == {1, 4}
    assert all(s["all_nodes"] == (s["blast_radius_nodes"] == 4) for s in faults(rows))
    for r in rows:  # the per-replication metric is the share of its fault rows
        rs = r["_samples"]["faults"]
        assert r["p_all_nodes_given_fault"] == sum(s["all_nodes"] for s in rs) / len(rs)
    assert low <= exact <= high, (f"P(all nodes): exact {exact:.4f}, observed {share:.4f} "
                                  f"[{low:.4f}, {high:.4f}] (n={len(clean)})")


def test_a_dependent_fails_when_propagation_leaves_fewer_than_k():
    """x fails each of 3 replicas with p; d needs 2: P(d fails) = 3p^2(1-p) + p^3."""
    p = 0.4
    units = {"x": {"ttf": exp(10), "repair": exp(0.01)},
             "r": {"count": 3, "repair": exp(0.01)},
             "d": {"needs": {"r": 2}, "repair": exp(0.01)}}
    rows = run(config(units, reps=4, duration="10000h", seed=24, edges={"x->r": p}))
    clean = [s for s in faults(rows) if s["down_before"] == 0]
    # radius = 1 + replicas failed, + 1 for d when at least 2 replicas failed
    d_failed = sum(s["blast_radius_components"] >= 4 for s in clean)
    share, low, high = wilson(d_failed, len(clean), level=1 - ALPHA)
    exact = 3 * p**2 * (1 - p) + p**3
    assert {s["blast_radius_components"] for s in clean} <= {1, 2, 4, 5}
    assert low <= exact <= high, (f"P(d fails): exact {exact:.4f}, observed {share:.4f} "
                                  f"[{low:.4f}, {high:.4f}] (n={len(clean)})")


# --- 5. bad values ---

BASE = config({"node": {"count": 5, "node": "each", "ttf": exp(1000), "repair": "10min",
                        "needs": {"node": 3}},
               "lock": {"count": 3, "repair": "1h"}},
              reps=2, duration="1000h", edges={"node->node": {"p": 0.3, "fanout": 2}})


def edited(path: tuple, value: object) -> dict:
    raw = copy.deepcopy(BASE)
    node = raw["faults"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return raw


CASES = [
    ("fanout-zero", ("edges", "node->node", "fanout"), 0,
     ("faults.edges.node->node.fanout = 0", "greater than or equal to 1")),
    ("fanout-above-count", ("edges", "node->node", "fanout"), 6,
     ("faults.edges.node->node.fanout = 6", "between 1 and the count of 'node' (5)")),
    ("fanout-above-right-count", ("edges", "node->lock"), {"p": 0.1, "fanout": 4},
     ("faults.edges.node->lock.fanout = 4", "between 1 and the count of 'lock' (3)")),
    ("fanout-bool", ("edges", "node->node", "fanout"), True,
     ("faults.edges.node->node.fanout = True", "not true/false")),
    ("edge-table-without-p", ("edges", "node->node"), {"fanout": 2},
     ("faults.edges.node->node.p: missing",)),
    ("edge-table-p-above-1", ("edges", "node->node", "p"), 1.3,
     ("faults.edges.node->node.p = 1.3", "less than or equal to 1")),
    ("edge-table-unknown-key", ("edges", "node->node", "fan"), 2,
     ("faults.edges.node->node.fan: unknown key", "allowed here: p, fanout")),
    ("needs-unknown-unit", ("units", "node", "needs"), {"lck": 2},
     ("faults.units.node.needs.lck = 2", "unknown unit 'lck'", "known: lock, node")),
    ("needs-k-above-count", ("units", "node", "needs"), {"lock": 4},
     ("faults.units.node.needs.lock = 4", "between 1 and the count of 'lock' (3)")),
    ("needs-k-zero", ("units", "node", "needs"), {"node": 0},
     ("faults.units.node.needs.node = 0", "between 1 and the count of 'node' (5)")),
    ("needs-k-bool", ("units", "node", "needs"), {"lock": True},
     ("faults.units.node.needs.lock = True", "not true/false")),
    ("needs-not-a-table", ("units", "node", "needs"), 3,
     ("faults.units.node.needs = 3", "valid dictionary")),
    ("node-bad-word", ("units", "node", "node"), "every",
     ("faults.units.node.node = 'every'", "'each'")),
]


@pytest.mark.parametrize("path, value, fragments", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_cluster_config_names_the_key(path, value, fragments):
    with pytest.raises(ConfigError) as err:
        from_dict(edited(path, value))
    lines = str(err.value).splitlines()
    assert any(all(f in line for f in fragments) for line in lines), str(err.value)


def test_the_cluster_study_validates():
    from pathlib import Path

    from kernsim.experiment.load import load
    exp_ = load(Path(__file__).resolve().parents[2] / "experiments" / "c4_cluster_cascade.toml")
    assert len(exp_.points) == 54
