"""A component as a queueing station: ``servers`` workers, a queue, a service time."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from kernsim.engine.monitor import TimeWeighted
from kernsim.engine.ports import Ports, scaled
from kernsim.engine.sim import Sim
from kernsim.queueing.request import Request


class Pause(NamedTuple):
    """What a paused station does with an arrival, and whom it tells once idle."""

    arrival: Callable[[Request], None]
    idle: Callable[[], None]


class Station(Ports):
    """Serves requests with ``servers`` workers; completion hands them to ``done``
    (its port: the network's ``forward``).

    Callback-driven: a request that finds a free worker costs one SimPy event
    (its service completion); queued requests cost none until they start.
    """

    PORTS = ("done",)

    def __init__(self, sim: Sim, name: str, servers: int, service: Callable[[], float],
                 discipline: str = "fifo") -> None:
        self.sim = sim
        self.name = name
        self.servers = servers
        self.service = service
        """Draws one service time (µs); :meth:`scale_time` changes it for a while."""
        self._service = service
        self.queue: deque[Request] = deque()
        self.take = self.queue.popleft if discipline == "fifo" else self.queue.pop
        self.busy = 0
        self.busy_level = TimeWeighted()
        self.queue_level = TimeWeighted()
        self.wait_sum = 0.0
        self.starts = 0
        self.done: Callable[[Request], None] = lambda req: None
        """Hears of every request whose service here finished (a port)."""
        self.paused: Pause | None = None
        sim.on_warmup(self.reset)

    def scale_time(self, factor: float | None) -> None:
        """Divide every service time drawn from now on by ``factor`` (None: as built)."""
        self.service = self._service if factor is None else scaled(self._service, factor)

    def arrive(self, req: Request) -> None:
        if self.paused is not None:
            self.paused.arrival(req)
        elif self.busy < self.servers:
            self.busy += 1
            self.busy_level.update(self.sim.now, self.busy)
            self._serve(req, 0.0)
        else:
            self.hold(req)

    def hold(self, req: Request) -> None:
        """Queue ``req`` (it waits from now)."""
        req.t_queue = self.sim.now
        self.queue.append(req)
        self.queue_level.update(self.sim.now, len(self.queue))

    def _serve(self, req: Request, wait: float) -> None:
        req.wait += wait
        if self.sim.measuring:
            self.wait_sum += wait
            self.starts += 1
        self.sim.after(self.service(), self._finish, req)

    def _finish(self, ev) -> None:
        now = self.sim.now
        if self.queue and self.paused is None:
            self._start_next(now)
        else:
            self.busy -= 1
            self.busy_level.update(now, self.busy)
        self.done(ev.arg)
        if self.paused is not None and not self.busy:
            self.paused.idle()

    def _start_next(self, now: float) -> None:
        nxt = self.take()
        self.queue_level.update(now, len(self.queue))
        self._serve(nxt, now - nxt.t_queue)

    def pause(self, arrival: Callable[[Request], None], idle: Callable[[], None]) -> None:
        """Take no new work: arrivals go to ``arrival`` (which may :meth:`hold` them),
        requests in service finish, and ``idle()`` runs once no worker is busy."""
        self.paused = Pause(arrival, idle)
        if not self.busy:
            idle()

    def resume(self) -> None:
        """Serve again: idle workers take the queue (FIFO or LIFO as before)."""
        self.paused = None
        now = self.sim.now
        while self.busy < self.servers and self.queue:
            self.busy += 1
            self.busy_level.update(now, self.busy)
            self._start_next(now)

    def holding(self) -> int:
        """Requests at this station now (in service or queued)."""
        return self.busy + len(self.queue)

    def reset(self, now: float) -> None:
        self.busy_level.reset(now)
        self.queue_level.reset(now)
        self.wait_sum = 0.0
        self.starts = 0

    def metrics(self, now: float) -> dict[str, float]:
        n = self.name
        return {
            f"util.{n}": self.busy_level.mean(now) / self.servers,
            f"queue.{n}": self.queue_level.mean(now),
            f"wait.{n}": self.wait_sum / self.starts if self.starts else 0.0,
        }
