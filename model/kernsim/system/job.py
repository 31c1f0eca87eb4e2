"""A job: one system call (or other request) executing its ops on a node's cores."""

from __future__ import annotations

INF = float("inf")


class Job:
    """Where a request is in its op list, and what it is doing with its core.

    The job accounts its own CPU time to ``cores`` (by category) when a CPU
    batch, a spin or a lock hold ends, and partially at the end of a run.
    """

    __slots__ = (
        "asked",
        "away",
        "batch",
        "batch_start",
        "cats",
        "client",
        "cls",
        "cores",
        "dead",
        "hold",
        "lock",
        "ops",
        "pc",
        "pre",
        "servers",
        "spin_from",
        "switch",
        "t0",
        "wait",
        "writer",
    )

    def __init__(self, ops: tuple, cls: int, t0: float, client, cores) -> None:
        self.ops = ops
        """The linked program of its class (:mod:`kernsim.system.program`)."""
        self.pc = 0
        """The next op to run."""
        self.t0 = t0
        """When the request arrived (µs)."""
        self.cls = cls
        """Its class's index; -1 for the child of an asynchronous send."""
        self.client = client
        """Who to tell when it ends (the clients' token, or a closed source's user)."""
        self.cores = cores
        """The node it runs on."""
        self.batch = None
        """Durations of the CPU burst under way, one per category in ``cats``."""
        self.cats = ()
        """The categories of that burst."""
        self.batch_start = 0.0
        """When the burst started."""
        self.spin_from = None
        """When it started spinning on a lock, while it spins."""
        self.hold = None
        """Its critical section in progress (a ``locks.Hold``), if any."""
        self.asked = None
        """Its pending lock request: (work, mean, category, when asked)."""
        self.writer = False
        """A reader-writer lock request is a write."""
        self.switch = 0.0
        """The context switch it owes before its next CPU work (µs)."""
        self.pre = 0.0
        self.wait = 0.0
        """Time spent waiting for locks so far (µs)."""
        self.lock = None
        """The lock it waits for or holds."""
        self.servers: list = []
        """The server domains it is in, innermost last."""
        self.dead = False
        """A fault failed it: pending events for it are ignored."""
        self.away = None
        """``"io"`` or ``"net"`` while it is off its core for I/O or the network."""

    def start_spin(self, now: float) -> None:
        self.spin_from = now

    def end_spin(self, now: float) -> None:
        self.cores.add_one("spin", now - self.spin_from, self.spin_from)
        self.spin_from = None

    def sleep(self) -> None:
        """Block on a mutex: give the core up."""
        self.cores.release(self)
        self.cores.sleeping(+1)

    def wake(self, then) -> None:
        """Woken by a mutex: get a core (maybe after waiting), then ``then(self)``."""
        self.cores.sleeping(-1)
        self.cores.acquire(self, then)

    def take_switch(self) -> float:
        """The context switch this wake-up costs (one already drawn by the core hand-over, else a new one)."""
        sw = self.switch or self.cores.switch()
        self.switch = 0.0
        return sw

    def end_hold(self, now: float) -> None:
        """Account a finished critical section: the wake-up switch, then the hold itself.

        The hold includes its hand-off cost (the holder's work slowed by cache-line
        transfers); only waiters' time counts as ``spin``.
        """
        hold, pre = self.hold, self.pre
        if pre:
            self.cores.add(("switch", hold.cat), (pre, now - hold.start - pre), hold.start)
        else:
            self.cores.add_one(hold.cat, now - hold.start, hold.start)
        self.hold = None
        self.pre = 0.0

    def in_progress(self) -> list[tuple[list, float]]:
        """CPU parts under way now, with their start times (for end-of-run accounting)."""
        out = []
        if self.batch:
            out.append((list(zip(self.cats, self.batch)), self.batch_start))
        if self.spin_from is not None:
            out.append(([("spin", INF)], self.spin_from))
        if self.hold is not None:
            out.append(([("switch", self.pre), (self.hold.cat, INF)], self.hold.start))
        return out
