"""Locks as first-class parts: ticket and MCS spin locks, a blocking mutex, a reader-writer lock.

A job asks with ``request(job, work, mean, cat)``: it waits (spinning on its
core, or asleep without one), holds the lock for its critical section of
``work`` µs (the section's mean is ``mean``) and releases it; the lock then
hands the job back with ``resume(job)``. Every kind is FIFO.

Hand-off cost (Boyd-Wickizer et al. 2012): while ``k ≥ 2`` cores hold or wait
for a ticket lock, an acquisition costs ``c·k/2`` extra (the cache-line
transfers served before the next holder sees the release); with ``k = 1`` (the
holder alone: no other core holds or waits for the line) it costs nothing, so
an uncontended ticket lock is as cheap as its critical section. MCS and the
others cost a constant ``c``. For ticket and MCS the cost is spread over the
hold: critical work of mean ``s`` progresses at rate ``s / (s + h(k))`` and is
re-timed when ``k`` changes. With exponential work this is exactly the
birth–death chain with service rate ``1/(s + h(k))`` in state ``k``: the
Boyd-Wickizer chain, except in state 1, where theirs charges ``c/2``. A
section with no work (``mean = 0``) holds the lock for ``h(k)`` at its grant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from kernsim.engine.monitor import Quantiles
from kernsim.engine.sim import Sim
from kernsim.system.trace import Tracer

KINDS = ("ticket", "mcs", "mutex", "rwlock")


def ticket_handoff(c: float, k: int) -> float:
    """A ticket lock's hand-off with ``k`` cores holding or waiting: ``c·k/2`` when another
    core holds or waits for the line (``k ≥ 2``), nothing for the holder alone."""
    return c * k / 2 if k > 1 else 0.0


class Hold:
    """One critical section in progress: work left, progress rate, when it started."""

    __slots__ = ("cat", "job", "last", "left", "mean", "rate", "start", "token", "work")

    def __init__(self, job, work: float, mean: float, cat: str, now: float) -> None:
        self.job, self.work, self.left, self.mean, self.cat = job, work, work, mean, cat
        self.start = self.last = now
        self.rate = 1.0
        self.token = 0


class Lock:
    """Waiters, statistics and the hand back to the model; FIFO, one holder.

    The public interface is :meth:`request`, :meth:`abandon` (a failed job),
    :meth:`reset` and :meth:`metrics`. A kind of lock changes the protocol
    through these hooks:

    - :meth:`handoff` ``(k)``: the extra cost of an acquisition with ``k``
      cores holding or waiting (:class:`SpinLock`: :func:`ticket_handoff` for
      ticket);
    - :meth:`_can_grant` ``(job)`` / :meth:`_can_grant_head`: whether a new
      request, or the head of the queue, may be granted now (:class:`RWLock`
      lets readers share);
    - :meth:`_wait` ``(job)``: what a waiter does (spin on its core, or sleep
      without one: :class:`Mutex`);
    - :meth:`_hold` ``(job, work, mean, cat, now)``: how a granted section runs
      (:class:`SpinLock` spreads the hand-off over it and re-times it);
    - :meth:`_contention_changed`: ``k`` changed (spin locks re-time the holder);
    - :meth:`_next` ``(now)``: hand the lock to the next waiter(s) on release;
    - :meth:`_left_queue` ``(job)``: a waiter gave up (its job failed).
    """

    spins = True
    """Waiters spin on their cores (False: they sleep, :class:`Mutex`)."""
    poisoned = False
    """Set while a failed domain's job left it poisoned (:mod:`kernsim.system.poison`)."""

    def __init__(self, sim: Sim, name: str, c: float, resume: Callable,
                 tracer: Tracer | None = None) -> None:
        self.sim = sim
        self.name = name
        """The lock's name in the config (``lock.<name>.*`` metrics)."""
        self.c = c
        """The hand-off cost c (µs)."""
        self.resume = resume
        """Hands a job back to the model once its section is over (``Kernel.advance``)."""
        self.waiters: deque = deque()
        """Jobs waiting, in arrival order."""
        self.holds: list[Hold] = []
        """Sections in progress (one, or several readers)."""
        self.k = 0
        """Jobs holding or waiting for the lock (the contention the hand-off sees)."""
        self.acquisitions = 0
        self.wait = Quantiles()
        """Waiting times of the acquisitions since the warm-up."""
        self.hold_sum = 0.0
        self.tracer = tracer
        """Traces sampled jobs' waits and holds (None: no trace)."""
        sim.on_warmup(self.reset)

    def handoff(self, k: int) -> float:
        return self.c

    def request(self, job, work: float, mean: float, cat: str) -> None:
        job.asked = (work, mean, cat, self.sim.now)
        job.lock = self
        self.k += 1
        if self._can_grant(job):
            self._grant(job)
        else:
            self._wait(job)

    def _can_grant(self, job) -> bool:
        return not self.holds and not self.waiters

    def _wait(self, job) -> None:
        job.start_spin(self.sim.now)
        self.waiters.append(job)

    def _grant(self, job) -> None:
        work, mean, cat, asked = job.asked
        now = self.sim.now
        job.wait += now - asked
        if self.tracer is not None:
            self.tracer.waited(job, self, asked, now)
        if self.sim.measuring:
            self.acquisitions += 1
            self.wait.add(now - asked)
        self._hold(job, work, mean, cat, now)

    def _hold(self, job, work: float, mean: float, cat: str, now: float) -> None:
        """``job``'s critical section starts now."""
        hold = Hold(job, work, mean, cat, now)
        self.holds.append(hold)
        job.hold = hold
        self._start(hold)

    def _start(self, hold: Hold) -> None:
        self.sim.after(hold.work + self.handoff(self.k), self._done, (hold, 0))

    def _done(self, ev) -> None:
        hold, token = ev.arg
        if token != hold.token:
            return
        now = self.sim.now
        if self.sim.measuring:
            self.hold_sum += now - hold.start
        self.holds.remove(hold)
        self.k -= 1
        job = hold.job
        if self.tracer is not None:
            self.tracer.held(job, self, hold, now)
        job.end_hold(now)
        job.lock = None
        if self.waiters:  # without waiters, _next grants nobody
            self._next(now)
        self.resume(job)

    def abandon(self, job) -> None:
        """A failed job leaves: out of the queue, or its hold released (the lock recovers,
        unless poisoned: then nobody is granted it)."""
        if job in self.waiters:
            self.waiters.remove(job)
            self._left_queue(job)
        for hold in [h for h in self.holds if h.job is job]:
            hold.token += 1
            self.holds.remove(hold)
        self.k -= 1
        job.lock = None
        job.hold = None
        if not self.poisoned:
            self._next(self.sim.now)
        self._contention_changed()

    def _left_queue(self, job) -> None:
        job.spin_from = None

    def _contention_changed(self) -> None:
        """Hook: ``k`` changed outside a grant or a release."""

    def _next(self, now: float) -> None:
        while self.waiters and self._can_grant_head():
            nxt = self.waiters.popleft()
            nxt.end_spin(now)
            self._grant(nxt)

    def _can_grant_head(self) -> bool:
        return not self.holds

    def reset(self, now: float) -> None:
        self.acquisitions = 0
        self.wait.reset()
        self.hold_sum = 0.0

    def metrics(self) -> dict[str, float]:
        n, w, p = self.acquisitions, self.wait, f"lock.{self.name}"
        return {
            f"{p}.acquisitions": n,
            f"{p}.wait_mean": w.mean if w.count else float("nan"),
            f"{p}.wait_p99": w.percentile(99),
            f"{p}.hold_mean": self.hold_sum / n if n else float("nan"),
        }


