"""The simulation environment: SimPy's, plus the state every part shares.

This is the only module that touches SimPy's private attributes, for speed on
the hot path: ``Environment._queue`` and ``_eid`` (:meth:`Sim.after` pushes a
:class:`Call` on SimPy's own heap, with SimPy's tie-breaking counter, so
simultaneous events keep SimPy's order), ``_now`` (kept by :meth:`Sim.step`;
the rest of kernsim reads the plain attribute :attr:`Sim.now` instead of
SimPy's ``now`` property), and an event's ``callbacks``, ``_ok``, ``_value``
and ``_defused`` in :meth:`Sim.step`, which is SimPy's ``Environment.step``
with a :class:`Call` run directly.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, Event, EventPriority

from kernsim.engine.streams import Streams


class Call:
    """A scheduled callback: what :meth:`Sim.after` puts on SimPy's queue.

    :meth:`Sim.step` calls ``fn(call)`` when its time comes; the callback reads
    ``arg`` (``value`` too, like a SimPy event's). A slotted object without a
    callback list is cheaper to make than an ``Event``; it cannot be yielded by a
    process.
    """

    __slots__ = ("arg", "fn")
    _ok = True

    def __init__(self, fn: Callable[[Call], None], arg: Any = None) -> None:
        self.fn = fn
        """The callback, called with this call."""
        self.arg = arg
        """What the scheduler handed over for the callback."""

    @property
    def value(self) -> Any:
        return self.arg


_new = object.__new__


class Sim(simpy.Environment):
    """A SimPy environment that also carries the random streams and the warm-up.

    ``after`` schedules a plain callback as one SimPy event: steps that cannot
    block need no process (SimPy's ``latency.py`` puts delay in the channel the
    same way).
    """

    now: float = 0.0  # shadows SimPy's read-only property: an instance attribute here

    def __init__(self, streams: Streams, warmup: float = 0.0) -> None:
        super().__init__()
        self.streams = streams
        """The replication's named random streams."""
        self.warmup = warmup
        """When the statistics start (µs)."""
        self.measuring = warmup <= 0
        """True once the warm-up is over."""
        self.now: float = self._now
        """The simulated time (µs): SimPy's clock, as a plain attribute (kept by :meth:`step`)."""
        self._warmup_hooks: list[Callable[[float], None]] = []

    def after(self, delay: float, fn: Callable[[Call], None], arg: Any = None) -> Call:
        """Call ``fn(call)`` in ``delay`` µs; ``call.value`` is ``arg``.

        The same queue entry as ``schedule(event, NORMAL, delay)`` (so the order
        of simultaneous events is SimPy's), without the method call.
        """
        ev = _new(Call)  # Call(fn, arg) without the __init__ call: this is the hot path
        ev.fn = fn
        ev.arg = arg
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), ev))
        return ev

    def step(self) -> None:
        """Process the next event: SimPy's ``Environment.step``, with a :class:`Call`
        run directly (its one callback, no callback list)."""
        try:
            self._now, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self.now = self._now
        if event.__class__ is Call:
            event.fn(event)
            return
        callbacks, event.callbacks = event.callbacks, None
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1:]
            self.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc

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
