"""Dependability mode: faults, their propagation and repairs over long simulated time.

The long time scale of the model (docs/design.md §4, "Faults"): no
requests, only fault, propagation and repair events, over months. A config
with ``[faults] mode = "dependability"`` runs here (``kernsim.simulate``
dispatches). Time is in µs like everywhere else.

Semantics
---------
Units and instances
    ``[faults.units.NAME]`` is a unit type (a component, a domain, a node)
    with ``count`` identical instances, ``NAME[0]`` … ``NAME[count-1]``, each on
    a node (``node``, or ``nodes`` one per instance, or ``node = "each"``:
    instance ``i`` on node ``i``; default 0). An instance is *up* or *down*;
    all start up.
Spontaneous faults
    An up instance fails by itself after a ``ttf`` draw (stream
    ``faults.ttf.<unit>``); the clock starts when it comes up and restarts
    after every repair (so a unit failed by propagation draws a fresh
    ``ttf`` once repaired). A unit without ``ttf`` only fails by propagation
    or through its domain.
Cascade (instantaneous, at the fault's time)
    1. The faulty instance fails, and with it every up instance of its domain
       (``[faults.domains]``: members are units, meaning all their instances,
       or single instances ``"unit[i]"``; an instance is in one domain at most).
    2. Independent cascade: every instance newly failed in this cascade
       (domain members included) tries each of its out-edges exactly once.
       ``"L->R" = p`` links every instance of ``L`` to every instance of ``R``
       (itself excluded); ``"L->R" = {p = p, fanout = f}`` links instance ``i``
       of ``L`` only to the ``f`` next instances of ``R`` on a ring,
       ``(i+1 … i+f) mod count(R)`` (``i`` itself skipped when ``L`` is ``R``:
       ``f = count`` is all-to-all). The attempt fails an *up* target with
       probability ``p`` (stream ``faults.edge.L->R``). A target that fails
       also fails its domain, and the newly failed instances try their own
       out-edges in turn. Instances already down are not failed again, and do
       not spread.
    3. Quorum (``needs = {V = k}`` on unit ``U``): once the edges have spread
       as far as they go, every unit ``V`` that lost an instance in this
       cascade and has fewer than ``k`` instances up fails every up instance
       of every unit that needs it (with their domains). These are failures
       of this fault like any other: they try their out-edges (step 2), and
       the rule is checked again, until nothing changes. (``U`` may be ``V``:
       a cluster that needs a majority of its own nodes.) A repair does not
       check the rule: an instance repaired while ``V`` is short comes up
       (it rejoins when the quorum is back).
    Without ``needs``, the final set is the set reachable from the origin in
    the random graph that keeps each instance edge with its probability,
    domains being edges of probability 1 both ways (``kernsim.dependability.cascade``
    samples exactly this). With it, it is the smallest set that holds the
    origin and is closed under the kept edges, the domains and the quorum
    rule: the order in which the steps run does not change it.
Kinds (``kind``, per unit; the origin's kind is the fault's kind)
    ``crash``: fail-stop; noticed at once; spreads as above.
    ``hang``: spreads as above; but a hung instance is not noticed at once:
    whenever an instance of a hang unit fails (by itself, through its
    domain or by propagation) it waits a ``watchdog`` draw (default 0;
    stream ``faults.watchdog.<unit>``) before its repair is queued, down
    and unnoticed meanwhile.
    ``corruption``: caught at the origin with probability ``detect`` (default
    0; one draw per fault from ``faults.detect.<unit>``). Caught, it is
    contained: the origin's domain fails (the checker stops it) but its
    members do not try their edges (a quorum the domain's failure breaks
    still fails the units that need it). Not caught, the corrupt state
    escapes and spreads along edges exactly like a crash. So ``detect`` is
    the probability that a corruption stays inside its domain.
Repair
    Every failed instance needs one ``repair`` draw (stream
    ``faults.repair.<unit>``), drawn when its repair starts. With
    ``repair_crews = r > 0``, ``r`` shared crews serve failed instances in
    FIFO order of failure (within a cascade: the order above, origin first);
    with 0, every instance is repaired at once, independently. An instance is
    up again when its repair ends; only then can it fail again.
System state
    Up iff every unit listed in ``[faults.system] require = {unit = k}`` has
    at least ``k`` instances up (a series of k-out-of-n blocks); without
    ``require``, every instance of every unit must be up.

Metrics (over the window [warmup, warmup + duration])
-----------------------------------------------------
``availability``         time fraction the system is up
``faults``               spontaneous faults in the window
``outages``              up → down transitions of the system in the window
``mttf_system``          system up time / outages (nan without outages)
``mttr_system``          system down time / outages (nan without outages)
``avail.<unit>``         time-average fraction of the unit's instances up
``failed_mean``          time-average number of instances down (all units)
``blast_radius_mean``    mean instances failed per fault (nan without faults)
``blast_radius_nodes_mean`` mean distinct nodes among them
``p_outage_given_fault`` outages / faults (every outage has exactly one
                         cause: the fault whose cascade took the system down)
``p_all_nodes_given_fault`` fraction of faults whose cascade failed an
                         instance on every node (``all_nodes`` below)
``performability.*``     with ``[faults.performability]``: the time-weighted
                         goodput of the performance model over the states
                         met (:mod:`kernsim.dependability.performability`)

Samples: ``"_samples": {"faults": rows}``, one row per spontaneous fault in the window
-------------------------------------------------------------------------------------
``t``                        time of the fault (µs)
``origin``                   unit of the faulty instance
``origin_instance``          its index
``kind``                     the origin unit's kind
``detected``                 corruption caught at the origin (always False
                             for crash and hang)
``blast_radius_components``  instances failed by this fault, origin included
``blast_radius_nodes``       distinct nodes among them
``all_nodes``                they are all the nodes instances live on (a node
                             already down does not count as hit: see
                             ``down_before``)
``down_before``              instances already down when it struck (0: the
                             cascade had the whole graph to spread on)
``system_down``              the fault took the system from up to down
``time_to_recovery``         µs from the fault until every instance it
                             failed is up again; nan if that is after the end
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import simpy

from kernsim.config.faults import FaultsSpec, UnitSpec
from kernsim.config.schema import Config
from kernsim.dependability.performability import Reward, Run
from kernsim.engine.monitor import TimeWeighted
from kernsim.engine.sim import Sim
from kernsim.engine.spec import DistValue, from_config
from kernsim.engine.streams import Streams

NAN = math.nan


def simulate(config: Config, seed: np.random.SeedSequence, performance: Run) -> dict[str, Any]:
    """Run one replication of a dependability config; metrics plus ``_samples``.
    ``performance`` runs the performance model of ``[faults.performability]``."""
    return Dependability(config, Streams(seed), performance).run()


class Unit:
    """A unit type: its distributions (as samplers) and its up count."""

    def __init__(self, sim: Sim, name: str, spec: UnitSpec, need: int) -> None:
        self.name, self.count, self.kind = name, spec.count, spec.kind
        self.ttf = _sampler(sim, f"faults.ttf.{name}", spec.ttf)
        self.repair = _sampler(sim, f"faults.repair.{name}", spec.repair)
        self.watchdog = _sampler(sim, f"faults.watchdog.{name}", spec.watchdog)
        self.detect = spec.detect or 0.0
        self.detect_rng = sim.streams.get(f"faults.detect.{name}") if self.detect else None
        self.need = need  # instances that must be up (0: not required)
        self.needs = dict(spec.needs)  # quorum: unit -> instances that must be up
        self.up = spec.count
        self.level = TimeWeighted(0.0, float(spec.count))


class Instance:
    """One instance of a unit."""

    __slots__ = ("domain", "epoch", "fault", "index", "node", "out", "unit", "up")

    def __init__(self, unit: Unit, index: int, node: int) -> None:
        self.unit, self.index, self.node = unit, index, node
        self.up = True
        self.epoch = 0  # bumped at every failure: a pending ttf from before is stale
        self.fault: SpontaneousFault | None = None  # the fault whose cascade took it down
        self.domain: tuple[Instance, ...] = (self,)
        self.out: list[tuple[Instance, float, np.random.Generator]] = []

    def __repr__(self) -> str:
        return f"{self.unit.name}[{self.index}]"


class SpontaneousFault:
    """One spontaneous fault and the instances its cascade failed."""

    __slots__ = ("detected", "down_before", "failed", "origin", "pending", "recovered",
                 "system_down", "t")

    def __init__(self, t: float, origin: Instance, down_before: int) -> None:
        self.t, self.origin, self.down_before = t, origin, down_before
        self.failed: list[Instance] = []
        self.pending = 0
        self.recovered = NAN
        self.detected = self.system_down = False

    def nodes(self) -> int:
        """Distinct nodes among the failed instances."""
        return len({i.node for i in self.failed})

    def row(self, n_nodes: int) -> dict[str, Any]:
        nodes = self.nodes()
        return {"t": self.t, "origin": self.origin.unit.name,
                "origin_instance": self.origin.index, "kind": self.origin.unit.kind,
                "detected": self.detected, "blast_radius_components": len(self.failed),
                "blast_radius_nodes": nodes, "all_nodes": nodes == n_nodes,
                "down_before": self.down_before, "system_down": self.system_down,
                "time_to_recovery": self.recovered - self.t}


class Dependability:
    """One replication: instances failing, cascading and being repaired."""

    def __init__(self, config: Config, streams: Streams, performance: Run) -> None:
        exp, spec = config.experiment, config.faults
        self.sim = sim = Sim(streams, exp.warmup)
        self.end = exp.warmup + exp.duration
        need = spec.required()
        self.units = {n: Unit(sim, n, u, need.get(n, 0)) for n, u in spec.units.items()}
        self.instances = {(n, i): Instance(self.units[n], i, u.node_of(i))
                          for n, u in spec.units.items() for i in range(u.count)}
        _link(self.instances, spec, streams)
        self.of_unit = {n: [self.instances[n, i] for i in range(u.count)]
                        for n, u in spec.units.items()}
        self.n_nodes = len({inst.node for inst in self.instances.values()})
        self.crews = simpy.Resource(sim, spec.repair_crews) if spec.repair_crews else None
        self.short = 0  # required units with fewer than ``need`` instances up
        self.down = 0
        self.system = TimeWeighted(0.0, 1.0)
        self.failed = TimeWeighted(0.0, 0.0)
        self.faults: list[SpontaneousFault] = []
        self.outages = 0
        perf = spec.performability
        self.reward = (Reward(perf, exp.seed, performance) if perf is not None
                       else None)  # two time scales
        sim.on_warmup(self._reset)

    def run(self) -> dict[str, Any]:
        self.sim.start()
        for inst in self.instances.values():
            self._arm(inst)
        self.sim.run(until=self.end)
        return self.metrics()

    # --- faults and cascades ---

    def _arm(self, inst: Instance) -> None:
        if inst.unit.ttf is not None:
            self.sim.after(inst.unit.ttf(), self._spontaneous, (inst, inst.epoch))

    def _spontaneous(self, ev: simpy.Event) -> None:
        inst, epoch = ev.value
        if inst.epoch == epoch:  # not failed since this clock was started
            self._cascade(inst)

    def _cascade(self, origin: Instance) -> None:
        fault = SpontaneousFault(self.sim.now, origin, self.down)
        was_up = self.short == 0
        self._fail_domain(origin, fault)
        unit = origin.unit
        fault.detected = bool(unit.detect) and unit.detect_rng.random() < unit.detect
        tried = len(fault.failed) if fault.detected else 0  # caught: the domain does not spread
        while True:
            tried = self._spread(fault, tried)
            if not self._quorum(fault):
                break
        fault.system_down = was_up and self.short > 0
        if self.sim.measuring:
            self.faults.append(fault)
        for inst in fault.failed:
            self._noticed(inst)

    def _spread(self, fault: SpontaneousFault, i: int) -> int:
        """Let ``fault.failed[i:]`` (and whatever they fail) try their edges; return the count."""
        failed = fault.failed
        while i < len(failed):
            for target, p, rng in failed[i].out:
                if target.up and rng.random() < p:
                    self._fail_domain(target, fault)
            i += 1
        return i

    def _quorum(self, fault: SpontaneousFault) -> bool:
        """Fail the units whose needs this cascade broke; True if any instance failed."""
        before, hit = len(fault.failed), {inst.unit.name for inst in fault.failed}
        for name, unit in self.units.items():
            if any(v in hit and self.units[v].up < k for v, k in unit.needs.items()):
                for inst in self.of_unit[name]:
                    if inst.up:
                        self._fail_domain(inst, fault)
        return len(fault.failed) > before

    def _fail_domain(self, inst: Instance, fault: SpontaneousFault) -> None:
        for member in inst.domain:
            if member.up:
                self._set(member, False)
                member.epoch += 1
                member.fault = fault
                fault.failed.append(member)
                fault.pending += 1

    # --- repairs ---

    def _noticed(self, inst: Instance) -> None:
        watchdog = inst.unit.watchdog
        if watchdog is None:
            self._queue(inst)
        else:
            self.sim.after(watchdog(), self._watchdog, inst)

    def _watchdog(self, ev: simpy.Event) -> None:
        self._queue(ev.value)

    def _queue(self, inst: Instance) -> None:
        if self.crews is None:
            self._start_repair(inst, None)
        else:
            req = self.crews.request()
            req.callbacks.append(partial(self._granted, inst))

    def _granted(self, inst: Instance, req: simpy.Event) -> None:
        self._start_repair(inst, req)

    def _start_repair(self, inst: Instance, req: simpy.Event | None) -> None:
        self.sim.after(inst.unit.repair(), self._repaired, (inst, req))

    def _repaired(self, ev: simpy.Event) -> None:
        inst, req = ev.value
        if req is not None:
            self.crews.release(req)
        self._set(inst, True)
        fault, inst.fault = inst.fault, None
        fault.pending -= 1
        if not fault.pending:
            fault.recovered = self.sim.now
        self._arm(inst)

    # --- state and statistics ---

    def _set(self, inst: Instance, up: bool) -> None:
        """Mark ``inst`` up or down and update every level that depends on it."""
        now, unit = self.sim.now, inst.unit
        inst.up = up
        unit.up += 1 if up else -1
        unit.level.update(now, unit.up)
        self.down += -1 if up else 1
        self.failed.update(now, self.down)
        if self.reward is not None:
            self.reward.update(now, unit.name, up)
        if unit.up == unit.need - (0 if up else 1):  # crossed the unit's threshold
            self.short += -1 if up else 1
            if self.short == (0 if up else 1):  # the system changed state
                self.system.update(now, 1.0 if up else 0.0)
                if not up and self.sim.measuring:
                    self.outages += 1

    def _reset(self, now: float) -> None:
        for tw in [self.system, self.failed, *(u.level for u in self.units.values())]:
            tw.reset(now)
        if self.reward is not None:
            self.reward.reset(now)

    def metrics(self) -> dict[str, Any]:
        now, span = self.sim.now, self.end - self.sim.warmup
        avail = self.system.mean(now)
        n_faults, outages = len(self.faults), self.outages
        out: dict[str, Any] = {
            "availability": avail,
            "faults": n_faults,
            "outages": outages,
            "mttf_system": avail * span / outages if outages else NAN,
            "mttr_system": (1 - avail) * span / outages if outages else NAN,
            "failed_mean": self.failed.mean(now),
            "blast_radius_mean": (sum(len(f.failed) for f in self.faults) / n_faults
                                  if n_faults else NAN),
            "blast_radius_nodes_mean": (sum(f.nodes() for f in self.faults) / n_faults
                                        if n_faults else NAN),
            "p_outage_given_fault": outages / n_faults if n_faults else NAN,
            "p_all_nodes_given_fault": (sum(f.nodes() == self.n_nodes for f in self.faults)
                                        / n_faults if n_faults else NAN),
        }
        for name, unit in self.units.items():
            out[f"avail.{name}"] = unit.level.mean(now) / unit.count
        if self.reward is not None:
            out.update(self.reward.metrics(now))
        out["_samples"] = {"faults": [f.row(self.n_nodes) for f in self.faults]}
        return out


def _link(instances: dict[tuple[str, int], Instance], spec: FaultsSpec,
          streams: Streams) -> None:
    """Give every instance its domain and its out-edges (each edge its own stream)."""
    for name in spec.domains:
        group = tuple(instances[m] for m in spec.members(name))
        for inst in group:
            inst.domain = group
    for key, (left, right) in spec.edge_ends().items():
        p = spec.probability(key)
        rng = streams.get(f"faults.edge.{left}->{right}")
        for i, j in spec.pairs(key):
            instances[left, i].out.append((instances[right, j], p, rng))


def _sampler(sim: Sim, stream: str, spec: DistValue | None) -> Callable[[], float] | None:
    if spec is None:
        return None
    return from_config(spec).sampler(sim.streams.get(stream))
