"""The dependability mode (``faults.mode = "dependability"``) against closed forms.

Every replication runs through the runner's own task path (``run_task``, hence
``kernsim.simulate``'s dispatch). A mean passes when the analytic value lies in
the model's own 99% Student-t interval over replications; a distribution
passes a chi-square (or binomial) test at p > 0.001 against exact values
computed here, independently of the model. Seeds are fixed.

1. one repairable unit: A = MTTF / (MTTF + MTTR), exponential and Weibull/lognormal
2. series (A = Π A_i) and k-out-of-n of independent units (binomial sum)
3. repairman with r = 1, 2 crews: birth–death stationary distribution
4. propagation on a random graph: blast radius (and nodes) vs exact enumeration
   of all 2^E live/dead edge subsets, for the SimPy model and ``cascade.py``
5. branching process on a b-ary tree: E[size] = Σ_{d≤D} (b p)^d
6. domains: a fault fails exactly its whole domain; kinds hang and corruption
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from kernsim.dependability.cascade import blast_radius, instance_graph
from kernsim.experiment.load import from_dict
from kernsim.experiment.tasks import run_task, tasks_for
from kernsim.stats.intervals import t_interval

LEVEL = 0.99
ALPHA = 0.001
H = 3600e6  # µs per hour, written out here: the model's unit parser is under test


# --- running a case ---

def config(units: dict, *, reps: int, duration: str, warmup: str = "0h", seed: int = 1,
           **faults) -> dict:
    return {"experiment": {"name": "dep", "seed": seed, "replications": reps,
                           "warmup": warmup, "duration": duration},
            "faults": {"mode": "dependability", "units": units, **faults}}


def run(raw: dict) -> list[dict]:
    """Every replication's row (metrics and ``_samples``); fails if the model raised."""
    exp = from_dict(raw)
    rows = [run_task(t) for t in tasks_for(exp)]
    errors = [r["_error"] for r in rows if "_error" in r]
    assert not errors, errors[0]
    return rows


def samples(rows: list[dict]) -> list[dict]:
    return [s for r in rows for s in r["_samples"]["faults"]]


def exp(mean_h: float) -> dict:
    return {"dist": "exponential", "mean": f"{mean_h}h"}


# --- checking ---

def ci_check(label: str, analytic: float, values) -> tuple[bool, str]:
    mean, low, high = t_interval(values, level=LEVEL)
    ok = bool(low <= analytic <= high)
    return ok, (f"{label}: analytic {analytic:.6g}, simulated {mean:.6g}, 99% CI "
                f"[{low:.6g}, {high:.6g}] (n={len(values)}) -> {'inside' if ok else 'OUTSIDE'}")


def assert_all(checks: list[tuple[bool, str]]) -> None:
    text = "\n".join(msg for _, msg in checks)
    print(text)
    assert all(ok for ok, _ in checks), text


def metric(rows: list[dict], name: str) -> list[float]:
    return [float(r[name]) for r in rows]


def chi2_pvalue(observed: dict, expected_p: dict, groups: list) -> tuple[float, str]:
    """Chi-square of counts per (group, value) against exact conditional probabilities.

    ``observed[g]``: {value: count}; ``expected_p[g]``: {value: probability}. Within
    each group, adjacent values are pooled until every expected count is ≥ 5.
    Degrees of freedom: cells minus groups (the group totals are given).
    """
    obs_cells, exp_cells = [], []
    for g in groups:
        n = sum(observed[g].values())
        values = sorted(set(expected_p[g]) | set(observed[g]))
        impossible = [v for v in values if not expected_p[g].get(v) and observed[g].get(v)]
        assert not impossible, f"{g}: impossible values observed: {impossible}"
        first, o_acc, e_acc = len(obs_cells), 0.0, 0.0
        for v in values:
            o_acc += observed[g].get(v, 0)
            e_acc += n * expected_p[g].get(v, 0.0)
            if e_acc >= 5:
                obs_cells.append(o_acc)
                exp_cells.append(e_acc)
                o_acc = e_acc = 0.0
        if len(obs_cells) > first:  # a small tail joins this group's last cell
            obs_cells[-1] += o_acc
            exp_cells[-1] += e_acc
        else:
            obs_cells.append(o_acc)
            exp_cells.append(e_acc)
    dof = len(obs_cells) - len(groups)
    if dof <= 0:
        return 1.0, "no degrees of freedom"
    obs, expd = np.array(obs_cells), np.array(exp_cells)
    stat = float(((obs - expd) ** 2 / expd).sum())
    p = float(stats.chi2.sf(stat, dof))
    return p, f"chi2 = {stat:.3g}, dof = {dof}, p = {p:.3g}"


