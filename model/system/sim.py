"""The simulation environment: SimPy's, plus the state every part shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL, Event

from model.engine.streams import Streams


class Sim(simpy.Environment):
    """A SimPy environment that also carries the random streams and the warm-up.

    ``after`` schedules a plain callback as one SimPy event: steps that cannot
    block need no process (SimPy's ``latency.py`` puts delay in the channel the
    same way).
    """

    def __init__(self, streams: Streams, warmup: float = 0.0) -> None:
        super().__init__()
        self.streams = streams
        self.warmup = warmup
        self.measuring = warmup <= 0
        self._warmup_hooks: list[Callable[[float], None]] = []

    def after(self, delay: float, fn: Callable[[Event], None], arg: Any = None) -> Event:
        """Call ``fn(event)`` in ``delay`` µs; ``event.value`` is ``arg``."""
        ev = Event.__new__(Event)
        ev.env = self
        ev.callbacks = [fn]
        ev._ok = True
        ev._value = arg
        self.schedule(ev, NORMAL, delay)
        return ev

    def on_warmup(self, hook: Callable[[float], None]) -> None:
        """Register ``hook(now)`` to run when the warm-up ends (statistics reset)."""
        self._warmup_hooks.append(hook)

    def start(self) -> None:
        if self.warmup > 0:
            self.after(self.warmup, self._end_warmup)

    def _end_warmup(self, _ev: Event) -> None:
        self.measuring = True
        for hook in self._warmup_hooks:
            hook(self.now)
