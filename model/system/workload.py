"""Where requests come from: an open arrival stream or a closed set of clients.

A source calls ``net.submit(cls, client)`` on whatever runs requests (the
queueing network or the OS model); a closed source needs ``net.on_complete``.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Callable

from model.system.sim import Sim


class ClassPicker:
    """Draws a request class by share, from its own stream."""

    def __init__(self, sim: Sim, shares: list[float]) -> None:
        total = sum(shares)
        self.cum = list(accumulate(s / total for s in shares))[:-1]
        self.uniform = _uniforms(sim) if len(shares) > 1 else None

    def pick(self) -> int:
        return bisect_right(self.cum, self.uniform()) if self.uniform else 0


def _uniforms(sim: Sim, block: int = 1024) -> Callable[[], float]:
    rng = sim.streams.get("workload.class")
    buf: list[float] = []

    def draw() -> float:
        if not buf:
            buf.extend(rng.random(block).tolist()[::-1])
        return buf.pop()

    return draw


class OpenSource:
    """Poisson (or any renewal) arrivals: one SimPy event per arrival."""

    def __init__(self, sim: Sim, net, picker: ClassPicker,
                 interarrival: Callable[[], float]) -> None:
        self.sim, self.net, self.picker = sim, net, picker
        self.interarrival = interarrival

    def start(self) -> None:
        self.sim.after(self.interarrival(), self._arrive)

    def _arrive(self, _ev) -> None:
        self.net.submit(self.picker.pick())
        self.sim.after(self.interarrival(), self._arrive)


class ClosedSource:
    """``clients`` users, each thinking, submitting one request and waiting for it."""

    def __init__(self, sim: Sim, net, picker: ClassPicker, clients: int,
                 think: Callable[[], float]) -> None:
        self.sim, self.net, self.picker = sim, net, picker
        self.clients = clients
        self.think = think
        net.on_complete = self._next

    def start(self) -> None:
        for client in range(self.clients):
            self.sim.after(self.think(), self._submit, client)

    def _submit(self, ev) -> None:
        self.net.submit(self.picker.pick(), ev._value)

    def _next(self, req) -> None:
        self.sim.after(self.think(), self._submit, req.client)
