"""Server domains (``threads`` workers that jobs enter and leave) and striped locks."""

from __future__ import annotations

from collections import deque

import numpy as np

from kernsim.engine.monitor import Quantiles, TimeWeighted
from kernsim.system.locks import Lock
from kernsim.system.trace import Tracer


class Server:
    """A user-level server: a job holds one of its threads from call to reply.

    A job that finds every thread busy blocks (gives its core up) in FIFO
    order; the thread passes straight to it when one leaves.
    """

    def __init__(self, kernel, name: str, threads: int, cores,
                 tracer: Tracer | None = None) -> None:
        self.kernel = kernel
        self.name = name
        """The domain's name (``util.<name>``)."""
        self.threads = threads
        """Server threads: at most this many jobs inside at once."""
        self.cores = cores
        """The node the domain runs on."""
        self.busy = 0
        """Threads in use now."""
        self.queue: deque = deque()
        """Jobs waiting for a thread (without a core), in arrival order."""
        self.level = TimeWeighted()
        """Busy threads over time."""
        self.tracer = tracer
        """Numbers the threads and traces sampled jobs in them (None: no trace)."""
        if tracer is not None:
            tracer.server(self)
        kernel.sim.on_warmup(self.level.reset)

    def enter(self, job) -> bool:
        """Take a thread now (True), or queue for one without a core (False)."""
        if self.busy < self.threads:
            self.busy += 1
            self.level.update(self.kernel.sim.now, self.busy)
            job.servers.append(self)
            if self.tracer is not None:
                self.tracer.took_thread(self, job, self.kernel.sim.now)
            return True
        job.cores.release(job)
        self.queue.append(job)
        if self.tracer is not None:
            self.tracer.queued_thread(self, job, self.kernel.sim.now)
        return False

    def leave(self, job) -> None:
        """``job`` leaves: its thread passes to the longest waiter, if any."""
        if self.queue:
            nxt = self.queue.popleft()
            nxt.servers.append(self)
            if self.tracer is not None:
                self.tracer.left_thread(self, job, nxt, self.kernel.sim.now)
            nxt.cores.acquire(nxt, self.kernel.advance)
        else:
            self.busy -= 1
            self.level.update(self.kernel.sim.now, self.busy)
            if self.tracer is not None:
                self.tracer.left_thread(self, job, None, self.kernel.sim.now)

    def forget(self, job) -> None:
        """A failed job stops waiting for a thread."""
        if job in self.queue:
            self.queue.remove(job)

    def metrics(self, now: float) -> dict[str, float]:
        return {f"util.{self.name}": self.level.mean(now) / self.threads}


class Striped:
    """``len(locks)`` per-object locks; each request touches one, chosen uniformly."""

    def __init__(self, name: str, locks: list[Lock], rng: np.random.Generator) -> None:
        self.name = name
        self.locks = locks
        self.rng = rng
        self.draws: list[int] = []

    def request(self, job, work: float, mean: float, cat: str) -> None:
        if not self.draws:
            self.draws.extend(self.rng.integers(0, len(self.locks), 1024).tolist())
        self.locks[self.draws.pop()].request(job, work, mean, cat)

    def metrics(self) -> dict[str, float]:
        """Totals over the stripes: acquisitions, mean wait and hold (weighted), worst p99."""
        parts = [lock.metrics() for lock in self.locks]
        n = sum(p[f"lock.{lk.name}.acquisitions"] for p, lk in zip(parts, self.locks))
        waits = Quantiles()
        for lk in self.locks:
            waits.merge(lk.wait)
        hold = sum(lk.hold_sum for lk in self.locks)
        return {
            f"lock.{self.name}.acquisitions": n,
            f"lock.{self.name}.wait_mean": waits.mean if waits.count else np.nan,
            f"lock.{self.name}.wait_p99": waits.percentile(99),
            f"lock.{self.name}.hold_mean": hold / n if n else np.nan,
        }
