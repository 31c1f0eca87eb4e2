"""``experiment.sample_every``: a time series of one replication, read off the model's
own counters.

Every ``every`` µs (on a grid anchored at the end of the warm-up, so that one
sample boundary falls on it) a :class:`Sampler` reads the time integrals and
counters the parts already keep for their end-of-run metrics, and records per
metric the value over the interval since the last sample:

- ``mean``: a time integral (µs × level) differenced and divided by the
  interval: ``util.<component or domain>``, ``queue.<station>`` and the core
  shares ``cpu.<category>`` (the same quantities as the results' columns);
- ``rate``: a counter differenced, per second: ``throughput`` (completions),
  ``goodput`` and ``failed`` (logical requests that succeeded / gave up);
- ``level``: the value at the sample's time: ``in_flight``, the OS model's
  ``queue.<domain>`` (jobs waiting for a server thread), ``queue.cores`` (jobs
  waiting for a core) and ``lock.<name>.waiters``.

Reading changes nothing in the model and draws no random number, so results
are bit-identical with sampling on or off; nothing runs on the hot path (one
event per sample). Counters kept only while measuring (``goodput``, ``failed``)
are recorded from the end of the warm-up on. :meth:`Sampler.finish` closes the
last interval at the end of the run, so the series' time average over the
measured window is the end-of-run metric (to rounding).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from kernsim.engine.monitor import TimeWeighted
from kernsim.engine.sim import Sim
from kernsim.queueing.clients import Requests
from kernsim.queueing.network import Network
from kernsim.system.cores import CATEGORIES
from kernsim.system.kernel import Kernel
from kernsim.system.servers import Striped

Reading = Callable[[float], dict[str, float]]


@dataclass(frozen=True)
class Probe:
    """A group of metrics read together: ``read(now)`` gives each metric's reading."""

    read: Reading
    kind: Literal["mean", "rate", "level"]
    """``mean`` (a time integral), ``rate`` (a count) or ``level`` (a value at t)."""
    resets: bool = True
    """Its readings restart from 0 at the end of the warm-up (the part's statistics reset)."""
    warm: bool = True
    """Meaningful during the warm-up (False: the part counts only while measuring)."""


class Sampler:
    """Records interval values of ``probes`` every ``every`` µs from 0 to ``end``."""

    def __init__(self, sim: Sim, every: float, end: float, probes: list[Probe]) -> None:
        self.sim, self.every, self.end, self.probes = sim, every, end, probes
        self.k = -math.floor(sim.warmup / every) if sim.warmup > 0 else 0
        """The next sample's index on the grid ``warmup + k × every``."""
        self.last = 0.0
        self.prev: list[dict[str, float]] = [p.read(0.0) for p in probes]
        self.names = [list(prev) for prev in self.prev]
        """Each probe's metrics, in the order its values are kept."""
        self.kept = [(array("d"), array("d"), array("d")) for _ in probes]
        """Per probe: sample times, interval lengths, values (metric-minor): 8 bytes each."""

    def start(self) -> None:
        """Schedule the samples; call before ``Sim.start`` so that the sample at the end
        of the warm-up runs before the statistics reset (same time, scheduled first)."""
        if self.sim.warmup > 0:
            self.sim.after(self.sim.warmup, self._at_warmup)
        self._schedule()

    def _schedule(self) -> None:
        t = self.sim.warmup + self.k * self.every
        while t <= self.last or self.k == 0 and self.sim.warmup > 0:
            self.k += 1  # past samples; the warm-up's own is scheduled apart, by start
            t = self.sim.warmup + self.k * self.every
        if t < self.end:
            self.sim.after(t - self.sim.now, self._tick)

    def _tick(self, _ev: object) -> None:
        self._sample(self.sim.now)
        self.k += 1
        self._schedule()

    def _at_warmup(self, _ev: object) -> None:
        now = self.sim.now
        if now > self.last:
            self._sample(now)
        self.prev = [{m: 0.0 for m in prev} if p.resets else prev
                     for p, prev in zip(self.probes, self.prev)]

    def finish(self, now: float) -> dict[str, np.ndarray]:
        """Close the last interval at ``now`` (the end of the run); the series as columns
        ``t`` (the interval's end, µs), ``dt`` (its length, µs), ``metric``, ``value``,
        in time order (then probe and metric order)."""
        if now > self.last:
            self._sample(now)
        cols: dict[str, list[np.ndarray]] = {"t": [], "dt": [], "metric": [], "value": []}
        for names, (times, dts, values) in zip(self.names, self.kept):
            k, n = len(names), len(times)
            cols["t"].append(np.repeat(np.frombuffer(times), k))
            cols["dt"].append(np.repeat(np.frombuffer(dts), k))
            cols["metric"].append(np.tile(np.array(names, dtype=object), n))
            cols["value"].append(np.frombuffer(values))
        out = {key: np.concatenate(parts) if parts else np.empty(0)
               for key, parts in cols.items()}
        order = np.argsort(out["t"], kind="stable")
        return {key: column[order] for key, column in out.items()}

    def _sample(self, now: float) -> None:
        dt = now - self.last
        measuring = self.sim.measuring and self.last >= self.sim.warmup
        for i, probe in enumerate(self.probes):
            reading = probe.read(now)
            if probe.warm or measuring:
                prev, (times, dts, values) = self.prev[i], self.kept[i]
                times.append(now)
                dts.append(dt)
                values.extend(_value(probe.kind, reading[m], prev[m], dt) for m in self.names[i])
            self.prev[i] = reading
        self.last = now


