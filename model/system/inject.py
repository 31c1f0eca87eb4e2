"""Fault injection into the OS model: one fault per replication (a campaign trial).

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

Results (metrics ``fault.*`` and one ``_samples`` row ``faults`` per trial):
``origin``, ``kind``, ``t``, ``blast_radius_components`` (components whose
domain failed), ``blast_radius_nodes``, ``system_down`` (no request class can
be served), ``requests_lost`` (jobs inside failed domains), and
``time_to_recovery`` (until every failed domain is back; nan if not by the end).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.engine.dists import from_config
from model.system.sim import Sim


class Injector:
    """Schedules the trial's fault, spreads it, restarts what failed, and reports."""

    def __init__(self, sim: Sim, kernel, spec: Any, config: Any) -> None:
        self.sim, self.kernel, self.spec, self.config = sim, kernel, spec, config
        kernel.injector = self
        self.rng = sim.streams.get("faults.edges")
        self.target = spec.target or self._pick(sim.streams.get("faults.target"))
        self.t = sim.warmup + from_config(spec.at).sample(sim.streams.get("faults.at"))
        self.error = from_config(spec.error_delay).sampler(sim.streams.get("faults.error"))
        self.hang_timeout = None if spec.server_timeout is None else from_config(
            spec.server_timeout).sampler(sim.streams.get("faults.server_timeout"))
        self.pending: set[str] = set()
        self.row: dict[str, Any] = {}

    def _pick(self, rng: np.random.Generator) -> str:
        names = list(self.config.components)
        weights = np.array([self.spec.weights.get(n, 1.0) for n in names])
        return names[int(rng.choice(len(names), p=weights / weights.sum()))]

    def start(self) -> None:
        self.sim.after(self.t, self._fault)

    def error_after(self, how: str) -> float | None:
        """When a lost job's caller hears of it (None: never, or at the kernel's restart)."""
        if how == "crash":
            return self.error()
        if how == "hang" and self.hang_timeout is not None:
            return self.hang_timeout()
        return None

    def _fault(self, _ev) -> None:
        failed = self._cascade(self.target)
        domains = list(dict.fromkeys(self.config.components[c].domain for c in failed))
        lost = sum(self.kernel.fail_domain(d, self.spec.kind) for d in domains)
        self.pending = set(domains)
        for domain in domains:
            self.sim.after(self._restart_time(domain), self._restore, domain)
        self.row = {"t": self.sim.now, "origin": self.target, "kind": self.spec.kind,
                    "blast_radius_components": len(failed),
                    "blast_radius_nodes": len({self.config.domains[d].node for d in domains}),
                    "system_down": self._system_down(failed), "requests_lost": lost,
                    "time_to_recovery": float("nan")}

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
        self.kernel.restore(ev._value)
        self.pending.discard(ev._value)
        if not self.pending:
            self.row["time_to_recovery"] = self.sim.now - self.t

    def metrics(self, end: float) -> dict[str, Any]:
        """The trial's row as ``fault.*`` metrics plus availability over the window."""
        window = end - self.sim.warmup
        if not self.row:
            return {"availability": 1.0}
        down_until = self.t + self.row["time_to_recovery"] if self.pending == set() else end
        down = max(0.0, min(down_until, end) - max(self.t, self.sim.warmup))
        out = {f"fault.{k}": v for k, v in self.row.items() if k not in ("origin", "kind")}
        out["fault.system_down"] = int(self.row["system_down"])
        out["availability"] = 1.0 - down / window if window > 0 else float("nan")
        return out