# --- 1. one repairable unit ---

@pytest.mark.parametrize("ttf, repair, mttf_h, mttr_h", [
    (exp(100), exp(10), 100.0, 10.0),
    ({"dist": "weibull", "shape": 2.0, "scale": "100h"},
     {"dist": "lognormal", "mean": "10h", "cv": 1.5}, 100.0 * math.gamma(1.5), 10.0),
], ids=["exponential", "weibull-lognormal"])
def test_one_unit_availability_is_mttf_over_mttf_plus_mttr(ttf, repair, mttf_h, mttr_h):
    rows = run(config({"u": {"ttf": ttf, "repair": repair}}, reps=20, duration="100000h",
                      warmup="1000h"))
    a = mttf_h / (mttf_h + mttr_h)
    assert_all([ci_check("availability", a, metric(rows, "availability")),
                ci_check("avail.u", a, metric(rows, "avail.u")),
                ci_check("mttf_system (h)", mttf_h, np.array(metric(rows, "mttf_system")) / H),
                ci_check("mttr_system (h)", mttr_h, np.array(metric(rows, "mttr_system")) / H)])


# --- 2. series and k-out-of-n ---

def test_series_availability_is_the_product():
    units = {
        "a": {"ttf": exp(100), "repair": exp(10)},
        "b": {"ttf": {"dist": "weibull", "shape": 1.5, "scale": "300h"},
              "repair": {"dist": "lognormal", "mean": "20h", "cv": 0.5}},
        "c": {"ttf": {"dist": "gamma", "mean": "400h", "cv": 0.7}, "repair": "15h"},
    }
    per_unit = {"a": 100 / 110, "b": (m := 300 * math.gamma(1 + 1 / 1.5)) / (m + 20),
                "c": 400 / 415}
    rows = run(config(units, reps=20, duration="100000h", warmup="2000h", seed=2))
    assert_all([ci_check("availability", math.prod(per_unit.values()),
                         metric(rows, "availability"))]
               + [ci_check(f"avail.{u}", a, metric(rows, f"avail.{u}"))
                  for u, a in per_unit.items()])


@pytest.mark.parametrize("n, k, ttf, repair, a", [
    (3, 1, exp(50), exp(25), 2 / 3),
    (5, 3, {"dist": "weibull", "shape": 0.8, "scale": "50h"},
     {"dist": "lognormal", "mean": "25h", "cv": 0.8},
     (m := 50 * math.gamma(1 + 1 / 0.8)) / (m + 25)),
], ids=["parallel-1-of-3", "3-of-5-weibull-lognormal"])
def test_k_out_of_n_availability_is_the_binomial_tail(n, k, ttf, repair, a):
    rows = run(config({"u": {"count": n, "ttf": ttf, "repair": repair}}, reps=20,
                      duration="50000h", warmup="1000h", seed=3,
                      system={"require": {"u": k}}))
    exact = sum(math.comb(n, j) * a**j * (1 - a) ** (n - j) for j in range(k, n + 1))
    assert_all([ci_check(f"availability ({k} of {n})", exact, metric(rows, "availability")),
                ci_check("avail.u", a, metric(rows, "avail.u"))])


# --- 3. repairman with r crews ---