def _value(kind: str, x: float, prev: float, dt: float) -> float:
    if kind == "level":
        return float(x)
    per_us = (x - prev) / dt
    return per_us * 1e6 if kind == "rate" else per_us


def probes(net: Network | Kernel, requests: Requests | None) -> list[Probe]:
    """What to read in a replication: the network's or the OS model's parts, and the
    clients' counts when there are clients."""
    out = [Probe(_completions(net), "rate", resets=False),
           Probe(lambda now: {"in_flight": net.in_flight()}, "level")]
    if requests is not None:
        out.append(Probe(lambda now: {"goodput": requests.counts["succeeded"],
                                      "failed": requests.counts["failed"]},
                         "rate", warm=False))
    if isinstance(net, Kernel):
        out.extend(_kernel(net))
    else:
        out.append(Probe(_stations(net), "mean"))
    return out


def _completions(net: Network | Kernel) -> Reading:
    outcomes = net.outcomes
    return lambda now: {"throughput": outcomes.completed}


def _integral(level: TimeWeighted, now: float) -> float:
    """∫ level dt since the window opened (what ``TimeWeighted.mean`` divides)."""
    return level.area + level.level * (now - level.last)


def _stations(net: Network) -> Reading:
    stations = list(net.stations.values())

    def read(now: float) -> dict[str, float]:
        out = {}
        for s in stations:
            out[f"util.{s.name}"] = _integral(s.busy_level, now) / s.servers
            out[f"queue.{s.name}"] = _integral(s.queue_level, now)
        return out
    return read


def _kernel(kernel: Kernel) -> list[Probe]:
    nodes, servers = kernel.nodes, list(kernel.servers.values())
    locks = list(kernel.locks.values())
    count = sum(n.count for n in nodes)

    def cpu(now: float) -> dict[str, float]:
        times = [n.time(now) for n in nodes]
        return {f"cpu.{c}": sum(t[c] for t in times) / count for c in CATEGORIES}

    def domains(now: float) -> dict[str, float]:
        return {f"util.{s.name}": _integral(s.level, now) / s.threads for s in servers}

    def waiting(now: float) -> dict[str, float]:
        out = {f"queue.{s.name}": len(s.queue) for s in servers}
        out["queue.cores"] = sum(len(n.waiting) for n in nodes)
        for lock in locks:
            stripes = lock.locks if isinstance(lock, Striped) else [lock]
            out[f"lock.{lock.name}.waiters"] = sum(len(s.waiters) for s in stripes)
        return out
    return [Probe(cpu, "mean"), Probe(domains, "mean"), Probe(waiting, "level")]
