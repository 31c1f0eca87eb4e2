"""``kernsim.system.locks``: each lock kind on tiny hand-built scenarios.

Jobs start on cores of their own and ask for the lock at chosen times with a critical
section of ``work`` µs (of mean ``work``); when the lock hands a job back it gives its
core up. Expected grant and release times follow from the module's rules by hand:

- ticket: while ``k ≥ 2`` cores hold or wait, the holder's work runs at rate
  ``s / (s + c·k/2)``, alone (``k = 1``) at rate 1, re-timed when ``k`` changes;
  MCS: ``s / (s + c)``;
- a section with no work holds the lock for the hand-off cost at its grant;
- mutex: waiters sleep without a core; the woken one pays a context switch, and every
  grant costs ``c``; reader-writer: readers share, a waiting writer blocks later readers.

Times with a ticket or MCS rate in them are rationals the model computes as quotients
of floats, so they are compared with a relative 1e-12 (float rounding only); every
other expected value is exact.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from kernsim.engine.sim import Sim
from kernsim.engine.streams import Streams, task_seed
from kernsim.system.cores import CATEGORIES, Cores
from kernsim.system.job import Job
from kernsim.system.locks import KINDS, Lock, Mutex, RWLock, SpinLock, make_lock

REL = 1e-12


class Scene:
    """One lock ``bkl`` of ``kind`` and cost ``c`` on ``count`` cores."""

    def __init__(self, kind: str, c: float, count: int = 4, switch=lambda: 0.0,
                 warmup: float = 0.0, write_fraction: float = 0.0) -> None:
        self.sim = Sim(Streams(task_seed(1)), warmup)
        self.cores = Cores(self.sim, count, switch)
        self.names: dict[Job, str] = {}
        self.done: list[tuple[float, str]] = []
        spec = SimpleNamespace(kind=kind, c=c, write_fraction=write_fraction)
        self.lock = make_lock(self.sim, "bkl", spec, self._resume)

    def _resume(self, job: Job) -> None:
        self.done.append((self.sim.now, self.names[job]))
        self.cores.release(job)

    def job(self, name: str) -> Job:
        j = Job((), 0, 0.0, None, self.cores)
        self.names[j] = name
        self.cores.acquire(j, lambda _: None)
        return j

    def line_up(self, work: float, *names: str) -> list[Job]:
        """Jobs ``names`` ask at 0, in this order, each for a section of ``work`` µs."""
        jobs = [self.job(name) for name in names]
        for j in jobs:
            self.ask(j, work)
        return jobs

    def ask(self, job: Job, work: float, at: float = 0.0) -> None:
        """``job`` asks for the lock at ``at`` (now, if 0) for a section of ``work`` µs."""
        if at:
            self.sim.after(at, lambda call: self.lock.request(job, work, work, "kernel"))
        else:
            self.lock.request(job, work, work, "kernel")

    def at(self, t: float, action) -> None:
        self.sim.after(t, lambda call: action())

    def metrics(self) -> dict[str, float]:
        return self.lock.metrics()


def approx(done: list[tuple[float, str]]) -> list:
    return [(pytest.approx(t, rel=REL), name) for t, name in done]


# --------------------------------------------------------------------------- make_lock


@pytest.mark.parametrize("kind,cls,ticket", [("ticket", SpinLock, True), ("mcs", SpinLock, False),
                                             ("mutex", Mutex, None), ("rwlock", RWLock, None)])
def test_make_lock_builds_the_class_of_each_kind(kind, cls, ticket):
    lock = Scene(kind, 0.5, write_fraction=0.25).lock
    assert type(lock) is cls and lock.c == 0.5 and lock.name == "bkl"
    if ticket is not None:
        assert lock.ticket is ticket
    if cls is RWLock:
        assert lock.write_fraction == 0.25
    assert lock.spins is (cls is not Mutex)


def test_make_lock_refuses_an_unknown_kind_naming_the_allowed_ones():
    with pytest.raises(ValueError, match="lock kind 'spin': allowed: ticket, mcs, mutex, rwlock"):
        Scene("spin", 0.5)
    assert KINDS == ("ticket", "mcs", "mutex", "rwlock")


def test_a_lock_never_acquired_has_no_wait_or_hold_statistics():
    m = Scene("mcs", 1.0).metrics()
    assert m["lock.bkl.acquisitions"] == 0
    assert all(math.isnan(m[f"lock.bkl.{k}"]) for k in ("wait_mean", "wait_p99", "hold_mean"))


# --------------------------------------------------------------------------- ticket and MCS


def test_ticket_grants_in_fifo_order_and_each_hold_costs_c_k_over_2_for_its_k():
    """s = 4, c = 2; a, b, c ask at 0. a holds while k = 3 (b, c spin): 4 + 3 = 7; b holds
    with k = 2: 4 + 2 = 6, until 13; c alone (k = 1, nobody else wants the line): 4 + 0,
    until 17."""
    s = Scene("ticket", 2.0)
    s.line_up(4.0, "a", "b", "c")
    s.sim.run()
    assert s.done == approx([(7.0, "a"), (13.0, "b"), (17.0, "c")])
    m = s.metrics()
    assert m["lock.bkl.acquisitions"] == 3
    assert m["lock.bkl.wait_mean"] == pytest.approx((0 + 7 + 13) / 3, rel=REL)
    assert m["lock.bkl.hold_mean"] == pytest.approx((7 + 6 + 4) / 3, rel=REL)
    assert s.cores.busy["spin"] == pytest.approx(7 + 13, rel=REL)  # waiters spin on their cores
    assert s.cores.busy["kernel"] == pytest.approx(7 + 6 + 4, rel=REL)  # holds, hand-off in


def test_an_uncontended_ticket_lock_costs_nothing_and_mcs_costs_c():
    """One job alone (k = 1) with s = 4, c = 2: no other core holds or waits for the line, so
    the ticket hold is s = 4 exactly; MCS charges its constant c: 6."""
    for kind, hold in (("ticket", 4.0), ("mcs", 6.0)):
        s = Scene(kind, 2.0)
        s.line_up(4.0, "a")
        s.sim.run()
        assert s.done == approx([(hold, "a")]), kind


def test_mcs_hand_off_cost_is_c_whatever_the_number_waiting():
    """s = 4, c = 2; a, b, c ask at 0: every hold is 4 + 2, one after the other."""
    s = Scene("mcs", 2.0)
    s.line_up(4.0, "a", "b", "c")
    s.sim.run()
    assert s.done == approx([(6.0, "a"), (12.0, "b"), (18.0, "c")])
    m = s.metrics()
    assert m["lock.bkl.wait_mean"] == pytest.approx((0 + 6 + 12) / 3, rel=REL)
    assert m["lock.bkl.hold_mean"] == pytest.approx(6.0, rel=REL)


def test_ticket_holder_is_retimed_when_a_waiter_arrives_mid_section():
    """s = 4, c = 2: a alone (k = 1, no hand-off) progresses at rate 1 for 2 µs (2 of its 4
    done), then at 4/6 while b spins (k = 2): the rest 2 takes 3, so a releases at 5; b
    then holds alone, 4 + 0, until 9."""
    s = Scene("ticket", 2.0)
    a, b = s.job("a"), s.job("b")
    s.ask(a, 4.0)
    s.ask(b, 4.0, at=2.0)
    s.sim.run()
    assert s.done == approx([(2 + (4 - 2) * 6 / 4, "a"), (5.0 + 4, "b")])
    assert s.metrics()["lock.bkl.wait_mean"] == pytest.approx((0 + 3) / 2, rel=REL)


def test_a_section_without_work_holds_the_lock_for_the_hand_off_cost_at_its_grant():
    """Ticket, c = 2, sections of 0: a is granted at k = 1 (holds 0), b at k = 2 (holds 2),
    c at k = 1 (holds 0); arrivals after a grant do not re-time a section without work (b
    and c ask before a's hold of 0 ends). MCS holds each for c = 2."""
    s = Scene("ticket", 2.0)
    s.line_up(0.0, "a", "b", "c")
    s.sim.run()
    assert s.done == [(0.0, "a"), (2.0, "b"), (2.0, "c")]
    assert s.metrics()["lock.bkl.hold_mean"] == (0 + 2 + 0) / 3
    s = Scene("mcs", 2.0)
    s.line_up(0.0, "a", "b", "c")
    s.sim.run()
    assert s.done == [(2.0, "a"), (4.0, "b"), (6.0, "c")]


def test_an_abandoning_holder_passes_the_lock_on_at_once_and_its_section_never_ends():
    """MCS without cost: a holds from 0 and fails at 1; b, waiting, is granted at 1."""
    s = Scene("mcs", 0.0)
    a, _ = s.line_up(4.0, "a", "b")
    s.at(1.0, lambda: s.lock.abandon(a))
    s.sim.run()
    assert s.done == [(5.0, "b")] and a.lock is None and a.hold is None
    m = s.metrics()
    assert m["lock.bkl.acquisitions"] == 2 and m["lock.bkl.wait_mean"] == (0 + 1) / 2
    assert s.lock.hold_sum == 4.0  # only b's section ended
    assert s.cores.busy["spin"] == 1.0


def test_an_abandoning_waiter_leaves_the_queue_and_the_next_one_is_granted():
    s = Scene("mcs", 0.0)
    _, b, _ = s.line_up(4.0, "a", "b", "c")
    s.at(1.0, lambda: s.lock.abandon(b))
    s.sim.run()
    assert s.done == [(4.0, "a"), (8.0, "c")]
    assert b.spin_from is None and s.lock.k == 0
    assert s.metrics()["lock.bkl.wait_mean"] == (0 + 4) / 2


def test_a_poisoned_lock_grants_nobody_after_its_holder_fails():
    s = Scene("mcs", 0.0)
    a, b = s.line_up(4.0, "a", "b")
    s.lock.poisoned = True
    s.at(1.0, lambda: s.lock.abandon(a))
    s.sim.run()
    assert s.done == [] and list(s.lock.waiters) == [b] and not s.lock.holds


def test_grants_and_holds_before_the_warm_up_ends_are_not_counted():
    s = Scene("mcs", 0.0, warmup=5.0)
    a, b = s.job("a"), s.job("b")
    s.ask(a, 4.0)  # granted at 0, released at 4: all in the warm-up
    s.ask(b, 4.0, at=6.0)  # granted at 6 without a wait, released at 10
    s.sim.start()
    s.sim.run()
    m = s.metrics()
    assert (m["lock.bkl.acquisitions"], m["lock.bkl.wait_mean"], m["lock.bkl.hold_mean"]) == (
        1, 0.0, 4.0)


# --------------------------------------------------------------------------- mutex


def test_mutex_waiter_sleeps_without_a_core_and_pays_a_context_switch_when_woken():
    """c = 1, switch 1 µs, 2 cores. a (3 µs) holds 0..4; b (2 µs) sleeps on 0..4, is woken
    onto the core it gave up, and holds 4..8: switch 1 + work 2 + c 1."""
    s = Scene("mutex", 1.0, count=2, switch=lambda: 1.0)
    a, b = s.job("a"), s.job("b")
    s.ask(a, 3.0)
    s.ask(b, 2.0)
    assert b not in s.cores.holders and s.cores.free == 1 and s.cores.sleepers == 1
    s.sim.run()
    assert s.done == [(4.0, "a"), (8.0, "b")]
    m = s.metrics()
    assert (m["lock.bkl.acquisitions"], m["lock.bkl.wait_mean"], m["lock.bkl.hold_mean"]) == (
        2, (0 + 4) / 2, (4 + 4) / 2)
    # 2 cores × 8 µs: a's hold 4 and b's 3 are kernel time, b's wake-up a switch; no spin;
    # b asleep on 0..4 with a core free; 1 core free on 4..8
    t = s.cores.time(8.0)
    assert t == {cat: 0.0 for cat in CATEGORIES} | {"kernel": 7.0, "switch": 1.0, "sleep": 4.0,
                                                   "idle": 4.0}
    assert sum(t.values()) == 2 * 8.0


def test_mutex_waiter_woken_without_a_free_core_pays_one_switch_when_handed_one():
    """b sleeps, c takes b's core; at 4 b is woken and waits for a core until a gives its
    core up (at once): the hand-over draws the one switch b's grant pays."""
    draws: list[float] = []

    def switch() -> float:
        draws.append(1.0)
        return 1.0

    s = Scene("mutex", 1.0, count=2, switch=switch)
    a, b = s.job("a"), s.job("b")
    s.ask(a, 3.0)
    s.ask(b, 2.0)
    s.job("c")  # on the core b gave up
    s.sim.run()
    assert s.done == [(4.0, "a"), (8.0, "b")]
    assert draws == [1.0]
    assert s.cores.busy["switch"] == 1.0


# --------------------------------------------------------------------------- reader-writer


def coins(lock: Lock, writers: list[bool]) -> None:
    """Make the lock's next draws say writer or reader, in request order."""
    it = iter([0.0 if w else 1.0 for w in writers])
    lock._coin = lambda: next(it)


def test_rwlock_readers_share_and_a_waiting_writer_blocks_later_readers():
    """c = 1; at 0 reader r1 (3 µs), reader r2 (5), writer w (2), reader r3 (1). r1 and r2
    hold together (until 4 and 6); w waits for both, holds 6..9; r3, behind w, 9..11."""
    s = Scene("rwlock", 1.0, count=4, write_fraction=0.5)
    coins(s.lock, [False, False, True, False])
    r1, r2, w, r3 = s.job("r1"), s.job("r2"), s.job("w"), s.job("r3")
    for j, work in ((r1, 3.0), (r2, 5.0), (w, 2.0), (r3, 1.0)):
        s.ask(j, work)
    assert len(s.lock.holds) == 2 and list(s.lock.waiters) == [w, r3]
    s.sim.run()
    assert s.done == [(4.0, "r1"), (6.0, "r2"), (9.0, "w"), (11.0, "r3")]
    waits = [0.0, 0.0, 6.0, 9.0]
    m = s.metrics()
    assert m["lock.bkl.acquisitions"] == 4
    assert m["lock.bkl.wait_mean"] == sum(waits) / 4
    assert m["lock.bkl.wait_p99"] == float(np.percentile(waits, 99))
    assert m["lock.bkl.hold_mean"] == (4 + 6 + 3 + 2) / 4
    assert s.cores.busy["spin"] == 6.0 + 9.0  # waiters spin


@pytest.mark.parametrize("fraction,done", [
    (0.0, [(3.0, "a"), (3.0, "b")]),  # all readers: both hold at once
    (1.0, [(3.0, "a"), (6.0, "b")]),  # all writers: one after the other
])
def test_rwlock_write_fraction_0_shares_and_1_excludes(fraction, done):
    s = Scene("rwlock", 1.0, write_fraction=fraction)
    a, b = s.job("a"), s.job("b")
    s.ask(a, 2.0)
    s.ask(b, 2.0)
    s.sim.run()
    assert s.done == done
    assert (a.writer, b.writer) == (fraction == 1.0,) * 2
