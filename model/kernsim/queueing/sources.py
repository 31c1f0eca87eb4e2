"""Where requests come from: an open arrival stream or a closed set of clients.

A source calls ``net.submit(cls, client)`` on whatever runs requests (the
queueing network or the OS model); a closed source needs ``net.on_complete``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from kernsim.engine.sim import Sim


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
    """Poisson (or any renewal) arrivals: one SimPy event per arrival.

    ``requests`` (a ``client.Requests``) adds timeouts and retries; without it
    each arrival is one attempt straight into ``net``.
    """

    def __init__(self, sim: Sim, net, picker: ClassPicker,
                 interarrival: Callable[[], float], requests=None) -> None:
        self.sim, self.net, self.picker = sim, net, picker
        self.interarrival = interarrival
        self.send = requests.start if requests else net.submit

    def start(self) -> None:
        self.sim.after(self.interarrival(), self._arrive)

    def _arrive(self, _ev) -> None:
        self.send(self.picker.pick())
        self.sim.after(self.interarrival(), self._arrive)


class ClosedSource:
    """``clients`` users, each thinking, submitting one request and waiting for its end."""

    def __init__(self, sim: Sim, net, picker: ClassPicker, clients: int,
                 think: Callable[[], float], requests=None) -> None:
        self.sim, self.net, self.picker = sim, net, picker
        self.clients = clients
        self.think = think
        if requests is None:
            self.send = net.submit
            net.on_complete = self._completed
        else:
            self.send = requests.start
            requests.finished = self.next

    def start(self) -> None:
        for client in range(self.clients):
            self.sim.after(self.think(), self._submit, client)

    def _submit(self, ev) -> None:
        self.send(self.picker.pick(), ev._value)

    def _completed(self, req) -> None:
        """``req`` is done: its client thinks, then asks again (:meth:`next`, inlined)."""
        self.sim.after(self.think(), self._submit, req.client)

    def next(self, client) -> None:
        """``client``'s request is over (done or given up): think, then ask again."""
        self.sim.after(self.think(), self._submit, client)