class SpinLock(Lock):
    """Ticket (hand-off ``c·k/2`` for ``k ≥ 2``, none alone) or MCS (constant ``c``): waiters
    spin on their cores."""

    def __init__(self, sim: Sim, name: str, c: float, resume: Callable, ticket: bool,
                 tracer: Tracer | None = None) -> None:
        super().__init__(sim, name, c, resume, tracer)
        self.ticket = ticket

    def handoff(self, k: int) -> float:
        return ticket_handoff(self.c, k) if self.ticket else self.c

    def request(self, job, work: float, mean: float, cat: str) -> None:
        """:meth:`Lock.request` with its steps inlined: a free lock nobody waits for is
        granted at once (a wait of 0; ``job.asked`` is set only when the job waits)."""
        sim = self.sim
        now = sim.now
        job.lock = self
        self.k += 1
        if self.holds or self.waiters:  # _wait: spin in line; the holder slows down
            job.asked = (work, mean, cat, now)
            job.spin_from = now
            self.waiters.append(job)
            self._contention_changed()
            return
        if sim.measuring:
            self.acquisitions += 1
            self.wait.add(0.0)  # now - asked
        self._hold(job, work, mean, cat, now)

    def _contention_changed(self) -> None:
        if self.holds and self.holds[0].mean > 0:
            self._retime(self.holds[0])

    def _next(self, now: float) -> None:
        """:meth:`Lock._next`: with one holder at most, one waiter is granted at most."""
        if self.waiters and not self.holds:
            nxt = self.waiters.popleft()
            nxt.end_spin(now)
            self._grant(nxt)

    def _hold(self, job, work: float, mean: float, cat: str, now: float) -> None:
        """``job``'s critical section starts now: :meth:`Lock._hold` with ``_start`` and
        the first ``_retime`` inlined (the same arithmetic: the work left is ``work``)."""
        hold = Hold(job, work, mean, cat, now)
        self.holds.append(hold)
        job.hold = hold
        if mean > 0:
            hold.rate = rate = mean / (mean + self.handoff(self.k))
            hold.token = 1
            self.sim.after(max(work, 0.0) / rate, self._done, (hold, 1))
        else:
            self._start(hold)

    def _retime(self, hold: Hold) -> None:
        """Progress the holder's work at the old rate, then re-time it at the new ``k``."""
        now = self.sim.now
        hold.left = left = hold.left - (now - hold.last) * hold.rate
        hold.last = now
        mean = hold.mean
        hold.rate = rate = mean / (mean + self.handoff(self.k))
        hold.token = token = hold.token + 1
        self.sim.after(max(left, 0.0) / rate, self._done, (hold, token))


