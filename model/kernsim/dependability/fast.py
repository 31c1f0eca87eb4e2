"""The fast engine: the dependability mode's blast-radius question, vectorised (no timing).

``[experiment] engine = "fast"`` with ``[faults] mode = "dependability"`` runs
here instead of :mod:`kernsim.dependability.timed` (``kernsim.simulate`` dispatches). It
answers only "how far does one fault spread, and does it take the system
down?": no clock, no repairs, so no availability.

Semantics
---------
Trials
    A replication runs ``round(Σ 1/mean(ttf) × duration)`` faults: the sum
    runs over every instance of every unit with a ``ttf``, so this is the
    number of spontaneous faults the SimPy model expects in its window with
    everything up (it sees a few fewer: an instance under repair cannot fail).
    ``warmup`` plays no part.
Origin
    Instance ``i`` is a fault's origin with probability proportional to its
    failure rate ``1/mean(ttf)`` (stream ``fast.origin``); units without
    ``ttf`` never originate.
Cascade
    The whole system is up when the fault strikes. The graph is
    :func:`kernsim.dependability.cascade.instance_graph` of the ``[faults]`` table
    (unit edges per instance pair, or to the ``fanout`` next ones on a ring;
    domains as probability-1 edges both ways);
    the failed set is what the origin reaches when each edge is kept with its
    probability (stream ``fast.cascade``), exactly the cascade of
    :mod:`kernsim.dependability.timed` on an all-up graph.
Kinds
    ``crash`` and ``hang`` spread alike (the watchdog only delays repair).
    ``corruption``: one Bernoulli(``detect``) per fault (stream
    ``fast.detect``); caught, only the origin's domain fails; not caught, it
    spreads like a crash.
System down
    The failed set leaves some unit of ``[faults.system] require`` (default:
    every instance of every unit) with fewer than ``k`` instances up.

Approximations (against the SimPy model)
----------------------------------------
- In SimPy a fault may strike while other instances are down for repair;
  they neither fail again nor spread, and the system may already be down.
  Here every fault sees the whole graph up (``down_before`` is always 0).
  The two agree when repairs are short next to times to failure.
- Origins follow ``1/mean(ttf)``. In SimPy an instance's long-run rate of
  spontaneous faults is ``1/(mean ttf + mean time down)``, and for a
  non-exponential ``ttf`` also moves when propagation restarts its clock
  (for ``db`` in ``experiments/validation/availability.toml``, Weibull
  shape 1.5, reset by ``driver->db`` after every kernel fault with
  probability 0.1: 5.6% fewer faults than ``1/mean``).
- ``needs`` (the quorum rule) is refused (a config error): it is no edge of
  the instance graph, and whether a quorum breaks depends on the instances
  already down.

Metrics (one replication)
-------------------------
``faults``                  trials drawn (see Trials)
``outages``                 trials with ``system_down``
``blast_radius_mean``       mean instances failed per fault (nan without faults)
``blast_radius_nodes_mean`` mean distinct nodes among them
``p_outage_given_fault``    outages / faults
``p_all_nodes_given_fault`` fraction of faults with ``all_nodes``
No time-based metric exists here: ``availability``, ``mttf_system``,
``mttr_system``, ``failed_mean`` and ``avail.<unit>`` are left out.

Samples: ``"_samples": {"faults": rows}``, one row per trial
----------------------------------------------------------
The columns of :mod:`kernsim.dependability.timed` without the two times (``t``,
``time_to_recovery``): ``origin``, ``origin_instance``, ``kind``,
``detected``, ``blast_radius_components``, ``blast_radius_nodes``,
``all_nodes``, ``down_before`` (always 0) and ``system_down``. The rows are
a :class:`Rows`: a read-only sequence held as columns, each row dict built
when it is read (by the results store), so they cost little until written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from kernsim.config.faults import FaultsSpec
from kernsim.config.schema import Config
from kernsim.dependability.cascade import _csr, _ranges, instance_graph, reach
from kernsim.engine.spec import from_config
from kernsim.engine.streams import Streams

NAN = float("nan")
#: trial × instance cells per chunk (a bool and an int32 matrix, two count tables)
CELLS = 1 << 22


def simulate(config: Config, seed: np.random.SeedSequence) -> dict[str, Any]:
    """One replication of a dependability config's blast-radius question."""
    spec = config.faults
    graph, streams = Graph(spec), Streams(seed)
    n = round(graph.rate.sum() * config.experiment.duration)  # see Trials
    origin = graph.origins(n, streams.get("fast.origin"))
    detected = streams.get("fast.detect").random(n) < graph.detect[origin]
    radius, nodes, down = graph.outcomes(origin, detected, streams.get("fast.cascade"))
    return _metrics(graph, origin, detected, radius, nodes, down)


