"""End-to-end statistics of requests: counts, response times, throughput."""

from __future__ import annotations

import numpy as np

from kernsim.engine.monitor import Quantiles, Tally
from kernsim.engine.sim import Sim

#: native buckets of :class:`Quantiles` (relative width ≈ 0.1%) merged into one bucket of
#: the ``latency_histogram`` samples table: ≈ 1% wide, a few hundred rows per replication
HISTOGRAM_MERGE = 10


class Outcomes:
    """Counts every request in and out; tallies response times after the warm-up.

    Response times go to :class:`Quantiles` (bounded memory: percentiles exact up
    to its first block, within its relative error ``alpha`` after). A pilot run
    that needs every value in completion order calls :meth:`trace`.
    """

    def __init__(self, sim: Sim, class_names: list[str], wait_name: str = "wait_mean") -> None:
        self.sim = sim
        self.wait_name = wait_name
        self.class_names = class_names
        self.arrived = 0
        self.completed = 0
        self.counted = 0
        self.wait_sum = 0.0
        self.response = Quantiles()
        self.by_class = [Quantiles() for _ in class_names]
        self.times: Tally | None = None  # completion times, when a pilot run asks for them
        self.responses: Tally | None = None  # and the response times, in the same order
        sim.on_warmup(self.reset)

    def complete(self, t0: float, cls: int, wait: float) -> None:
        self.completed += 1
        sim = self.sim
        if sim.measuring:
            rt = sim.now - t0
            self.counted += 1
            self.response.add(rt)
            self.by_class[cls].add(rt)
            self.wait_sum += wait
            if self.times is not None:
                self.times.add(sim.now)
                self.responses.add(rt)

    def trace(self) -> None:
        """Also keep every completion time and response time (memory grows with the run)."""
        self.times, self.responses = Tally(), Tally()

    def histogram(self) -> list[dict[str, float]]:
        """The response times of the measured window as ``latency_histogram`` sample rows:
        ``lower`` and ``upper`` bucket edges (µs, the bucket is (lower, upper]) and
        ``count``, one row per non-empty bucket; the counts sum to the requests that
        completed in the window."""
        lower, upper, count = self.response.histogram(HISTOGRAM_MERGE)
        return [{"lower": lo, "upper": hi, "count": n}
                for lo, hi, n in zip(lower.tolist(), upper.tolist(), count.tolist())]

    def reset(self, now: float) -> None:
        self.counted = 0
        self.wait_sum = 0.0
        self.response.reset()
        for tally in self.by_class:
            tally.reset()

    def metrics(self, window: float, in_flight: int) -> dict[str, float]:
        """Per-replication results over the measured window (µs; throughput per s)."""
        rt = self.response
        out = {
            "throughput": self.counted / window * 1e6 if window > 0 else np.nan,
            "response_mean": rt.mean if rt.count else np.nan,
            "response_p50": rt.percentile(50),
            "response_p95": rt.percentile(95),
            "response_p99": rt.percentile(99),
            self.wait_name: self.wait_sum / self.counted if self.counted else np.nan,
            "arrived": self.arrived,
            "completed": self.completed,
            "in_flight": in_flight,
        }
        if len(self.class_names) > 1:
            for name, tally in zip(self.class_names, self.by_class):
                out[f"response_mean.{name}"] = tally.mean if tally.count else np.nan
        return out
