"""The queueing network: stations, the routes requests take, and what completes."""

from __future__ import annotations

from collections.abc import Callable

from kernsim.engine.ports import Ports
from kernsim.engine.sim import Sim
from kernsim.queueing.outcomes import Outcomes
from kernsim.queueing.request import Request
from kernsim.queueing.station import Station

#: a route is a tuple of steps; a step is (station, transport delay sampler or None)
Step = tuple[Station, Callable[[], float] | None]


class Network(Ports):
    """Moves requests along their routes; ``outcomes`` keeps the end-to-end statistics.
    Its stations' ``done`` ports are connected to :meth:`forward`."""

    PORTS = ("on_complete", "on_error")

    def __init__(self, sim: Sim, stations: dict[str, Station], class_names: list[str],
                 routes: list[tuple]) -> None:
        self.sim = sim
        self.stations = stations
        self.routes = routes
        self.outcomes = Outcomes(sim, class_names)
        self.in_transit = 0
        self.on_complete: Callable[[Request], None] = lambda req: None
        """Hears of every request that finished its route (a port)."""
        self.on_error: Callable[[Request], None] = lambda req: None
        """Hears of a failed request (a port; only a migration refusing work fails one)."""

    def submit(self, cls: int, client=None) -> None:
        """A new request of class ``cls`` starts its route."""
        self.outcomes.arrived += 1
        self._move(Request(self.routes[cls], cls, self.sim.now, client))

    def forward(self, req: Request) -> None:
        """A station finished with ``req``: on to the next step, or complete."""
        req.step += 1
        if req.step == len(req.route):
            self.outcomes.complete(req.t0, req.cls, req.wait)
            self.on_complete(req)
        else:
            self._move(req)

    def _move(self, req: Request) -> None:
        station, delay = req.route[req.step]
        if delay is None:
            station.arrive(req)
        else:
            self.in_transit += 1
            self.sim.after(delay(), self._land, req)

    def _land(self, ev) -> None:
        self.in_transit -= 1
        req = ev.arg
        req.route[req.step][0].arrive(req)

    def in_flight(self) -> int:
        """Requests inside the system now, counted where they are."""
        return self.in_transit + sum(s.holding() for s in self.stations.values())

    def conserved(self) -> bool:
        """Every request that arrived completed or is still inside, counted where it is."""
        return self.outcomes.arrived == self.outcomes.completed + self.in_flight()

    def metrics(self, now: float, window: float) -> dict[str, float]:
        out = self.outcomes.metrics(window, self.in_flight())
        for station in self.stations.values():
            out.update(station.metrics(now))
        return out