class Mutex(Lock):
    """A blocking lock: waiters sleep (their core is free); a wake-up costs a context switch."""

    spins = False

    def _wait(self, job) -> None:
        job.sleep()
        self.waiters.append(job)

    def _left_queue(self, job) -> None:
        job.cores.sleeping(-1)

    def _next(self, now: float) -> None:
        if self.waiters and not self.holds:
            nxt = self.waiters.popleft()
            self.holds.append(Hold(nxt, 0.0, 0.0, "switch", now))  # reserved while it wakes
            nxt.wake(self._woken)

    def _woken(self, job) -> None:
        self.holds.pop(0)
        job.pre = job.take_switch()
        work, mean, cat, asked = job.asked
        job.asked = (work + job.pre, mean, cat, asked)
        self._grant(job)


class RWLock(Lock):
    """Readers share, writers exclude; FIFO (a waiting writer blocks later readers); spinning."""

    def __init__(self, sim: Sim, name: str, c: float, resume: Callable,
                 write_fraction: float, tracer: Tracer | None = None) -> None:
        super().__init__(sim, name, c, resume, tracer)
        self.write_fraction = write_fraction
        self.rng = sim.streams.get(f"lock.{name}.rw")
        self.draws: list[float] = []

    def request(self, job, work: float, mean: float, cat: str) -> None:
        job.writer = self._coin() < self.write_fraction
        super().request(job, work, mean, cat)

    def _coin(self) -> float:
        if not self.draws:
            self.draws.extend(self.rng.random(1024).tolist())
        return self.draws.pop()

    def _can_grant(self, job) -> bool:
        return not self.waiters and self._compatible(job)

    def _compatible(self, job) -> bool:
        if not self.holds:
            return True
        return not job.writer and not any(h.job.writer for h in self.holds)

    def _can_grant_head(self) -> bool:
        return self._compatible(self.waiters[0])


def make_lock(sim: Sim, name: str, spec, resume: Callable, tracer: Tracer | None = None) -> Lock:
    """A lock of ``spec.kind`` (ticket, mcs, mutex, rwlock) with cache-line cost ``spec.c``,
    traced by ``tracer`` (None: no trace)."""
    if spec.kind in ("ticket", "mcs"):
        return SpinLock(sim, name, spec.c, resume, spec.kind == "ticket", tracer)
    if spec.kind == "mutex":
        return Mutex(sim, name, spec.c, resume, tracer)
    if spec.kind == "rwlock":
        return RWLock(sim, name, spec.c, resume, spec.write_fraction, tracer)
    raise ValueError(f"lock kind {spec.kind!r}: allowed: {', '.join(KINDS)}")

