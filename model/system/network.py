"""The queueing network: stations, the routes requests take, and what completes."""

from __future__ import annotations

from typing import Callable

import numpy as np

from model.engine.monitor import Tally
from model.system.request import Request
from model.system.sim import Sim
from model.system.station import Station

#: a route is a tuple of steps; a step is (station, transport delay sampler or None)
Step = tuple[Station, Callable[[], float] | None]


class Network:
    """Moves requests along their routes and keeps the end-to-end statistics."""

    def __init__(self, sim: Sim, stations: dict[str, Station], class_names: list[str]) -> None:
        self.sim = sim
        self.stations = stations
        self.class_names = class_names
        self.arrived = 0
        self.completed = 0
        self.counted = 0
        self.in_transit = 0
        self.response = Tally()
        self.class_response = [Tally() for _ in class_names]
        self.wait_sum = 0.0
        self.on_complete: Callable[[Request], None] = lambda req: None
        for station in stations.values():
            station.done = self.forward
        sim.on_warmup(self.reset)

    def enter(self, req: Request) -> None:
        """A new request starts its route."""
        self.arrived += 1
        self._move(req)

    def forward(self, req: Request) -> None:
        """A station finished with ``req``: on to the next step, or complete."""
        req.step += 1
        if req.step == len(req.route):
            self._complete(req)
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
        req = ev._value
        req.route[req.step][0].arrive(req)

    def _complete(self, req: Request) -> None:
        self.completed += 1
        if self.sim.measuring:
            rt = self.sim.now - req.t0
            self.counted += 1
            self.response.add(rt)
            self.class_response[req.cls].add(rt)
            self.wait_sum += req.wait
        self.on_complete(req)

    def in_flight(self) -> int:
        """Requests inside the system now, counted where they are."""
        return self.in_transit + sum(s.holding() for s in self.stations.values())

    def reset(self, now: float) -> None:
        self.counted = 0
        self.wait_sum = 0.0
        self.response.reset()
        for tally in self.class_response:
            tally.reset()

    def metrics(self, now: float, window: float) -> dict[str, float]:
        """Per-replication results over the measured window (µs; throughput per s)."""
        rt = self.response
        out = {
            "throughput": self.counted / window * 1e6 if window > 0 else np.nan,
            "response_mean": rt.mean if rt.count else np.nan,
            "response_p50": rt.percentile(50),
            "response_p95": rt.percentile(95),
            "response_p99": rt.percentile(99),
            "wait_mean": self.wait_sum / self.counted if self.counted else np.nan,
            "arrived": self.arrived,
            "completed": self.completed,
            "in_flight": self.in_flight(),
        }
        if len(self.class_names) > 1:
            for name, tally in zip(self.class_names, self.class_response):
                out[f"response_mean.{name}"] = tally.mean if tally.count else np.nan
        for station in self.stations.values():
            out.update(station.metrics(now))
        return out
