"""Request traces: one span per step of a sampled request (``experiment.trace``).

The kernel, the cores, the server domains and the locks are handed one
:class:`Tracer` at construction (None when tracing is off: each of their steps
then pays one ``is None`` check). A request is sampled when it arrives before
the window ends, with probability ``sample``, drawn from its own stream
``trace.sample`` (so tracing changes no other draw, and no result); the child
of an asynchronous send is traced with its sender, under its own id. Of a
sampled request, every span that overlaps the window is recorded, with its
true start and end (not clipped):

==============  ============================  =================================
kind            resource, unit                what
==============  ============================  =================================
``request``     its class                     its lifetime; category ``done``,
                                              the fault (``crash``, ``hang``,
                                              ``lost``) or ``in flight``
``cpu``         ``node<i>``, core             CPU work; category as ``cpu.*``
                                              (``user``, ``kernel``, ``server``,
                                              ``ipc``, ``switch``, ``spin``)
``core_wait``   ``node<i>``                   waiting for a core (run queue)
``thread``      server domain, thread         holding one of its threads
``thread_wait`` server domain                 queued for a thread (no core)
``lock_wait``   lock                          waiting (spinning or asleep)
``lock_hold``   lock                          the critical section
``io``, ``net`` ``disk``, ``network``         blocked on disk I/O, a message
``fault``       the failed domain's fault     the request failed (instant)
``restart``     domain (request −1)           the domain down until restored
==============  ============================  =================================

Cores and server threads are pools in the model; the tracer numbers them
(lowest free first), for every job, so that a track is one core or thread.
CPU spans repeat the cores' own accounting, part by part with the same
arithmetic, so their sum over a window is the model's CPU time per category
over it (``cpu.*`` when the window is the measured one and ``sample = 1``).
Memory is bounded by the spans in the window (window × rate × sample) and the
open spans of the requests in flight.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable

import numpy as np

#: the columns of a trace (``trace.parquet`` adds design_point and replication)
COLUMNS = ("request", "kind", "resource", "unit", "category", "start", "end")
#: spans a request opens and closes (kept until closed, at most one of each kind)
WAITS = ("core_wait", "thread_wait", "io", "net")


class Slots:
    """Numbers for a pool's members: a job taking one gets the lowest free number."""

    def __init__(self) -> None:
        self.free: list[int] = []
        self.size = 0
        self.of: dict[Hashable, list[tuple[int, float]]] = {}
        """Job -> the numbers it holds, with when it took each (a stack)."""

    def take(self, job, now: float) -> int:
        if self.free:
            n = heapq.heappop(self.free)
        else:
            n, self.size = self.size, self.size + 1
        self.of.setdefault(job, []).append((n, now))
        return n

    def give(self, job) -> tuple[int, float] | None:
        held = self.of.get(job)
        if not held:
            return None
        n, since = held.pop()
        if not held:
            del self.of[job]
        heapq.heappush(self.free, n)
        return n, since

    def current(self, job) -> int:
        held = self.of.get(job)
        return held[-1][0] if held else -1