def birth_death(n: int, lam: float, mu: float, r: int) -> np.ndarray:
    """Stationary distribution of the number failed: up rate (n-j)λ, down rate min(j, r)μ."""
    q = np.zeros((n + 1, n + 1))
    for j in range(n):
        q[j, j + 1] = (n - j) * lam
        q[j + 1, j] = min(j + 1, r) * mu
    np.fill_diagonal(q, -q.sum(axis=1))
    a = np.vstack([q.T, np.ones(n + 1)])
    b = np.zeros(n + 2)
    b[-1] = 1.0
    return np.linalg.lstsq(a, b, rcond=None)[0]


@pytest.mark.parametrize("crews", [1, 2])
def test_repairman_matches_the_birth_death_chain(crews):
    n, k, mttf, mttr = 5, 3, 100.0, 40.0
    rows = run(config({"u": {"count": n, "ttf": exp(mttf), "repair": exp(mttr)}}, reps=20,
                      duration="60000h", warmup="2000h", seed=4, repair_crews=crews,
                      system={"require": {"u": k}}))
    pi = birth_death(n, 1 / mttf, 1 / mttr, crews)
    failed = float(np.arange(n + 1) @ pi)
    assert_all([ci_check("failed_mean", failed, metric(rows, "failed_mean")),
                ci_check("avail.u", 1 - failed / n, metric(rows, "avail.u")),
                ci_check(f"availability ({k} of {n})", float(pi[: n - k + 1].sum()),
                         metric(rows, "availability"))])


# --- 4. propagation on a random graph vs exact enumeration ---

def random_graph() -> dict:
    """6 instances (units a-d, e with two): 8 random unit edges with random probabilities
    (8 to 16 instance edges), and one domain."""
    rng = np.random.default_rng(20240607)  # the graph's own seed, fixed
    names = ["a", "b", "c", "d", "e"]
    pairs = [(x, y) for x, y in itertools.product(names, names) if x != y or x == "e"]
    chosen = sorted(rng.choice(len(pairs), size=8, replace=False))
    edges = {f"{pairs[i][0]}->{pairs[i][1]}": round(float(rng.uniform(0.15, 0.9)), 2)
             for i in chosen}
    nodes = {"a": {"node": 0}, "b": {"node": 1}, "c": {"node": 1}, "d": {"node": 2},
             "e": {"count": 2, "nodes": [0, 2]}}
    units = {u: {**nodes[u], "ttf": exp(200), "repair": exp(0.05)} for u in names}
    return {"units": units, "edges": edges, "domains": {"k": ["c", "e[1]"]}}


def instances(graph: dict) -> list[tuple[str, int, int]]:
    """(unit, index, node) for every instance, built from the raw dict alone."""
    out = []
    for unit, spec in graph["units"].items():
        count = spec.get("count", 1)
        for i in range(count):
            out.append((unit, i, spec["nodes"][i] if "nodes" in spec else spec.get("node", 0)))
    return out


def exact_distributions(graph: dict) -> tuple[dict, dict, int]:
    """P(blast radius | origin) and P(nodes hit | origin), over all 2^E edge subsets."""
    inst = instances(graph)
    idx = {(u, i): k for k, (u, i, _) in enumerate(inst)}
    edges = [(idx[left, i], idx[right, j], p) for key, p in graph["edges"].items()
             for left, right in [key.split("->")]
             for (u, i, _) in inst if u == left for (v, j, _) in inst if v == right
             if (left, i) != (right, j)]
    domain = {k: {k} for k in range(len(inst))}
    for members in graph["domains"].values():
        ids = set()
        for m in members:
            unit, _, rest = m.partition("[")
            ids |= {idx[unit, int(rest.rstrip("]"))]} if rest else {
                k for k, (u, _, _) in enumerate(inst) if u == unit}
        for k in ids:
            domain[k] = ids
    n, n_e = len(inst), len(edges)
    live = ((np.arange(2**n_e)[:, None] >> np.arange(n_e)) & 1).astype(bool)
    p = np.array([e[2] for e in edges])
    weight = np.prod(np.where(live, p, 1 - p), axis=1)
    node_of = np.array([node for _, _, node in inst])
    radius, nodes = {}, {}
    for origin in range(n):
        hit = np.zeros((live.shape[0], n), dtype=bool)
        hit[:, sorted(domain[origin])] = True
        for _ in range(n):  # n rounds reach every fixpoint
            for e, (a, b, _) in enumerate(edges):
                reach = hit[:, a] & live[:, e]
                for m in domain[b]:
                    hit[:, m] |= reach
        size = hit.sum(axis=1)
        n_nodes = sum(hit[:, node_of == v].any(axis=1) for v in np.unique(node_of))
        radius[inst[origin][:2]] = _pmf(size, weight)
        nodes[inst[origin][:2]] = _pmf(n_nodes, weight)
    return radius, nodes, n_e


