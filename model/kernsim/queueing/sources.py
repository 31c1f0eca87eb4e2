"""Where requests come from: an open arrival stream or a closed set of clients.

A source calls ``net.submit(cls, client)`` on whatever runs requests (the
queueing network or the OS model); a closed source hears of each request's end.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from kernsim.engine.ports import scaled
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
        """Draws the time to the next arrival (µs); :meth:`scale_time` changes it."""
        self._interarrival = interarrival
        self.send = requests.start if requests else net.submit

    def scale_time(self, factor: float | None) -> None:
        """Divide every interarrival time drawn from now on by ``factor`` (None: as built)."""
        self.interarrival = (self._interarrival if factor is None
                             else scaled(self._interarrival, factor))

    def start(self) -> None:
        self.sim.after(self.interarrival(), self._arrive)

    def _arrive(self, _ev) -> None:
        self.send(self.picker.pick())
        self.sim.after(self.interarrival(), self._arrive)


class ClosedSource:
    """``clients`` users, each thinking, submitting one request and waiting for its end.

    ``send`` starts a request (the net's ``submit``, or the clients' ``start``); the
    Model connects the end of a request back here: the net's ``on_complete`` to
    :meth:`completed`, or the clients' ``finished`` to :meth:`next`.
    """

    def __init__(self, sim: Sim, picker: ClassPicker, clients: int,
                 think: Callable[[], float], send: Callable[..., None]) -> None:
        self.sim, self.picker = sim, picker
        self.clients = clients
        self.think = think
        self.send = send

    def start(self) -> None:
        for client in range(self.clients):
            self.sim.after(self.think(), self._submit, client)

    def _submit(self, ev) -> None:
        self.send(self.picker.pick(), ev.arg)

    def completed(self, req) -> None:
        """``req`` is done: its client thinks, then asks again (:meth:`next`, inlined)."""
        self.sim.after(self.think(), self._submit, req.client)

    def next(self, client) -> None:
        """``client``'s request is over (done or given up): think, then ask again."""
        self.sim.after(self.think(), self._submit, client)
