"""``kernsim.experiment.dispatch``: the pooled driver loop against a fake pool whose workers
die or hang on chosen tasks."""

from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool

import pytest

from kernsim.experiment.dispatch import Dispatcher, Stop
from kernsim.experiment.load import load
from kernsim.experiment.tasks import iter_tasks, run_batch


def short_runs(replications: int) -> dict:
    """tiny.toml as ``replications`` runs of 0.5 ms."""
    return {"experiment": {"name": "long", "seed": 5, "replications": replications,
                           "duration": "500us"}}


class FakePool:
    """A pool whose futures finish at once, except the batches ``fate`` names."""

    overhead_s, alarm_in_worker, grace_s, on_expire = 0.0, False, 0.0, "cancelled"

    def __init__(self, fate) -> None:
        self.fate, self.expired = fate, []

    def slots(self, timed: bool) -> int:
        return 2

    def submit(self, fn, tasks, timeout_s):
        fut = cf.Future()
        outcome = self.fate(tasks)
        if outcome == "die":
            fut.set_exception(BrokenProcessPool("a worker died"))
        elif outcome != "hang":
            fut.set_result(run_batch(tasks))
        return fut

    @staticmethod
    def wait(futures, timeout):
        return cf.wait(futures, timeout, return_when=cf.FIRST_COMPLETED).done

    @staticmethod
    def lost(exc):
        return isinstance(exc, BrokenProcessPool)

    @staticmethod
    def killed(exc):
        return False

    @staticmethod
    def running(futures):
        return {f: "w" for f in futures}

    def expire(self, fut):
        self.expired.append(fut)
        return False

    @staticmethod
    def stuck():
        return False


class StuckPool(FakePool):
    """Its futures never resolve until a restart, and it reports itself stuck (a worker
    died and the pool did not notice) while any is in flight."""

    def __init__(self) -> None:
        super().__init__(lambda tasks: "hang")
        self.restarts, self.pending = 0, []

    def submit(self, fn, tasks, timeout_s):
        fut = super().submit(fn, tasks, timeout_s)
        self.pending.append(fut)
        return fut

    def stuck(self):
        return any(not f.done() for f in self.pending)

    def restart(self):
        self.restarts += 1
        self.pending.clear()
        self.fate = lambda tasks: "ok"


def _dispatch(exp, pool, timeout_s=None):
    tasks = list(iter_tasks(exp))
    rows = list(Dispatcher(pool, iter(tasks), len(tasks), timeout_s, None).rows(Stop()))
    return {(r["design_point"], r["replication"]): r for r in rows}


@pytest.mark.scenario
def test_a_task_that_always_kills_its_worker_fails_alone_and_the_rest_finish(experiment_file):
    exp = load(experiment_file("tiny.toml", **short_runs(6)))
    pool = FakePool(lambda tasks: "die" if any(t.replication == 3 for t in tasks) else "ok")
    rows = _dispatch(exp, pool)
    assert sorted(rows) == [(0, r) for r in range(6)]
    assert [k for k, r in rows.items() if "_error" in r] == [(0, 3)]
    assert "worker process died 4 times" in rows[(0, 3)]["_error"]


def test_driver_watchdog_expires_a_task_that_never_returns(experiment_file):
    exp = load(experiment_file("tiny.toml", **short_runs(4)))
    pool = FakePool(lambda tasks: "hang" if tasks[0].replication == 1 else "ok")
    rows = _dispatch(exp, pool, timeout_s=0.05)
    assert rows[(0, 1)]["_error"].startswith("timed out after 0.05 s")
    assert len(pool.expired) == 1
    assert all("_error" not in rows[(0, r)] for r in (0, 2, 3))


def test_a_pool_stuck_on_a_dead_worker_is_restarted_and_its_batches_run_again(experiment_file):
    exp = load(experiment_file("tiny.toml", **short_runs(4)))
    pool = StuckPool()
    rows = _dispatch(exp, pool)
    assert sorted(rows) == [(0, r) for r in range(4)]
    assert all("_error" not in r for r in rows.values())
    assert pool.restarts == 1
