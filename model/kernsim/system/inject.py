"""InjectedFault injection into the OS model: one fault per replication, or recurring faults.

At ``at`` after the warm-up the fault hits its target component (named, or
drawn by ``weights``) and fails the component's whole domain; in a
monolithic kernel that is the kernel, so the node and every job on it. It
spreads along ``edges`` (``"a->b" = p``: an independent cascade over
components, each newly failed component trying each out-edge once; a
component that fails takes its domain with it). Jobs inside a failed domain
are lost: a crashed server's callers get an error after ``error_delay``; a
hung server's callers get one after ``server_timeout`` (never, if unset);
clients of a crashed kernel learn of it when it is back (their processes
restart). While a server is down, calls into it fail the same way; while the
kernel is down, clients wait. Each failed domain restarts after a draw from
``restarts[domain]``, else ``reboot`` (kernel) or ``restart`` (server).

Kinds
    ``crash`` and ``hang`` fail at once, as above. ``corruption``: one draw
    (stream ``faults.detect``) decides whether a checker catches it at once
    (probability ``detect``, default 0): caught, the checker stops the
    origin's domain (as a crash) and nothing spreads; not caught, the
    component goes on serving from corrupt state for a ``latency`` draw
    (stream ``faults.latency``, default 0), then the origin's domain fails
    and the fault spreads along ``edges`` as a crash does. Requests of the
    classes through the origin that complete in between are counted as
    ``corrupt_results`` (wrong answers served; counted when they complete,
    so a request that visited the origin just before the fault and completes
    after it counts too).
Locks (``locks``)
    ``release`` (default): a lock held by a job of a failed domain is freed.
    ``poison``: it is poisoned (:mod:`kernsim.system.poison`): its waiters and
    every later acquirer fail with an error, until the domain restarts.
Recurring faults (``ttf``)
    Instead of one fault at ``at``: the first fault comes a ``ttf`` draw
    (stream ``faults.ttf``) after the warm-up, and after every recovery
    (every domain the fault failed is back) the next one comes a fresh
    ``ttf`` draw later (a renewal process; faults never overlap). Each
    fault draws its target as above.
Forced down (``down``)
    The listed components' domains (or the listed domains) are down from time
    0 for the whole run and no fault is injected: a degraded state of the
    system, as the two-scale mode (:mod:`kernsim.dependability.performability`) needs.

Results: one ``_samples`` row ``faults`` per fault: ``t``, ``origin``,
``kind``, ``detected`` (corruption caught at once), ``blast_radius_components``
(components whose domain failed), ``blast_radius_nodes``, ``system_down`` (no
request class can be served), ``requests_lost`` (jobs inside failed domains),
``poisoned_locks``, ``poison_failures`` (jobs failed on them),
``corrupt_results``, ``requests_failed`` and ``requests_retried`` (the
clients' failed requests and retries from the fault until the next fault or
the end of the run: everything after it is its consequence, plus whatever
fails or retries at that load without a fault), ``time_to_failure`` (the latency of an undetected
corruption, else 0) and ``time_to_recovery`` (from the fault until every
failed domain is back; nan if not by the end). Metrics: ``availability``
(fraction of the window with every domain up), ``faults`` (faults in the
window); with one fault, its row as ``fault.*``; with ``ttf``, totals
``fault.requests_lost``, ``fault.requests_failed``, ``fault.requests_retried``, ``fault.poisoned_locks``, ``fault.poison_failures``,
``fault.corrupt_results``, ``fault.system_down``, ``fault.detected`` and means
``fault.blast_radius_mean``, ``fault.time_to_recovery_mean``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from kernsim.config.faults import InjectionSpec
from kernsim.config.schema import Config
from kernsim.engine.ports import Ports
from kernsim.engine.sim import Sim
from kernsim.engine.spec import DistValue, from_config
from kernsim.queueing.clients import Requests

NAN = math.nan


class InjectedFault:
    """One injected fault: where and when it struck, what it failed, when all was back."""

    def __init__(self, t: float, origin: str, kind: str, detected: bool) -> None:
        self.t, self.origin, self.kind, self.detected = t, origin, kind, detected
        self.failed_at = self.recovered = NAN
        self.pending: set[str] = set()
        self.components = self.nodes = self.lost = self.poisoned = self.corrupt = 0
        self.poison_base = self.poison_failures = 0
        self.system_down = False
        self.base: dict[str, int] = {}  # the clients' counts when it struck
        self.requests_failed = self.requests_retried = 0

    def row(self) -> dict[str, Any]:
        return {"t": self.t, "origin": self.origin, "kind": self.kind,
                "detected": self.detected, "blast_radius_components": self.components,
                "blast_radius_nodes": self.nodes, "system_down": self.system_down,
                "requests_lost": self.lost, "poisoned_locks": self.poisoned,
                "poison_failures": self.poison_failures, "corrupt_results": self.corrupt,
                "requests_failed": self.requests_failed,
                "requests_retried": self.requests_retried,
                "time_to_failure": self.failed_at - self.t,
                "time_to_recovery": self.recovered - self.t}

    def attribute(self, counts: dict[str, int]) -> None:
        """Clients' failures and retries since the fault struck (``counts``: now)."""
        if self.base:
            self.requests_failed = counts["failed"] - self.base["failed"]
            self.requests_retried = counts["retries"] - self.base["retries"]

    def downtime(self, lo: float, hi: float) -> float:
        """Time within [lo, hi] with a domain of this fault down."""
        if math.isnan(self.failed_at):
            return 0.0
        end = hi if math.isnan(self.recovered) else min(self.recovered, hi)
        return max(0.0, end - max(self.failed_at, lo))


