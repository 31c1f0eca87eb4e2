"""Timing one row of ``kernsim bench``: wall and CPU time of repeated runs, then one
separate run for engine events and peak memory.

Counting (a wrapper around one environment instance's ``step``) and
``tracemalloc`` happen only in that extra run, so they cost nothing in the timed
runs; model code is never changed. :class:`Measurement` holds the raw numbers of
one row and the rates derived from them.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

from kernsim.bench.runs import EventCounter, Measured


@dataclass
class Measurement:
    """One row: timed runs, engine events and peak memory of one extra run, mean waits."""

    key: str
    label: str
    detail: str = ""
    status: str = "ok"                 # ok | unavailable | error
    note: str = ""
    walls_s: list[float] = field(default_factory=list)       # timed runs only
    cpu_s: list[float] = field(default_factory=list)         # their process CPU time
    customers: list[int] = field(default_factory=list)       # per timed run
    waits: list[float] = field(default_factory=list)         # per replication (M/M/c rows)
    events: int | None = None           # engine events of the counting run
    events_customers: int | None = None  # customers served in the counting run
    peak_memory_bytes: int | None = None
    engine: str = "SimPy events"

    @property
    def wall_median_s(self) -> float | None:
        return statistics.median(self.walls_s) if self.walls_s else None

    @property
    def wall_best_s(self) -> float | None:
        return min(self.walls_s) if self.walls_s else None

    def _rates(self, times: list[float]) -> list[float]:
        """Customers per second of each run, over ``times`` (wall or CPU seconds)."""
        return [c / t for c, t in zip(self.customers, times) if c and t > 0]

    def _events_rate(self, times: list[float], customers_rate: float | None) -> float | None:
        """Engine events per second of ``times``: events per customer × ``customers_rate``,
        or the counting run's events over the median time."""
        if self.events is None or not times:
            return None
        if self.events_per_customer is not None and customers_rate is not None:
            return self.events_per_customer * customers_rate
        return self.events / statistics.median(times)

    @property
    def cpu_median_s(self) -> float | None:
        return statistics.median(self.cpu_s) if self.cpu_s else None

    @property
    def customers_per_cpu_s(self) -> float | None:
        rates = self._rates(self.cpu_s)
        return statistics.median(rates) if rates else None

    @property
    def events_per_cpu_s(self) -> float | None:
        return self._events_rate(self.cpu_s, self.customers_per_cpu_s)

    @property
    def customers_per_s(self) -> float | None:
        rates = self._rates(self.walls_s)
        return statistics.median(rates) if rates else None

    @property
    def customers_per_s_best(self) -> float | None:
        rates = self._rates(self.walls_s)
        return max(rates) if rates else None

    @property
    def events_per_customer(self) -> float | None:
        if self.events is None or not self.events_customers:
            return None
        return self.events / self.events_customers

    @property
    def events_per_s(self) -> float | None:
        """Median rate: events per customer × customers/s, or events / median wall."""
        return self._events_rate(self.walls_s, self.customers_per_s)


def timed(run: Callable[[], Measured]) -> tuple[float, float, Measured]:
    """Wall and process CPU time of one call (garbage collected first, not disabled)."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - start, time.process_time() - cpu, result


def counted(run: Callable[[EventCounter], Measured],
            memory: bool) -> tuple[int, int | None, Measured]:
    """One separate run with events counted and, if asked, the tracemalloc peak."""
    counter = EventCounter()
    gc.collect()
    if memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    try:
        result = run(counter)
        peak = tracemalloc.get_traced_memory()[1] if memory else None
    finally:
        if memory:
            tracemalloc.stop()
    return counter.count, peak, result


def measure(key: str, label: str, detail: str,
            run: Callable[[int, EventCounter | None], Measured],
            timed_runs: int, extra_runs: int = 0, memory: bool = True,
            engine: str = "SimPy events") -> Measurement:
    """Time ``run(i, None)`` for i < timed_runs, run it further for mean waits
    (i < timed_runs + extra_runs, untimed in the report), then count ``run(0, counter)``."""
    row = Measurement(key, label, detail, engine=engine)
    for i in range(timed_runs + extra_runs):
        wall, cpu, result = timed(lambda i=i: run(i, None))
        if i < timed_runs:
            row.walls_s.append(wall)
            row.cpu_s.append(cpu)
            row.customers.append(result.customers or 0)
        if result.wait_mean is not None and not math.isnan(result.wait_mean):
            row.waits.append(result.wait_mean)
    row.events, row.peak_memory_bytes, result = counted(lambda c: run(0, c), memory)
    row.events_customers = result.customers
    return row


def unavailable(key: str, label: str, detail: str, note: str,
                status: str = "unavailable") -> Measurement:
    return Measurement(key, label, detail, status=status, note=note)