def _pmf(values: np.ndarray, weight: np.ndarray) -> dict:
    return {int(v): float(weight[values == v].sum()) for v in np.unique(values)}


def test_blast_radius_on_a_random_graph_matches_exact_enumeration():
    graph = random_graph()
    radius, nodes, n_e = exact_distributions(graph)
    assert 8 <= n_e <= 16, f"{n_e} instance edges"
    rows = run(config(graph["units"], reps=10, duration="40000h", seed=5,
                      edges=graph["edges"], domains=graph["domains"]))
    faults = [s for s in samples(rows) if s["down_before"] == 0]  # the whole graph was up
    assert len(faults) > 0.95 * len(samples(rows))
    groups = sorted(radius)
    checks = []
    for column, exact in (("blast_radius_components", radius), ("blast_radius_nodes", nodes)):
        observed = {g: {} for g in groups}
        for s in faults:
            counts = observed[(s["origin"], s["origin_instance"])]
            counts[s[column]] = counts.get(s[column], 0) + 1
        p, text = chi2_pvalue(observed, exact, groups)
        checks.append((p > ALPHA, f"SimPy {column} ({len(faults)} faults): {text}"))
    assert_all(checks)


def test_cascade_py_matches_exact_enumeration_on_the_same_graph():
    graph = random_graph()
    radius, _, _ = exact_distributions(graph)
    spec = from_dict(config(graph["units"], reps=1, duration="1h", edges=graph["edges"],
                            domains=graph["domains"])).config.faults
    names, edges, probs = instance_graph(spec)
    n_trials = 20000
    sizes = blast_radius(edges, probs, range(len(names)), None, n_trials,
                         np.random.default_rng(6))
    mixture: dict = {}
    for g in radius:  # every instance equally likely to be the origin (same ttf)
        for v, q in radius[g].items():
            mixture[v] = mixture.get(v, 0.0) + q / len(radius)
    observed = {"all": dict(zip(*np.unique(sizes, return_counts=True), strict=True))}
    p, text = chi2_pvalue(observed, {"all": mixture}, ["all"])
    assert_all([(p > ALPHA, f"cascade.py blast radius ({n_trials} trials): {text}")])


# --- 5. branching process on a b-ary tree ---

def tree(b: int, depth: int) -> tuple[list[tuple[int, int]], int]:
    edges, level, n = [], [0], 1
    for _ in range(depth):
        nxt = []
        for parent in level:
            for _ in range(b):
                edges.append((parent, n))
                nxt.append(n)
                n += 1
        level = nxt
    return edges, n


@pytest.mark.parametrize("b, p, depth", [(3, 0.25, 6), (2, 0.35, 12)])
def test_tree_cascade_size_is_the_branching_sum_cascade_py(b, p, depth):
    edges, _ = tree(b, depth)
    m = b * p
    expected = sum(m**d for d in range(depth + 1))
    rng = np.random.default_rng(7)
    batches = [blast_radius(edges, [p] * len(edges), [0], None, 4000, rng).mean()
               for _ in range(20)]
    assert_all([ci_check(f"E[size], b={b} p={p} D={depth} (limit 1/(1-m) = {1 / (1 - m):.4g})",
                         expected, batches)])


