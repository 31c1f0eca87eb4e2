"""``kernsim.system.cores``: a node's cores on tiny hand-driven scenarios.

Who gets a core and when (FIFO hand-over, a context switch per hand-over), the
free-core count and its time-weighted level, and the core time per category that
``add``/``add_one``/``account`` record and ``time``/``shares`` report. Every
duration is a small dyadic number, so the expected core times are exact.
"""

from __future__ import annotations

import math

from kernsim.engine.sim import Sim
from kernsim.engine.streams import Streams, task_seed
from kernsim.system.cores import CATEGORIES, Cores, clip, shares
from kernsim.system.job import Job


def make(count: int, switch: float = 0.0, warmup: float = 0.0) -> Cores:
    """``count`` cores on a fresh simulation; each hand-over costs ``switch`` µs."""
    return Cores(Sim(Streams(task_seed(1)), warmup), count, lambda: switch)


def job(cores: Cores) -> Job:
    return Job((), 0, 0.0, None, cores)


def at(cores: Cores, t: float, action) -> None:
    """Run ``action()`` at simulated time ``t``."""
    cores.sim.after(t, lambda call: action())


def only(**times: float) -> dict[str, float]:
    """A core-time dict: the given categories, every other one 0."""
    return {cat: times.get(cat, 0.0) for cat in CATEGORIES}


# --------------------------------------------------------------------------- who holds a core


def four_on_two() -> tuple[Cores, list[Job], list[Job]]:
    """Two cores (a hand-over costs 0.5 µs) and four jobs a, b, c, d asking in this order;
    the list of the jobs that got a core, in order."""
    cores = make(2, switch=0.5)
    jobs = [job(cores) for _ in range(4)]
    ran: list[Job] = []
    for j in jobs:
        cores.acquire(j, ran.append)
    return cores, jobs, ran


def test_acquire_gives_free_cores_at_once_and_queues_the_rest_in_fifo_order():
    cores, (a, b, c, d), ran = four_on_two()
    assert ran == [a, b]
    assert cores.free == 0 and list(cores.holders) == [a, b]
    assert [w for w, _ in cores.waiting] == [c, d]


def test_release_hands_the_core_to_the_longest_waiter_who_pays_a_context_switch():
    cores, (a, b, c, d), ran = four_on_two()
    cores.release(a)
    assert ran == [a, b, c] and list(cores.holders) == [b, c] and cores.free == 0
    assert (a.switch, b.switch, c.switch) == (0.0, 0.0, 0.5)  # only a hand-over costs one
    cores.release(b)
    assert ran == [a, b, c, d] and d.switch == 0.5 and cores.free == 0


def test_release_with_nobody_waiting_frees_the_core():
    cores = make(2)
    a, b = job(cores), job(cores)
    cores.acquire(a, lambda j: None)
    cores.acquire(b, lambda j: None)
    cores.release(a)
    assert cores.free == 1 and list(cores.holders) == [b]
    cores.release(b)
    assert cores.free == 2 and not cores.holders


def test_forget_drops_a_waiting_job_so_the_core_goes_to_the_next():
    cores = make(1)
    a, b, c = (job(cores) for _ in range(3))
    ran: list[Job] = []
    for j in (a, b, c):
        cores.acquire(j, ran.append)
    cores.forget(b)
    cores.forget(job(cores))  # not waiting: nothing happens
    cores.release(a)
    assert ran == [a, c] and not cores.waiting


# --------------------------------------------------------------------------- what add records


def test_add_records_back_to_back_parts_per_category_and_skips_empty_ones():
    cores = make(2)
    cores.add(("user", "kernel", "user", "server"), (1.5, 2.0, 0.25, 0.0), 0.0)
    cores.add_one("spin", 3.0, 10.0)
    cores.add_one("ipc", 0.0, 5.0)
    assert cores.busy == only(user=1.75, kernel=2.0, spin=3.0)


def test_work_started_before_the_window_counts_only_its_part_inside():
    cores = make(2)
    cores.reset(10.0)  # the measured window starts at 10 (the end of a warm-up)
    cores.add(("user", "kernel"), (4.0, 4.0), 8.0)  # user 8..12, kernel 12..16
    cores.add_one("ipc", 3.0, 9.0)  # 9..12
    cores.add_one("spin", 1.0, 5.0)  # 5..6: wholly before the window
    cores.add(("server",), (2.0,), 12.0)
    assert cores.busy == only(user=2.0, kernel=4.0, ipc=2.0, server=2.0)


