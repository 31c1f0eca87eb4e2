"""A temporary overload and the test for a metastable state after it.

During ``[trigger]`` a component's service slows (capacity drop) or the
arrival rate rises (load spike); the swap happens at the window's ends, so
the model pays nothing outside it. Goodput (requests that succeed) is
counted in bins by the clients; the run is *metastable* when goodput in the
last stretch, ``settle`` × ``length`` after the trigger ended, is still below
``collapse`` × its level before the trigger.
"""

from __future__ import annotations

from typing import Protocol

from kernsim.config.schema import TriggerSpec
from kernsim.engine.sim import Sim


class Scalable(Protocol):
    """What a trigger scales: a station's service times, or the arrivals'."""

    def scale_time(self, factor: float | None) -> None: ...


class Trigger:
    """Slows a station (or speeds up arrivals) for a while; judges recovery afterwards."""

    def __init__(self, sim: Sim, spec: TriggerSpec, knob: Scalable) -> None:
        self.sim, self.spec = sim, spec
        self.knob = knob
        """What the trigger scales: a station's service (capacity drop) or the open
        source's arrivals (load spike); anything with ``scale_time(factor | None)``."""
        self.start_t = sim.warmup + spec.at
        self.end_t = self.start_t + spec.length
        self.tail_t = self.end_t + spec.settle * spec.length
        self.counts = [0, 0, 0]  # successes before, during, and in the tail after the trigger

    def start(self) -> None:
        self.sim.after(self.start_t, self._begin)
        self.sim.after(self.end_t, self._end)

    def _begin(self, _ev) -> None:
        self.knob.scale_time(self.spec.factor)

    def _end(self, _ev) -> None:
        self.knob.scale_time(None)

    def succeeded(self, now: float) -> None:
        if now < self.sim.warmup:
            return
        if now < self.start_t:
            self.counts[0] += 1
        elif now < self.end_t:
            self.counts[1] += 1
        elif now >= self.tail_t:
            self.counts[2] += 1

    def metrics(self, end: float) -> dict[str, float]:
        spans = (self.start_t - self.sim.warmup, self.spec.length, end - self.tail_t)
        before, during, after = (n / span * 1e6 for n, span in zip(self.counts, spans))
        return {"trigger.goodput_before": before, "trigger.goodput_during": during,
                "trigger.goodput_after": after,
                "metastable": int(after < self.spec.collapse * before)}
