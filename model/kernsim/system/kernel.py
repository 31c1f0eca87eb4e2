"""The OS-structure model's runtime: requests run their programs on a node's cores.

A request class is a program (:mod:`kernsim.system.program`): CPU work, lock
requests, entering and leaving server domains, blocking I/O, done. The kernel
runs each job's program from its ``pc`` (:meth:`Kernel.advance`): a burst of
CPU work, with the context switch the job owes, is one SimPy event; every other
op is a step that acts at once. It also fails and restores domains for fault
injection, and keeps the counts that check conservation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kernsim.config.schema import Config
from kernsim.engine.dists import Constant
from kernsim.engine.ports import Ports
from kernsim.engine.sim import Sim
from kernsim.engine.spec import DistValue, from_config
from kernsim.queueing.outcomes import Outcomes
from kernsim.system.cores import Cores, shares
from kernsim.system.job import Job
from kernsim.system.locks import Lock, make_lock
from kernsim.system.program import (
    SWITCH,
    Acquire,
    Done,
    Enter,
    Fork,
    Io,
    Leave,
    Move,
    Op,
    compile_class,
    link,
)
from kernsim.system.servers import Server, Striped
from kernsim.system.trace import Tracer

if TYPE_CHECKING:  # the types of two ports (their modules do not import this one)
    from kernsim.system.inject import Injector
    from kernsim.system.poison import Poison



class Kernel(Ports):
    """One node running the workload's system calls through the configured structure.

    Ports (connected by :class:`kernsim.build.Model`): ``on_complete`` and
    ``on_error`` hear of finished and failed jobs; ``injector`` (fault injection)
    says when a lost job's caller hears of it; ``poison`` handles the locks a
    failed domain held (``faults.locks = "poison"``).
    """

    PORTS = ("on_complete", "on_error", "injector", "poison")

    def __init__(self, sim: Sim, config: Config, tracer: Tracer | None = None) -> None:
        self.sim = sim
        self.config = config
        self.tracer = tracer
        """Records sampled requests' spans (None: no trace); handed to every part."""
        system = config.system
        switch = self.sampler("system.context_switch", system.context_switch) or (lambda: 0.0)
        self.nodes = [Cores(sim, system.cores, switch, tracer, i) for i in range(system.nodes)]
        self.cores = self.nodes[0]
        self.servers = {name: Server(self, name, d.threads, self.nodes[d.node], tracer)
                        for name, d in config.domains.items() if d.kind == "server"}
        self.locks = {name: self._lock(name, spec) for name, spec in config.locks.items()}
        classes = config.classes()
        self.outcomes = Outcomes(sim, list(classes), wait_name="lock_wait_mean")
        self.programs = [self._program(compile_class(self, name, cls))
                         for name, cls in classes.items()]
        """One linked program per request class, in class order."""
        self.in_io = 0
        self.in_net = 0
        self.children = 0
        self.live: dict[Job, None] = {}
        self.down: dict[str, str] = {}
        self.kernel_is_down = False  # kept by fail_domain/restore: submit checks it per request
        self.held: list[tuple[int, object]] = []
        self.orphans: list[Job] = []
        self.aborted = 0
        self.on_complete: Callable[[Job], None] = lambda job: None
        """Hears of every job that finished its class's program (a port)."""
        self.on_error: Callable[[Job], None] = lambda job: None
        """Hears of every job a fault failed, when its caller learns of it (a port)."""
        self.injector: Injector | None = None
        """The fault injector, if any (a port): :meth:`Injector.error_after`."""
        self.poison: Poison | None = None
        """Poisoned-lock handling, if configured (a port)."""

    def _lock(self, name: str, spec) -> Lock | Striped:
        if spec.stripes == 1:
            return make_lock(self.sim, name, spec, self.advance, self.tracer)
        locks = [make_lock(self.sim, f"{name}[{i}]", spec, self.advance, self.tracer)
                 for i in range(spec.stripes)]
        return Striped(name, locks, self.sim.streams.get(f"lock.{name}.stripe"))

    def sampler(self, stream: str, spec: DistValue) -> Callable[[], float] | None:
        """A sampler for ``spec``, or None when it is always zero."""
        dist = from_config(spec)
        if isinstance(dist, Constant) and dist.mean == 0:
            return None
        return dist.sampler(self.sim.streams.get(stream))

    # --- running jobs -------------------------------------------------------------

    def submit(self, cls: int, client=None) -> None:
        if self.kernel_is_down:
            self.held.append((cls, client))  # the node is down: its clients wait for the reboot
            return
        self.outcomes.arrived += 1
        job = Job(self.programs[cls], cls, self.sim.now, client, self.cores)
        self.live[job] = None
        if self.tracer is not None:
            self.tracer.arrive(job, self.sim.now)
        self.cores.acquire(job, self.advance)

    def advance(self, job: Job) -> None:
        """Run ``job``'s program from its pc: a burst of CPU work, with the context
        switch the job owes, is one event; other steps act at once."""
        ops = job.ops
        while True:
            op = ops[job.pc]
            if job.switch:
                self._switch(job, op)
                return
            job.pc += 1
            act = op.act
            if act is not None:
                if act(job, op):
                    continue
                return
            if op.one is not None:  # a burst of one op: one draw, no list of draws
                d = op.one()
                if d > 0:
                    self._run(job, op.cats, [d], d)
                    return
                continue
            durations, total = [draw() for draw in op.draws], 0.0
            for d in durations:
                if d > 0:
                    total += d
            if total > 0:
                self._run(job, op.cats, durations, total)
                return

    def _switch(self, job: Job, op: Op) -> None:
        """The context switch ``job`` owes runs first, merged with ``op`` if it is a burst."""
        total = sw = job.switch  # the sum in the order of the parts: bit for bit
        job.switch = 0.0
        if op.act is not None:
            self._run(job, SWITCH, [sw], sw)
            return
        job.pc += 1
        durations = [draw() for draw in op.draws] if op.one is None else [op.one()]
        for d in durations:
            if d > 0:
                total += d
        durations.insert(0, sw)
        self._run(job, op.switch_cats, durations, total)

    def _run(self, job: Job, cats: tuple, durations: list, total: float) -> None:
        """Run CPU work for ``total`` µs: one event."""
        job.batch, job.cats, job.batch_start = durations, cats, self.sim.now
        self.sim.after(total, self._batch_done, job)

    def _batch_done(self, ev) -> None:
        job = ev.arg
        if job.dead:
            return
        cores, t = job.cores, job.batch_start
        if t < cores.window:
            cores.add(job.cats, job.batch, t)
        else:  # Cores.add inlined: the run lies inside the window
            busy = cores.busy
            for cat, d in zip(job.cats, job.batch):
                if d > 0:
                    end = t + d
                    busy[cat] += end - t
                    t = end
        if self.tracer is not None:
            self.tracer.cpu(job, job.cats, job.batch, job.batch_start, self.sim.now)
        job.batch = None
        self.advance(job)

    # the steps of a program: each returns True if the job goes on at once

    def _enter(self, job: Job, op: Enter) -> bool:
        if op.server.name in self.down:
            self.fail_job(job, self.down[op.server.name])
            return False
        return op.server.enter(job)

    def _leave(self, job: Job, op: Leave) -> bool:
        job.servers.pop().leave(job)
        return True

    def _fork_step(self, job: Job, op: Fork) -> bool:
        self._fork(job, op.target)
        return True

    def _move_step(self, job: Job, op: Move) -> bool:
        self._move(job, op.cores, op.delay())
        return False

    def _lock_step(self, job: Job, op: Acquire) -> bool:
        op.lock.request(job, op.hold(), op.mean, op.cat)
        return False

    def _io_step(self, job: Job, op: Io) -> bool:
        self._io(job, op.delay())
        return False

    def _program(self, ops: tuple[Op, ...]) -> tuple[Op, ...]:
        """``ops`` (from :func:`compile_class`) linked to this kernel's steps."""
        return link(ops, {Enter: self._enter, Leave: self._leave, Fork: self._fork_step,
                          Move: self._move_step, Acquire: self._lock_step, Io: self._io_step,
                          Done: self._finish})

    def _io(self, job: Job, delay: float) -> None:
        job.cores.release(job)
        self.in_io += 1
        job.away = "io"
        if self.tracer is not None:
            self.tracer.away(job, "io", self.sim.now)
        self.sim.after(delay, self._back, job)

    def _move(self, job: Job, node: Cores, delay: float) -> None:
        """A message to another node: the core is free while it crosses the network."""
        job.cores.release(job)
        job.cores = node
        self.in_net += 1
        job.away = "net"
        if self.tracer is not None:
            self.tracer.away(job, "net", self.sim.now)
        self.sim.after(delay, self._back, job)

    def _back(self, ev) -> None:
        """Back from disk I/O or the network: on again once it has a core."""
        job = ev.arg
        if job.dead:
            return
        if self.tracer is not None:
            self.tracer.back(job, self.sim.now)
        self._count_away(job, -1)
        job.cores.acquire(job, self.advance)

    def _count_away(self, job: Job, delta: int) -> None:
        if job.away == "io":
            self.in_io += delta
        elif job.away == "net":
            self.in_net += delta
        job.away = None

    def _fork(self, job: Job, done: int) -> None:
        """Asynchronous send: a child job carries the rest; the sender goes to DONE."""
        child = Job(job.ops, -1, self.sim.now, None, job.cores)
        child.pc = job.pc
        child.servers = list(job.servers)
        job.servers = []
        job.pc = done
        self.children += 1
        self.live[child] = None
        if self.tracer is not None:
            self.tracer.fork(job, child)
        child.cores.acquire(child, self.advance)

    def _finish(self, job: Job, op: Op | None = None) -> bool:
        """The DONE step: ``job`` gives its core up and leaves (it never goes on)."""
        if self.tracer is not None:
            self.tracer.done(job, self.sim.now)
        job.cores.release(job)
        del self.live[job]
        if job.cls < 0:
            self.children -= 1
        else:
            self.outcomes.complete(job.t0, job.cls, job.wait)
            self.on_complete(job)
        return False

    # --- faults --------------------------------------------------------------------

    def _kernel_down(self) -> bool:
        return any(self.config.domains[d].kind == "kernel" for d in self.down)

    def fail_domain(self, name: str, kind: str) -> int:
        """Domain ``name`` fails: the jobs inside it are lost; returns how many. With
        ``poison``, the locks they held are poisoned first (nobody is granted them)."""
        self.down[name] = kind
        self.kernel_is_down = self._kernel_down()
        if self.tracer is not None:
            self.tracer.failed(name, kind, self.sim.now)
        if self.config.domains[name].kind == "kernel":
            victims = list(self.live)  # the node crashes: every job on it goes
        else:
            server = self.servers[name]
            victims = [j for j in self.live if server in j.servers or j in server.queue]
        poisoned = self.poison.take(name, victims) if self.poison else []
        for job in victims:
            self.fail_job(job, "lost" if self.config.domains[name].kind == "kernel" else kind)
        if poisoned:
            self.poison.fail_waiters(poisoned)
        return len(victims)

    def restore(self, name: str) -> None:
        """Domain ``name`` is up again (restarted, state lost); held clients go on, and
        clients whose jobs the kernel's crash took learn of it now."""
        del self.down[name]
        self.kernel_is_down = self._kernel_down()
        if self.tracer is not None:
            self.tracer.restored(name, self.sim.now)
        if self.poison:
            self.poison.clear(name)
        if not self.kernel_is_down:
            held, self.held = self.held, []
            for cls, client in held:
                self.submit(cls, client)
            orphans, self.orphans = self.orphans, []
            for job in orphans:
                self.on_error(job)

    def fail_job(self, job: Job, how: str) -> None:
        """Take a job out of the system. ``crash``: the caller gets an error after
        ``error_delay``; ``hang``: after ``server_timeout`` if set; ``lost``: never."""
        if self.tracer is not None:
            self.tracer.fail(job, how, self.sim.now)
        self._release_all(job)
        del self.live[job]
        if job.cls < 0:
            self.children -= 1
            return
        self.aborted += 1
        delay = self.injector.error_after(how) if self.injector else None
        if delay is not None:
            self.sim.after(delay, self._error, job)
        elif how == "lost":
            self.orphans.append(job)

    def _error(self, ev) -> None:
        self.on_error(ev.arg)

    def _release_all(self, job: Job) -> None:
        """Everything a failed job holds or waits in: core, lock, server threads and queues."""
        job.dead = True
        cores, now = job.cores, self.sim.now
        if job in cores.holders:
            for parts, start in job.in_progress():
                cores.account(parts, start, now)
            job.batch = job.spin_from = None
            cores.release(job)
        else:
            cores.forget(job)
        if job.lock is not None:
            job.lock.abandon(job)
        for server in self.servers.values():
            server.forget(job)
        while job.servers:
            job.servers.pop().leave(job)
        self._count_away(job, -1)

    # --- results -----------------------------------------------------------------

    def in_flight(self) -> int:
        """Requests in the system: jobs counted where they are (each in exactly one
        place), less the children of asynchronous sends (not requests themselves)."""
        queued = sum(len(s.queue) for s in self.servers.values())
        on_cores = sum(len(n.holders) + len(n.waiting) + n.sleepers for n in self.nodes)
        return on_cores + queued + self.in_io + self.in_net - self.children

    def conserved(self) -> bool:
        """Every job that arrived completed, failed, or is still inside, counted where it is."""
        done = self.outcomes.completed + self.aborted
        return self.outcomes.arrived == done + self.in_flight()

    def metrics(self, now: float, window: float) -> dict[str, float]:
        out = self.outcomes.metrics(window, self.in_flight())
        out["aborted"] = self.aborted
        out.update({f"cpu.{k}": v for k, v in shares(self.nodes, now).items()})
        for server in self.servers.values():
            out.update(server.metrics(now))
        for lock in self.locks.values():
            out.update(lock.metrics())
        return out