def rate(spec: FaultsSpec) -> float:
    """Spontaneous faults per µs with every instance up: Σ count / mean(ttf)."""
    return sum(spec.units[u].count * r for u, r in unit_rates(spec).items())


def unit_rates(spec: FaultsSpec) -> dict[str, float]:
    """Spontaneous faults per µs of one instance of each unit (0 without ``ttf``)."""
    return {name: 1.0 / from_config(u.ttf).mean if u.ttf is not None else 0.0
            for name, u in spec.units.items()}


class Graph:
    """The instance graph of a ``[faults]`` table, with its domains contracted.

    In an all-up cascade a domain always fails whole, so the cascade runs on
    domains (an instance outside any is a domain of its own): domain ``A``
    tries every edge from one of its instances to an instance of another
    domain ``B`` and, if one holds, ``B`` fails. Edges inside a domain change
    nothing and are dropped.
    """

    def __init__(self, spec: FaultsSpec) -> None:
        self.names, edges, probs = instance_graph(spec)
        self.n = n = len(self.names)
        self.units = list(spec.units)
        self.unit_of = np.array([self.units.index(u) for u, _ in self.names])
        self.index = np.array([i for _, i in self.names])
        self.node = np.unique([spec.units[u].node_of(i) for u, i in self.names],
                              return_inverse=True)[1]  # nodes as 0, 1, …
        rates = unit_rates(spec)
        self.rate = np.array([rates[u] for u, _ in self.names])
        self.detect = np.array([spec.units[u].detect or 0.0 for u, _ in self.names])
        self.kinds = [spec.units[u].kind for u in self.units]
        need = spec.required()
        # a unit is short once more than ``limit`` of its instances failed
        self.limit = np.array([spec.units[u].count - need[u] if u in need else np.inf
                               for u in self.units])
        self.domain = _domains(spec, self.names)  # domain of each instance: 0 … m-1
        self.m = m = self.domain.max() + 1
        self.members = _csr(np.c_[self.domain, np.arange(n)], np.zeros(n), m)[:2]
        self.csr = self._between(np.asarray(edges, dtype=np.int64).reshape(-1, 2),
                                 np.asarray(probs, dtype=float))
        self.degree = np.diff(self.csr[0])  # out-edges per domain
        # the outcome when just the origin's domain fails, per instance
        self.contained = tuple(a[self.domain] for a in self.summary(self.domain, np.arange(n), m))

    def _between(self, edges: np.ndarray, probs: np.ndarray) -> tuple:
        """The edges between two domains, as domain -> domain (CSR)."""
        ends = self.domain[edges]
        between = ends[:, 0] != ends[:, 1]
        return _csr(ends[between], probs[between], self.m)

    def origins(self, n_trials: int, rng: np.random.Generator) -> np.ndarray:
        """Origin instances, each with probability proportional to its failure rate."""
        return rng.choice(self.n, size=n_trials, p=self.rate / self.rate.sum())

    def outcomes(self, origin: np.ndarray, detected: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`outcome` of every fault, in chunks of at most ``CELLS`` cells."""
        chunk = max(1, CELLS // self.n)
        parts = [self.outcome(origin[lo:lo + chunk], detected[lo:lo + chunk], rng)
                 for lo in range(0, max(origin.size, 1), chunk)]  # one chunk at least
        return tuple(np.concatenate(cols) for cols in zip(*parts, strict=True))

    def outcome(self, origin: np.ndarray, detected: np.ndarray,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(instances failed, nodes hit, system down) of one chunk of faults.

        A caught corruption, or a fault in a domain without out-edges, fails
        exactly the origin's domain: its outcome is looked up; the other
        faults run the cascade.
        """
        radius, nodes, down = (a[origin] for a in self.contained)
        start = self.domain[origin]
        spread = np.flatnonzero(~detected & (self.degree[start] > 0))
        trial, domain = np.divmod(self.cascade(start[spread], rng), self.m)
        ptr, member = self.members
        size = ptr[domain + 1] - ptr[domain]
        vertex = member[_ranges(ptr[domain], size)]
        result = self.summary(np.repeat(trial, size), vertex, spread.size)
        radius[spread], nodes[spread], down[spread] = result
        return radius, nodes, down

    def summary(self, row: np.ndarray, vertex: np.ndarray,
                rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(instances, distinct nodes, system down) of failed cells (row, instance), per row."""
        units, nodes = self.limit.size, self.node.max() + 1
        count = _tabled if rows * (units + nodes) <= CELLS else _sorted
        cell, failed = count(row * units + self.unit_of[vertex], rows * units)
        down = np.zeros(rows, dtype=bool)
        down[cell[failed > self.limit[cell % units]] // units] = True
        hit = count(row * nodes + self.node[vertex], rows * nodes)[0] // nodes
        return np.bincount(row, minlength=rows), np.bincount(hit, minlength=rows), down

    def cascade(self, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Failed cells ``trial × m + domain`` (sorted) of one cascade per start domain."""
        failed = np.zeros(start.size * self.m, dtype=bool)
        key = np.arange(start.size) * self.m + start
        failed[key] = True
        reach(failed, key, self.m, self.csr, rng)
        return np.flatnonzero(failed)


def _tabled(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (each < ``size``) and how often each occurs, through a table."""
    table = np.bincount(key, minlength=size)
    distinct = np.flatnonzero(table)
    return distinct, table[distinct]


def _sorted(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The same by sorting, for a ``size`` too large for a table."""
    return np.unique(key, return_counts=True)


def _domains(spec: FaultsSpec, names: list[tuple[str, int]]) -> np.ndarray:
    """The domain of each instance, numbered 0, 1, … (an instance in none: its own)."""
    label = np.arange(len(names))
    index = {name: k for k, name in enumerate(names)}
    for domain in spec.domains:
        members = [index[m] for m in spec.members(domain)]
        label[members] = members[0]
    return np.unique(label, return_inverse=True)[1]


def _metrics(graph: Graph, origin: np.ndarray, detected: np.ndarray, radius: np.ndarray,
             nodes: np.ndarray, down: np.ndarray) -> dict[str, Any]:
    n, unit = origin.size, graph.unit_of[origin]
    everywhere = nodes == graph.node.max() + 1
    rows = Rows({"origin": unit, "origin_instance": graph.index[origin], "kind": unit,
                 "detected": detected, "blast_radius_components": radius,
                 "blast_radius_nodes": nodes, "all_nodes": everywhere,
                 "down_before": np.zeros(n, dtype=np.int64), "system_down": down},
                {"origin": graph.units, "kind": graph.kinds})
    return {"faults": n, "outages": int(down.sum()),
            "blast_radius_mean": _mean(radius), "blast_radius_nodes_mean": _mean(nodes),
            "p_outage_given_fault": _mean(down), "p_all_nodes_given_fault": _mean(everywhere),
            "_samples": {"faults": rows}}


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else NAN


class Rows(Sequence):
    """Sample rows held as columns: a read-only sequence whose items are row dicts.

    ``columns`` maps a column to one array (a value per row); a column in
    ``labels`` holds indices into that list of labels. A row dict (Python
    scalars) is built when read (≈1 µs a row, more than the simulation
    spends on it), so rows cost little until written, and pickle as arrays.
    """

    def __init__(self, columns: dict[str, np.ndarray], labels: dict[str, list] | None = None):
        self.columns, self.labels = columns, labels or {}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), ()))

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return Rows({k: v[i] for k, v in self.columns.items()}, self.labels)
        return {k: self._value(k, v[i]) for k, v in self.columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        columns = self.as_columns()
        keys = list(columns)
        return (dict(zip(keys, values, strict=True))
                for values in zip(*columns.values(), strict=True))

    def __repr__(self) -> str:
        return f"Rows({len(self)} rows: {', '.join(self.columns)})"

    def as_columns(self) -> dict[str, list]:
        """Column name -> list of Python values (for a columnar writer)."""
        return {k: self._column(k, v) for k, v in self.columns.items()}

    def _column(self, key: str, values: np.ndarray) -> Sequence:
        names = self.labels.get(key)
        return values.tolist() if names is None else [names[j] for j in values.tolist()]

    def _value(self, key: str, value: Any) -> Any:
        names = self.labels.get(key)
        return value.item() if names is None else names[int(value)]
