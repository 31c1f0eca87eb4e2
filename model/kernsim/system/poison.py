"""Poisoned locks: a lock whose holder died inside a failed domain (``locks = "poison"``).

The lock's state may be half-updated, so nobody may take it: at the fault
every job waiting for it fails, and so does every later request for it (its
caller gets an error after ``error_delay``, as from a crashed server), until
the domains whose jobs held it restart (the recovered domain reinitialises
the lock). With ``locks = "release"`` (the default) the dead holder's lock is
simply freed and the next waiter gets it.
"""

from __future__ import annotations

from kernsim.system.locks import Lock


class Poison:
    """The locks failed domains left poisoned, and the jobs they failed."""

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        self.owners: dict[Lock, set[str]] = {}  # poisoned lock -> domains that must restart
        self.poisoned = 0  # poisonings so far
        self.failed = 0  # jobs failed on a poisoned lock so far

    def take(self, domain: str, victims: list) -> list[Lock]:
        """Poison every lock a victim holds (call before the victims are failed)."""
        new = []
        for job in victims:
            lock = job.lock
            if lock is None or not any(h.job is job for h in lock.holds):
                continue
            if lock not in self.owners:
                self.owners[lock] = set()
                lock.poisoned = True
                lock.request = self._refuse  # shadows the class's method until cleared
                self.poisoned += 1
                new.append(lock)
            self.owners[lock].add(domain)
        return new

    def fail_waiters(self, locks: list[Lock]) -> None:
        """Every job still queued for a newly poisoned lock fails."""
        for lock in locks:
            for job in list(lock.waiters):
                self._fail(job)

    def _refuse(self, job, work: float, mean: float, cat: str) -> None:
        self._fail(job)

    def _fail(self, job) -> None:
        self.failed += 1
        self.kernel.fail_job(job, "crash")

    def clear(self, domain: str) -> None:
        """``domain`` restarted: locks no other failed domain still poisons work again."""
        for lock, owners in list(self.owners.items()):
            owners.discard(domain)
            if not owners:
                del self.owners[lock]
                lock.poisoned = False
                del lock.request