def test_tree_cascade_size_is_the_branching_sum_simpy():
    b, p, depth = 2, 0.4, 3
    edges, n = tree(b, depth)
    units = {f"n{i}": {"repair": exp(0.01)} for i in range(n)}
    units["n0"]["ttf"] = exp(100)  # faults only at the root
    rows = run(config(units, reps=20, duration="10000h", seed=8,
                      edges={f"n{a}->n{c}": p for a, c in edges}))
    means = [np.mean([s["blast_radius_components"] for s in r["_samples"]["faults"]
                      if s["down_before"] == 0]) for r in rows]
    m = b * p
    assert_all([ci_check(f"E[size] SimPy, b={b} p={p} D={depth}",
                         sum(m**d for d in range(depth + 1)), means)])


# --- 6. domains and kinds ---

def test_a_fault_fails_exactly_its_whole_domain():
    units = {"fs": {"node": 0}, "net": {"count": 2, "nodes": [0, 1]}, "driver": {"node": 2},
             "app": {"node": 1}}
    for u in units.values():
        u.update(ttf=exp(500), repair="1h")
    rows = run(config(units, reps=4, duration="20000h", seed=9,
                      domains={"kernel": ["fs", "net", "driver"]}))
    clean = [s for s in samples(rows) if s["down_before"] == 0]
    kernel = [s for s in clean if s["origin"] != "app"]
    app = [s for s in clean if s["origin"] == "app"]
    assert len(kernel) > 100 and len(app) > 20
    assert {(s["blast_radius_components"], s["blast_radius_nodes"]) for s in kernel} == {(4, 3)}
    assert {(s["blast_radius_components"], s["blast_radius_nodes"]) for s in app} == {(1, 1)}
    # constant repair, unlimited crews: everything is back exactly one repair later
    assert {s["time_to_recovery"] for s in clean if not math.isnan(s["time_to_recovery"])} \
        == {1 * H}


def test_corruption_is_contained_with_probability_detect_and_hangs_wait_for_the_watchdog():
    units = {"x": {"kind": "corruption", "detect": 0.3, "ttf": exp(100), "repair": exp(0.01)},
             "y": {"repair": exp(0.01)},
             "h": {"kind": "hang", "watchdog": "1h", "ttf": exp(100), "repair": "2h"}}
    rows = run(config(units, reps=10, duration="20000h", seed=10, edges={"x->y": 1.0}))
    xs = [s for s in samples(rows) if s["origin"] == "x" and s["down_before"] == 0]
    detected = sum(s["detected"] for s in xs)
    assert all(s["blast_radius_components"] == (1 if s["detected"] else 2) for s in xs)
    p = stats.binomtest(detected, len(xs), 0.3).pvalue
    hs = [s for s in samples(rows) if s["origin"] == "h"]
    ttr = {s["time_to_recovery"] for s in hs if not math.isnan(s["time_to_recovery"])}
    assert ttr == {3 * H}  # watchdog 1h, then repair 2h
    contained = f"P(corruption contained): {detected}/{len(xs)} vs 0.3, binomial p = {p:.3g}"
    assert_all([(p > ALPHA, contained),
                ci_check("avail.h = MTTF/(MTTF+watchdog+repair)", 100 / 103,
                         metric(rows, "avail.h"))])


def test_same_seed_same_rows_and_outages_match_the_fault_rows():
    raw = config({"w": {"count": 3, "ttf": exp(100), "repair": exp(20)},
                  "d": {"ttf": exp(300), "repair": exp(5)}}, reps=2, duration="5000h",
                 seed=11, edges={"d->w": 0.5}, repair_crews=1, system={"require": {"w": 2}})
    first, second = run(raw), run(raw)
    def strip(rows_: list[dict]) -> str:  # repr: nan == nan, as text
        return repr([{k: v for k, v in r.items() if k != "_wall_s"} for r in rows_])

    assert strip(first) == strip(second)
    for r in first:
        rows_ = r["_samples"]["faults"]
        assert r["faults"] == len(rows_) > 0
        assert r["outages"] == sum(s["system_down"] for s in rows_)
        assert math.isclose(r["p_outage_given_fault"], r["outages"] / r["faults"])
