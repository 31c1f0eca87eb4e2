"""Moving a component to another node: fine-grained migration or whole-process checkpoint.

One migration per replication (``[migration]``, queueing model only). At
``at`` after the warm-up it starts; ``strategy`` decides what moves and what
stops:

- ``"component"``: the component's own ``state`` bytes move (a component OS
  moves one server); only the component stops.
- ``"checkpoint"``: the whole process is checkpointed, moved and restarted
  (CRIU-style): ``process_state`` bytes (the component's state plus everything
  else the process holds) move, and every component in ``process`` stops with
  the component.

The copy runs at ``bandwidth`` (bytes/µs). Pre-copy (``precopy_rounds`` > 0):
while the component still serves, round 1 sends the whole state and each
later round sends what was dirtied (``dirty_rate`` bytes/µs, at most the whole
state) while the round before it was sent; rounds stream back to back and
stop early once a round would send nothing. Then the stop: the stopped
components take no new work (arrivals wait in their queues, or are refused
when ``queue_during = false``: the client gets an error at once) and finish
the requests already in service (the *drain*: state quiescence, as MINIX 3
live update waits for it). The final stop-and-copy sends the whole state
without pre-copy, else what was dirtied during the last round and the drain;
its last byte lands ``latency`` later; then ``resume`` (component) or
``restart`` (checkpoint) runs on the new node, and the queues restart there.
With constant values and no drain, for state S, bandwidth B, dirty rate D,
q = D/B < 1 and R rounds: pre-copy sends S(1 - q^R)/(1 - q) bytes, the final
copy S·q^R, and the downtime is S·q^R/B + latency + resume.

Metrics ``migration.*`` (µs, bytes, counts): ``total_time`` (start to back
up), ``downtime`` (stop to back up, drain included), ``drain``,
``bytes_moved``, ``rounds`` (copy rounds, the final one included),
``requests_delayed`` (arrivals at a stopped component while it was down, held
in its queue; a request counts once per stopped component it reaches) and
``requests_lost`` (the same arrivals, refused). Times are nan if the run ends
first. One ``_samples`` row ``migrations`` per replication holds the same
fields plus ``t``, ``component`` and ``strategy``. Moving the state takes no
CPU from the components; the transport delays of a path do not change.
Randomness: ``at``, ``latency``, ``resume`` and ``restart`` draw from the
named streams ``migration.<key>``; sizes and rates are constants.
"""

from __future__ import annotations

import math
from typing import Any

from kernsim.config.migration import MigrationSpec, final_copy, moved_size, precopy
from kernsim.engine.sim import Sim
from kernsim.engine.spec import DistValue, from_config


class Migration:
    """Runs the replication's migration on the queueing network ``net`` and reports it."""

    def __init__(self, sim: Sim, net, spec: MigrationSpec) -> None:
        self.sim, self.net, self.spec = sim, net, spec
        names = [spec.component] + (spec.process if spec.strategy == "checkpoint" else [])
        self.stations = [net.stations[n] for n in dict.fromkeys(names)]
        self.size = moved_size(spec)
        self.sent = precopy(self.size, spec.bandwidth, spec.dirty_rate, spec.precopy_rounds)
        self.t = sim.warmup + self._draw("at", spec.at)
        self.t_stop = self.t_copy = self.t_up = math.nan
        self.delayed = self.lost = 0
        self.bytes = math.nan

    def _draw(self, key: str, spec: DistValue) -> float:
        return from_config(spec).sample(self.sim.streams.get(f"migration.{key}"))

    def start(self) -> None:
        self.sim.after(self.t - self.sim.now, self._precopy)

    def _precopy(self, _ev) -> None:
        self.sim.after(sum(self.sent) / self.spec.bandwidth, self._stop)

    # --- the stop: hold arrivals, let the requests in service finish --------------

    def _stop(self, _ev) -> None:
        self.t_stop = self.sim.now
        for st in self.stations:
            st.pause(lambda req, st=st: self._arrive(st, req), self._drained)

    def _arrive(self, st, req) -> None:
        """A request reaches a stopped component: it waits in the queue, or is refused."""
        if not self.spec.queue_during:
            self.lost += 1
            self.net.on_error(req)
            return
        self.delayed += 1
        st.hold(req)

    def _drained(self) -> None:
        if math.isnan(self.t_copy) and all(st.busy == 0 for st in self.stations):
            self._copy()

    # --- the final copy and the restart on the new node ----------------------------

    def _copy(self) -> None:
        spec, now = self.spec, self.sim.now
        self.t_copy = now
        last = final_copy(self.size, self.sent, spec.bandwidth, spec.dirty_rate,
                          now - self.t_stop)
        self.bytes = sum(self.sent) + last
        up = "restart" if spec.strategy == "checkpoint" else "resume"
        delay = last / spec.bandwidth + self._draw("latency", spec.latency)
        self.sim.after(delay + self._draw(up, getattr(spec, up)), self._up)

    def _up(self, _ev) -> None:
        self.t_up = self.sim.now
        for st in self.stations:
            st.resume()

    # --- results -----------------------------------------------------------------

    def conserved(self) -> bool:
        """Every request that arrived completed, was refused, or is still inside."""
        out = self.net.outcomes
        return out.arrived == out.completed + self.lost + self.net.in_flight()

    def row(self) -> dict[str, Any]:
        """This replication's migration: the ``migrations`` sample row."""
        return {"t": self.t, "component": self.spec.component, "strategy": self.spec.strategy,
                **self._numbers()}

    def _numbers(self) -> dict[str, float]:
        return {"total_time": self.t_up - self.t, "downtime": self.t_up - self.t_stop,
                "drain": self.t_copy - self.t_stop, "bytes_moved": self.bytes,
                "rounds": len(self.sent) + 1, "requests_delayed": self.delayed,
                "requests_lost": self.lost}

    def metrics(self) -> dict[str, float]:
        return {f"migration.{k}": v for k, v in self._numbers().items()}
