"""Vectorised Monte Carlo of the independent cascade: the blast-radius distribution, no timing.

The same cascade as :mod:`kernsim.dependability.timed` (which documents it), with the
whole graph up when the fault strikes: the origin fails, and every newly failed
vertex tries each of its out-edges once, failing the target with the edge's
probability. A domain is a set of edges of probability 1 both ways
(:func:`instance_graph` writes a ``[faults]`` spec out in this form). The final
failed set is what the origin reaches in the random graph keeping each edge
with its probability.

Trials run side by side: a frontier of (trial, vertex) pairs expands over a
CSR adjacency, so the work is proportional to the edges actually tried, not to
trials × edges.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kernsim.config.faults import FaultsSpec

#: cells (trial × vertex) per chunk of trials: a bool and an int32 stamp each, 80 MB
CELLS = 1 << 24


def blast_radius(graph_edges: Sequence[tuple[int, int]] | np.ndarray, probs: Sequence[float],
                 origins: Sequence[int], weights: Sequence[float] | None, n_trials: int,
                 rng: np.random.Generator, n_vertices: int | None = None) -> np.ndarray:
    """Blast radius (vertices failed, origin included) of ``n_trials`` independent faults.

    ``graph_edges``: (source, target) vertex indices; ``probs``: the probability of
    each edge; ``origins``: vertices a fault may start at, chosen with
    probabilities proportional to ``weights`` (``None``: equally likely);
    ``n_vertices``: default one more than the largest index seen.
    """
    edges = np.asarray(graph_edges, dtype=np.int64).reshape(-1, 2)
    p = np.asarray(probs, dtype=float)
    origins = np.asarray(origins, dtype=np.int64)
    _check(edges, p, origins, n_trials)
    n = n_vertices if n_vertices is not None else int(max(edges.max(initial=-1),
                                                          origins.max())) + 1
    start = _origins(origins, weights, n_trials, rng)
    csr = _csr(edges, p, n)
    chunk = max(1, CELLS // n)
    out = np.empty(n_trials, dtype=np.int64)
    for lo in range(0, n_trials, chunk):
        out[lo:lo + chunk] = _spread(start[lo:lo + chunk], csr, n, rng)
    return out


def instance_graph(spec: FaultsSpec) -> tuple[list[tuple[str, int]], list[tuple[int, int]],
                                             list[float]]:
    """A ``[faults]`` spec as (instances, edges, probabilities) for :func:`blast_radius`.

    Instances are (unit, index) in the order units are written; a unit edge
    links every instance of its left unit to every other instance of its right
    unit, or with ``fanout`` to the next ones on a ring (``FaultsSpec.pairs``);
    a domain adds probability-1 edges between each ordered pair of members.
    The quorum rule (a unit's ``needs``) is no edge: a spec that uses it raises
    ``ValueError`` (only :mod:`kernsim.dependability.timed` runs it).
    """
    quorum = [name for name, u in spec.units.items() if u.needs]
    if quorum:
        raise ValueError(f"faults.units.{quorum[0]}.needs: the quorum rule is not an edge; "
                         "kernsim.dependability.cascade cannot run it (the SimPy model does)")
    names = [(unit, i) for unit, u in spec.units.items() for i in range(u.count)]
    index = {name: k for k, name in enumerate(names)}
    edges, probs = [], []
    for key, (left, right) in spec.edge_ends().items():
        for i, j in spec.pairs(key):
            edges.append((index[left, i], index[right, j]))
            probs.append(spec.probability(key))
    for domain in spec.domains:
        members = [index[m] for m in spec.members(domain)]
        edges += [(a, b) for a in members for b in members if a != b]
        probs += [1.0] * (len(members) * (len(members) - 1))
    return names, edges, probs


def _check(edges: np.ndarray, p: np.ndarray, origins: np.ndarray, n_trials: int) -> None:
    if p.shape != (len(edges),):
        raise ValueError(f"probs: got {p.size} values for {len(edges)} edges")
    if p.size and not (np.all(p >= 0) and np.all(p <= 1)):
        raise ValueError("probs: every probability must be in [0, 1]")
    if not origins.size:
        raise ValueError("origins: need at least one vertex")
    if n_trials < 0:
        raise ValueError(f"n_trials: got {n_trials}; must be >= 0")


def _origins(origins: np.ndarray, weights: Sequence[float] | None, n_trials: int,
             rng: np.random.Generator) -> np.ndarray:
    if weights is None:
        return origins[rng.integers(0, origins.size, n_trials)]
    w = np.asarray(weights, dtype=float)
    if w.shape != origins.shape or np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weights: one non-negative weight per origin, not all zero")
    return origins[rng.choice(origins.size, size=n_trials, p=w / w.sum())]


def _csr(edges: np.ndarray, p: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-edges by source: (row pointer, targets, probabilities)."""
    order = np.argsort(edges[:, 0], kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(edges[:, 0], minlength=n), out=ptr[1:])
    return ptr, edges[order, 1], p[order]


def _spread(start: np.ndarray, csr: tuple, n: int, rng: np.random.Generator) -> np.ndarray:
    """Run one chunk of cascades to the end; return each one's size."""
    failed = np.zeros(start.size * n, dtype=bool)
    key = np.arange(start.size) * n + start
    failed[key] = True
    reach(failed, key, n, csr, rng)
    return failed.reshape(start.size, n).sum(axis=1)


def reach(failed: np.ndarray, key: np.ndarray, m: int, csr: tuple,
          rng: np.random.Generator) -> None:
    """Mark in ``failed`` (flat, ``trial × m + domain``) all that the frontier ``key``
    reaches over live edges.

    Every newly failed vertex tries each out-edge once (one uniform draw per
    tried edge); a vertex reached twice in one wave goes on once.
    """
    ptr, target, prob = csr
    stamp = np.empty(failed.size, dtype=np.int32)  # which candidate wrote a cell last
    while key.size:
        trial, domain = np.divmod(key, m)
        degree = ptr[domain + 1] - ptr[domain]
        edge = _ranges(ptr[domain], degree)
        live = rng.random(edge.size) < prob[edge]
        key = np.repeat(trial * m, degree)[live] + target[edge[live]]
        key = key[~failed[key]]
        order = np.arange(key.size, dtype=np.int32)
        stamp[key] = order  # two edges may reach one domain: one of them goes on
        key = key[stamp[key] == order]
        failed[key] = True


def _ranges(start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """``start[i] … start[i] + length[i] - 1`` for every i, concatenated."""
    return np.arange(length.sum()) + np.repeat(start - np.cumsum(length) + length, length)
