"""A node's cores: a pool that running jobs hold, with per-category time accounting.

A job holds a core while it runs on the CPU (user work, traps, kernel or
server work, IPC, spinning on a lock) and gives it up when it blocks (waiting
for a server thread, sleeping on a mutex, thinking). Busy time is accounted
by category, clipped to the measured window, so that the shares of
``CATEGORIES`` sum to one over the window.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from kernsim.engine.monitor import TimeWeighted
from kernsim.engine.sim import Sim
from kernsim.system.trace import Tracer

#: where a core's time goes; ``sleep`` is idle time while threads sleep on locks
CATEGORIES = ("user", "kernel", "server", "ipc", "switch", "spin", "sleep", "idle")


INF = float("inf")


def clip(busy: dict, parts: list, start: float, lo: float, hi: float) -> None:
    """Add each (category, duration) run back to back from ``start`` to ``busy``, within [lo, hi]."""
    t = start
    for cat, d in parts:
        end = t + d
        a, b = max(t, lo), min(end, hi)
        if b > a:
            busy[cat] += b - a
        t = end


class Cores:
    """``count`` identical cores; FIFO hand-over to jobs waiting for one."""

    def __init__(self, sim: Sim, count: int, switch: Callable[[], float],
                 tracer: Tracer | None = None, index: int = 0) -> None:
        self.sim = sim
        self.count = count
        """Cores on the node."""
        self.free = count
        """Cores free now."""
        self.switch = switch
        """Draws a context switch (µs): paid by a job handed a core it waited for."""
        self.waiting: deque = deque()
        """(job, then) pairs waiting for a core, in arrival order."""
        self.holders: dict = {}
        """Jobs on cores; insertion-ordered: summing in a fixed order keeps runs bit-identical."""
        self.sleepers = 0
        """Threads asleep on a blocking lock (their cores idle, counted as sleep)."""
        self.busy = dict.fromkeys(CATEGORIES, 0.0)
        """Core time per category since the window opened (µs)."""
        self.window = 0.0
        """When the measured window opened (the end of the warm-up)."""
        self.free_level = TimeWeighted(0.0, count)
        """Free cores over time."""
        self.sleep_level = TimeWeighted(0.0, 0)
        """Sleeping threads over time (while a core is free)."""
        self.tracer = tracer
        """Numbers the cores and traces sampled jobs on them (None: no trace)."""
        if tracer is not None:
            tracer.node(self, index)
        sim.on_warmup(self.reset)

    def acquire(self, job, then: Callable) -> None:
        """Give ``job`` a core now, or when one frees (then it pays a context switch)."""
        if self.free:
            self.holders[job] = None
            self._set_free(self.free - 1)
            if self.tracer is not None:
                self.tracer.took_core(self, job, self.sim.now)
            then(job)
        else:
            self.waiting.append((job, then))
            if self.tracer is not None:
                self.tracer.queued_core(self, job, self.sim.now)

    def release(self, job) -> None:
        """``job`` gives its core up; the longest waiter gets it."""
        self.holders.pop(job, None)
        if self.waiting:
            nxt, then = self.waiting.popleft()
            self.holders[nxt] = None
            nxt.switch = self.switch()
            if self.tracer is not None:
                self.tracer.handed_core(self, job, nxt, self.sim.now)
            then(nxt)
        else:
            self._set_free(self.free + 1)
            if self.tracer is not None:
                self.tracer.handed_core(self, job, None, self.sim.now)

    def _set_free(self, free: int) -> None:
        """``TimeWeighted.update`` of both levels, inlined (the same arithmetic); the sleep
        level is left alone while it stays 0 (adding 0·Δt changes nothing)."""
        now = self.sim.now
        self.free = free
        level = self.free_level
        level.area += level.level * (now - level.last)
        level.last, level.level = now, free
        sleepers = self.sleepers
        if sleepers and free or self.sleep_level.level:  # min(free, sleepers) or the level
            self.sleep_level.update(now, min(free, sleepers))

    def sleeping(self, delta: int) -> None:
        """A thread starts (+1) or stops (-1) sleeping on a lock."""
        self.sleepers += delta
        self.sleep_level.update(self.sim.now, min(self.free, self.sleepers))

    def account(self, parts: list, start: float, until: float = INF) -> None:
        """Add CPU ``parts`` [(category, duration), ...] run from ``start``, clipped to the
        window (and to ``until``, for work cut short)."""
        clip(self.busy, parts, start, self.window, until)

    def add(self, cats: tuple, durations, start: float) -> None:
        """Add CPU work run back to back from ``start``: ``durations[i]`` µs of category
        ``cats[i]``, clipped to the window (``clip``'s arithmetic, bit for bit)."""
        if start < self.window:
            clip(self.busy, zip(cats, durations), start, self.window, INF)
            return
        busy, t = self.busy, start
        for cat, d in zip(cats, durations):
            if d > 0:
                end = t + d
                busy[cat] += end - t
                t = end

    def add_one(self, cat: str, d: float, start: float) -> None:
        """:meth:`add` for one part (no tuples: a lock hold or a spin ends on the hot path)."""
        if start < self.window:
            clip(self.busy, ((cat, d),), start, self.window, INF)
        elif d > 0:
            self.busy[cat] += (start + d) - start

    def forget(self, job) -> None:
        """A failed job stops waiting for a core."""
        for i, (waiter, _) in enumerate(self.waiting):
            if waiter is job:
                del self.waiting[i]
                return

    def reset(self, now: float) -> None:
        self.window = now
        self.busy = dict.fromkeys(CATEGORIES, 0.0)
        self.free_level.reset(now)
        self.sleep_level.reset(now)

    def time(self, now: float) -> dict[str, float]:
        """Core-time (µs) per category over the window, including work under way."""
        span = now - self.window
        busy = dict(self.busy)
        for job in self.holders:
            for parts, start in job.in_progress():
                clip(busy, parts, start, self.window, now)
        busy["sleep"] = self.sleep_level.mean(now) * span
        busy["idle"] = self.free_level.mean(now) * span - busy["sleep"]
        return busy


def shares(nodes: list[Cores], now: float) -> dict[str, float]:
    """Fraction of all cores' time per category over the window (sums to 1)."""
    total = sum(n.count for n in nodes) * (now - nodes[0].window)
    if total <= 0:
        return dict.fromkeys(CATEGORIES, float("nan"))
    times = [n.time(now) for n in nodes]
    return {cat: sum(t[cat] for t in times) / total for cat in CATEGORIES}