class Tracer:
    """Records the spans of sampled requests overlapping ``window`` (µs) as columns."""

    def __init__(self, window: list[float], sample: float, rng: np.random.Generator,
                 classes: list[str]) -> None:
        self.lo, self.hi = window
        self.sample = sample
        self.rng = rng
        self.classes = classes
        self.draws: list[float] = []
        self.ids = 0
        self.sampled: dict[Hashable, int] = {}
        """Sampled jobs in the system -> their request ids (a job has no field for it:
        with tracing off, a job costs what it did)."""
        self.columns: dict[str, list] = {c: [] for c in COLUMNS}
        self.opened: dict[tuple[Hashable, str], tuple[float, str]] = {}
        self.cores: dict[Hashable, Slots] = {}
        self.node_names: dict[Hashable, str] = {}
        self.threads: dict[Hashable, Slots] = {}
        self.down: dict[str, tuple[float, str]] = {}

    # --- parts register -----------------------------------------------------------

    def node(self, cores, index: int) -> None:
        self.cores[cores] = Slots()
        self.node_names[cores] = f"node{index}"

    def server(self, server) -> None:
        self.threads[server] = Slots()

    # --- recording ----------------------------------------------------------------

    def _add(self, request: int, kind: str, resource: str, unit: int, category: str,
             start: float, end: float) -> None:
        if end < self.lo or start > self.hi:
            return
        c = self.columns
        c["request"].append(request)
        c["kind"].append(kind)
        c["resource"].append(resource)
        c["unit"].append(unit)
        c["category"].append(category)
        c["start"].append(start)
        c["end"].append(end)

    def _open(self, job, kind: str, resource: str, now: float) -> None:
        if job in self.sampled:
            self.opened[(job, kind)] = (now, resource)

    def _close(self, job, kind: str, now: float) -> None:
        if job in self.sampled:
            span = self.opened.pop((job, kind), None)
            if span is not None:
                self._add(self.sampled[job], kind, span[1], -1, "", span[0], now)

    def _parts(self, job, parts: Iterable[tuple[str, float]], start: float,
               until: float) -> None:
        """CPU parts run back to back from ``start``, with the cores' arithmetic
        (``Cores.add``: each part ends at ``t + d``), cut at ``until``: the time of the
        event that ends them (which the sum of the parts may overshoot by an ulp), so that
        spans on a core never overlap and end within their request's lifetime."""
        cores = job.cores
        unit, node = self.cores[cores].current(job), self.node_names[cores]
        t = start
        for cat, d in parts:
            if d > 0:
                end = t + d
                if t < until:  # a part cut short before it began is no span
                    self._add(self.sampled[job], "cpu", node, unit, cat, t, min(end, until))
                t = end

    # --- requests -----------------------------------------------------------------

    def arrive(self, job, now: float) -> None:
        """A request arrives: sample it (before the window ends)."""
        if now > self.hi:
            return
        if not self.draws:
            self.draws.extend(self.rng.random(1024).tolist())
        if self.draws.pop() < self.sample:
            self.sampled[job] = self.ids
            self.ids += 1

    def fork(self, parent, child) -> None:
        if parent in self.sampled:
            self.sampled[child] = self.ids
            self.ids += 1

    def _lifetime(self, job, outcome: str, now: float) -> None:
        cls = self.classes[job.cls] if job.cls >= 0 else "async"
        self._add(self.sampled[job], "request", cls, -1, outcome, job.t0, now)

    def done(self, job, now: float) -> None:
        """``job`` reached DONE (it has left its servers and locks): it leaves the trace."""
        if job in self.sampled:
            self._lifetime(job, "done", now)
            del self.sampled[job]

    def fail(self, job, how: str, now: float) -> None:
        """A fault took ``job`` out: its spans in progress end now, and it leaves the trace
        (before the kernel releases what it held)."""
        if job in self.sampled:
            self._cut(job, now)
            self._add(self.sampled[job], "fault", "", -1, how, now, now)
            self._lifetime(job, how, now)
            del self.sampled[job]

    def _cut(self, job, now: float) -> None:
        """End every span ``job`` has in progress at ``now`` (CPU as ``Cores.time``)."""
        if job in job.cores.holders:
            for parts, start in job.in_progress():
                self._parts(job, parts, start, now)
        lock = job.lock
        if lock is not None:
            if job.hold is not None:
                self._add(self.sampled[job], "lock_hold", lock.name, -1, "", job.hold.start, now)
            elif job.asked is not None:
                self._add(self.sampled[job], "lock_wait", lock.name, -1, "", job.asked[3], now)
        for kind in WAITS:
            self._close(job, kind, now)
        for server in job.servers:
            held = self.threads[server].of.get(job, ())
            for unit, since in held:
                self._add(self.sampled[job], "thread", server.name, unit, "", since, now)

    def close(self, live: Iterable, now: float) -> None:
        """The run ends: requests in flight end their spans (and lifetimes) now."""
        for job in live:
            if job in self.sampled:
                self._cut(job, now)
                self._lifetime(job, "in flight", now)
        for name, (since, kind) in self.down.items():
            self._add(-1, "restart", name, -1, kind, since, now)
        self.down = {}

    # --- steps --------------------------------------------------------------------

    def cpu(self, job, cats: tuple, durations: list, start: float, now: float) -> None:
        """A CPU burst ended now (``Kernel._batch_done``)."""
        if job in self.sampled:
            self._parts(job, zip(cats, durations), start, now)

    def away(self, job, kind: str, now: float) -> None:
        """Blocked on disk I/O (``io``) or a network message (``net``)."""
        self._open(job, kind, "disk" if kind == "io" else "network", now)

    def back(self, job, now: float) -> None:
        self._close(job, job.away, now)

    # --- cores --------------------------------------------------------------------

    def queued_core(self, cores, job, now: float) -> None:
        self._open(job, "core_wait", self.node_names[cores], now)

    def took_core(self, cores, job, now: float) -> None:
        self.cores[cores].take(job, now)
        self._close(job, "core_wait", now)

    def handed_core(self, cores, job, nxt, now: float) -> None:
        """``job`` gave its core up; ``nxt`` (if any) got it."""
        self.cores[cores].give(job)
        if nxt is not None:
            self.took_core(cores, nxt, now)

    # --- server threads -----------------------------------------------------------

    def took_thread(self, server, job, now: float) -> None:
        self.threads[server].take(job, now)
        self._close(job, "thread_wait", now)

    def queued_thread(self, server, job, now: float) -> None:
        self._open(job, "thread_wait", server.name, now)

    def left_thread(self, server, job, nxt, now: float) -> None:
        held = self.threads[server].give(job)
        if held is not None and job in self.sampled:
            self._add(self.sampled[job], "thread", server.name, held[0], "", held[1], now)
        if nxt is not None:
            self.took_thread(server, nxt, now)

    # --- locks --------------------------------------------------------------------

    def waited(self, job, lock, asked: float, now: float) -> None:
        """``job`` is granted ``lock`` it asked for at ``asked``; a spinning wait was CPU."""
        if job in self.sampled and now > asked:
            self._add(self.sampled[job], "lock_wait", lock.name, -1, "", asked, now)
            if lock.spins:
                self._parts(job, (("spin", now - asked),), asked, now)

    def held(self, job, lock, hold, now: float) -> None:
        """``job``'s critical section ends (before ``Job.end_hold``, with its arithmetic)."""
        if job not in self.sampled:
            return
        self._add(self.sampled[job], "lock_hold", lock.name, -1, "", hold.start, now)
        pre = job.pre
        if pre:
            parts = (("switch", pre), (hold.cat, now - hold.start - pre))
        else:
            parts = ((hold.cat, now - hold.start),)
        self._parts(job, parts, hold.start, now)

    # --- domains ------------------------------------------------------------------

    def failed(self, domain: str, kind: str, now: float) -> None:
        self.down.setdefault(domain, (now, kind))

    def restored(self, domain: str, now: float) -> None:
        since, kind = self.down.pop(domain, (now, ""))
        self._add(-1, "restart", domain, -1, kind, since, now)

    def rows(self) -> dict[str, list]:
        """The recorded spans, as columns (:data:`COLUMNS`)."""
        return self.columns