def test_account_clips_work_cut_short_at_until():
    cores = make(2)
    cores.account([("server", 5.0), ("ipc", 5.0)], 1.0, until=8.0)  # server 1..6, ipc 6..8
    assert cores.busy == only(server=5.0, ipc=2.0)


def test_add_and_add_one_record_what_clip_records_bit_for_bit():
    """Durations that are not exact in binary: the fast path of ``add`` must sum the same
    floats as ``clip`` (``(start + d) - start``, not ``d``)."""
    parts = [("user", 0.1), ("kernel", 0.2), ("user", 0.7), ("spin", 1e-3)]
    cores = make(2)
    cores.add(tuple(c for c, _ in parts[:3]), [d for _, d in parts[:3]], 0.3)
    cores.add_one("spin", 1e-3, 0.3 + 0.1 + 0.2 + 0.7)
    expected = dict.fromkeys(CATEGORIES, 0.0)
    clip(expected, parts, 0.3, 0.0, math.inf)
    assert cores.busy == expected
    assert cores.busy["spin"] != 1e-3  # not vacuous: here (t + d) - t is not d


# --------------------------------------------------------------------------- time and shares


def test_free_cores_are_time_weighted_into_idle_time():
    cores = make(2)
    a = job(cores)
    cores.acquire(a, lambda j: None)  # one core free from 0
    at(cores, 2.0, lambda: cores.release(a))  # two from 2
    cores.sim.run()
    assert cores.time(8.0) == only(idle=1 * 2.0 + 2 * 6.0)


def test_time_counts_the_work_under_way_of_jobs_on_cores_without_recording_it():
    cores = make(2)
    a, b = job(cores), job(cores)
    cores.acquire(a, lambda j: None)
    cores.acquire(b, lambda j: None)
    a.cats, a.batch, a.batch_start = ("user", "kernel"), [4.0, 6.0], 2.0  # user 2..6, kernel 6..12
    b.spin_from = 5.0
    assert cores.time(8.0) == only(user=4.0, kernel=2.0, spin=3.0)
    assert cores.busy == only()


def test_shares_of_every_category_sum_to_one_over_the_window():
    cores = make(2)
    a = job(cores)
    cores.acquire(a, lambda j: None)

    def finish() -> None:
        cores.add(("user", "kernel"), (1.0, 3.0), 0.0)
        cores.release(a)

    at(cores, 4.0, finish)
    cores.sim.run()
    # 2 cores × 8 µs: user 1, kernel 3, idle 1 core × 4 µs + 2 cores × 4 µs
    assert shares([cores], 8.0) == only(user=1 / 16, kernel=3 / 16, idle=12 / 16)
    assert sum(shares([cores], 8.0).values()) == 1.0


def test_shares_of_an_empty_window_are_nan():
    cores = make(2)
    assert all(math.isnan(v) for v in shares([cores], 0.0).values())


def test_sleep_is_idle_core_time_while_a_thread_sleeps_on_a_lock():
    cores = make(2)
    a, b = job(cores), job(cores)
    cores.acquire(a, lambda j: None)
    cores.acquire(b, lambda j: None)
    b.sleep()  # b gives its core up and sleeps: 1 core free, 1 sleeper
    at(cores, 4.0, lambda: b.wake(lambda j: None))  # b takes the free core back
    at(cores, 6.0, lambda: cores.release(a))
    cores.sim.run()
    # free cores: 1 on 0..4, 0 on 4..6, 1 on 6..8 (6 core-µs); asleep with a core free: 0..4
    assert cores.time(8.0) == only(sleep=4.0, idle=2.0)


def test_a_sleeper_counts_as_sleep_only_while_a_core_is_free():
    cores = make(1)
    a, c = job(cores), job(cores)
    cores.acquire(a, lambda j: None)
    a.sleep()  # the only core is free, a sleeps
    at(cores, 2.0, lambda: cores.acquire(c, lambda j: None))  # c takes it: no idle core left
    cores.sim.run()
    assert cores.time(8.0) == only(sleep=2.0)


def test_the_end_of_the_warm_up_clears_the_core_times_and_moves_the_window():
    cores = make(2, warmup=5.0)
    a = job(cores)
    cores.acquire(a, lambda j: None)
    at(cores, 1.0, lambda: cores.add(("user",), (2.0,), 1.0))
    cores.sim.start()
    cores.sim.run()
    assert cores.sim.now == 5.0 and cores.window == 5.0 and cores.busy == only()
    cores.add(("user",), (4.0,), 3.0)  # 3..7: 2 µs inside the window
    assert cores.time(9.0) == only(user=2.0, idle=1 * 4.0)
    assert shares([cores], 9.0)["user"] == 2.0 / (2 * 4.0)