class Injector(Ports):
    """Schedules the faults, spreads them, restarts what failed, and reports.

    The kernel's ``on_complete`` port is connected to :meth:`completed`, which
    counts the wrong answers of a corruption in progress and passes every job on
    to ``downstream`` (a port: whoever would otherwise hear of completions).
    """

    PORTS = ("downstream",)

    def __init__(self, sim: Sim, kernel, spec: InjectionSpec, config: Config,
                 requests: Requests | None = None) -> None:
        self.sim, self.kernel, self.spec, self.config = sim, kernel, spec, config
        self.requests = requests
        """The clients (:class:`kernsim.queueing.clients.Requests`), whose counts each
        fault's row reports; None without them."""
        self.downstream: Callable = lambda job: None
        """Hears of every completed job after the corruption count (a port)."""
        self.corrupting: list[tuple[InjectedFault, set[int]]] = []
        """Corruptions in progress: the fault and the classes through its origin."""
        streams = sim.streams
        self.rng = streams.get("faults.edges")
        self.target_rng = streams.get("faults.target")
        self.detect_rng = streams.get("faults.detect")
        self.latency = from_config(spec.latency or 0.0).sampler(streams.get("faults.latency"))
        self.ttf = _sampler(spec.ttf, streams.get("faults.ttf"))
        first = self.ttf() if self.ttf else from_config(spec.at).sample(streams.get("faults.at"))
        self.t = sim.warmup + first
        self.error = from_config(spec.error_delay).sampler(streams.get("faults.error"))
        self.hang_timeout = _sampler(spec.server_timeout, streams.get("faults.server_timeout"))
        self.faults: list[InjectedFault] = []

    def _pick(self, rng: np.random.Generator) -> str:
        names = list(self.config.components)
        weights = np.array([self.spec.weights.get(n, 1.0) for n in names])
        return names[int(rng.choice(len(names), p=weights / weights.sum()))]

    def start(self) -> None:
        if self.spec.down is None:
            self.sim.after(self.t, self._fault)
            return
        for name in self.spec.down:
            domain = name if name in self.config.domains else self.config.components[name].domain
            if domain not in self.kernel.down:
                self.kernel.fail_domain(domain, "crash")

    def error_after(self, how: str) -> float | None:
        """When a lost job's caller hears of it (None: never, or at the kernel's restart)."""
        if how == "crash":
            return self.error()
        if how == "hang" and self.hang_timeout is not None:
            return self.hang_timeout()
        return None

    # --- one fault ---

    def _fault(self, _ev) -> None:
        origin = self.spec.target or self._pick(self.target_rng)
        kind = self.spec.kind
        detected = kind == "corruption" and self.detect_rng.random() < (self.spec.detect or 0.0)
        fault = InjectedFault(self.sim.now, origin, kind, detected)
        self._attribute()
        fault.base = dict(self.requests.counts) if self.requests else {}
        self.faults.append(fault)
        if kind != "corruption" or detected:
            self._fail(fault, spread=not detected)
            return
        through = {i for i, cls in enumerate(self.config.classes().values())
                   if fault.origin in cls.path}
        watch = (fault, through)
        self.corrupting.append(watch)  # completions through the origin are wrong answers
        delay = self.latency()
        if delay > 0:
            self.sim.after(delay, self._corrupt_fails, watch)
        else:
            self._corrupt_fails_now(watch)

    def completed(self, job) -> None:
        """A job finished: a wrong answer if a corruption on its path is in progress."""
        for fault, through in self.corrupting:
            if job.cls in through:
                fault.corrupt += 1
        self.downstream(job)

    def _corrupt_fails(self, ev) -> None:
        self._corrupt_fails_now(ev.value)

    def _corrupt_fails_now(self, watch: tuple[InjectedFault, set[int]]) -> None:
        self.corrupting.remove(watch)
        self._fail(watch[0], spread=True)

    def _fail(self, fault: InjectedFault, spread: bool) -> None:
        """Fail the origin's domain (and, if ``spread``, what the cascade reaches)."""
        failed = self._cascade(fault.origin) if spread else self._with_domain(fault.origin, [])
        domains = list(dict.fromkeys(self.config.components[c].domain for c in failed))
        how = "crash" if fault.kind == "corruption" else fault.kind
        poison = self.kernel.poison
        before = poison.poisoned if poison else 0
        fault.poison_base = poison.failed if poison else 0
        fault.lost = sum(self.kernel.fail_domain(d, how) for d in domains)
        fault.poisoned = poison.poisoned - before if poison else 0
        fault.failed_at = self.sim.now
        fault.pending = set(domains)
        fault.components = len(failed)
        fault.nodes = len({self.config.domains[d].node for d in domains})
        fault.system_down = self._system_down(failed)
        for domain in domains:
            self.sim.after(self._restart_time(domain), self._restore, (fault, domain))

    def _cascade(self, origin: str) -> list[str]:
        """Components failed by the fault: the origin's domain, then edges tried once each."""
        failed = self._with_domain(origin, [])
        frontier = list(failed)
        ends = self.spec.edge_ends()
        while frontier:
            a = frontier.pop(0)
            for key, (src, dst) in ends.items():
                if src == a and dst not in failed and self.rng.random() < self.spec.edges[key]:
                    new = self._with_domain(dst, failed)
                    failed += new
                    frontier += new
        return failed

    def _with_domain(self, name: str, failed: list[str]) -> list[str]:
        domain = self.config.components[name].domain
        mates = [c for c, spec in self.config.components.items() if spec.domain == domain]
        return [name] + [c for c in mates if c != name and c not in failed]

    def _system_down(self, failed: list[str]) -> bool:
        return all(any(c in failed for c in cls.path) for cls in self.config.classes().values())

    def _restart_time(self, domain: str) -> float:
        spec = self.spec.restarts.get(domain)
        if spec is None:
            kernel = self.config.domains[domain].kind == "kernel"
            spec = self.spec.reboot if kernel else self.spec.restart
        return from_config(spec).sample(self.sim.streams.get(f"faults.restart.{domain}"))

    def _restore(self, ev) -> None:
        fault, domain = ev.arg
        self.kernel.restore(domain)
        fault.pending.discard(domain)
        if fault.pending:
            return
        fault.recovered = self.sim.now
        self._settle(fault)
        if self.ttf:
            self.sim.after(self.ttf(), self._fault)

    def _settle(self, fault: InjectedFault) -> None:
        poison = self.kernel.poison
        if poison and not math.isnan(fault.failed_at):
            fault.poison_failures = poison.failed - fault.poison_base

    # --- results ---

    def rows(self) -> list[dict[str, Any]]:
        """One ``faults`` sample row per fault so far."""
        for fault in self.faults:
            if math.isnan(fault.recovered):
                self._settle(fault)
        self._attribute()
        return [f.row() for f in self.faults]

    def _attribute(self) -> None:
        """The latest fault owns the clients' failures and retries until the next one."""
        if self.faults and self.requests:
            self.faults[-1].attribute(self.requests.counts)

    def metrics(self, end: float) -> dict[str, Any]:
        """``availability`` and ``faults`` over the window, and the faults' ``fault.*``."""
        lo = self.sim.warmup
        window = end - lo
        if self.spec.down is not None:
            return {"availability": 0.0 if self.spec.down else 1.0, "faults": 0}
        if not self.faults:  # recurring faults: zero totals, so every replication counts
            return {**(_totals([]) if self.ttf else {}), "availability": 1.0, "faults": 0}
        down = sum(f.downtime(lo, end) for f in self.faults)
        rows = self.rows()
        out = _one(rows[0]) if self.ttf is None else _totals(rows)
        out["faults"] = len(rows)
        out["availability"] = 1.0 - down / window if window > 0 else NAN
        return out


def _one(row: dict[str, Any]) -> dict[str, Any]:
    out = {f"fault.{k}": v for k, v in row.items() if k not in ("origin", "kind")}
    out["fault.system_down"] = int(row["system_down"])
    out["fault.detected"] = int(row["detected"])
    return out


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = {f"fault.{k}": sum(int(r[k]) for r in rows)
           for k in ("requests_lost", "requests_failed", "requests_retried", "poisoned_locks",
                     "poison_failures", "corrupt_results", "system_down", "detected")}
    ttr = [r["time_to_recovery"] for r in rows if not math.isnan(r["time_to_recovery"])]
    out["fault.time_to_recovery_mean"] = sum(ttr) / len(ttr) if ttr else NAN
    out["fault.blast_radius_mean"] = (sum(r["blast_radius_components"] for r in rows) / len(rows)
                                      if rows else NAN)
    return out


def _sampler(spec: DistValue | None, rng: np.random.Generator) -> Callable[[], float] | None:
    return None if spec is None else from_config(spec).sampler(rng)
