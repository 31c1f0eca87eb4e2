"""The OS-structure model: requests as op lists executed on a node's cores.

A request class compiles to ops for one architecture: CPU work (user, trap,
kernel or server work, IPC messages), lock requests, entering and leaving
server domains, blocking I/O, done. Consecutive CPU ops run as one SimPy
event; only a lock, a server or I/O splits them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernsim.engine.dists import Constant
from kernsim.engine.ports import Ports
from kernsim.engine.sim import Sim
from kernsim.engine.spec import from_config
from kernsim.queueing.outcomes import Outcomes
from kernsim.system.cores import Cores, shares
from kernsim.system.job import Job
from kernsim.system.locks import Lock, make_lock
from kernsim.system.servers import Server, Striped

if TYPE_CHECKING:  # the types of two ports (their modules do not import this one)
    from kernsim.system.inject import Injector
    from kernsim.system.poison import Poison

CPU, LOCK, ENTER, LEAVE, IO, FORK, MOVE, DONE = range(8)
SWITCH = ("switch",)


class Kernel(Ports):
    """One node running the workload's system calls through the configured structure.

    Ports (connected by :class:`kernsim.build.Model`): ``on_complete`` and
    ``on_error`` hear of finished and failed jobs; ``injector`` (fault injection)
    says when a lost job's caller hears of it; ``poison`` handles the locks a
    failed domain held (``faults.locks = "poison"``).
    """

    PORTS = ("on_complete", "on_error", "injector", "poison")

    def __init__(self, sim: Sim, config: Any) -> None:
        self.sim = sim
        self.config = config
        system = config.system
        switch = self._sampler("system.context_switch", system.context_switch) or (lambda: 0.0)
        self.nodes = [Cores(sim, system.cores, switch) for _ in range(system.nodes)]
        self.cores = self.nodes[0]
        self.servers = {name: Server(self, name, d.threads, self.nodes[d.node])
                        for name, d in config.domains.items() if d.kind == "server"}
        self.locks = {name: self._lock(name, spec) for name, spec in config.locks.items()}
        classes = config.classes()
        self.outcomes = Outcomes(sim, list(classes), wait_name="lock_wait_mean")
        self.ops = [compile_class(self, name, cls) for name, cls in classes.items()]
        self.programs = [self._program(ops) for ops in self.ops]
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
            return make_lock(self.sim, name, spec, self.advance)
        locks = [make_lock(self.sim, f"{name}[{i}]", spec, self.advance)
                 for i in range(spec.stripes)]
        return Striped(name, locks, self.sim.streams.get(f"lock.{name}.stripe"))

    def _sampler(self, stream: str, spec: Any) -> Callable[[], float] | None:
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
        job = Job(self.programs[cls], cls, self.sim._now, client, self.cores)
        self.live[job] = None
        self.cores.acquire(job, self.advance)

    def advance(self, job: Job) -> None:
        """Run ``job``'s program from its pc (see :meth:`_program`): a run of CPU work,
        with the context switch the job owes, is one event; other steps act at once."""
        ops = job.ops
        while True:
            op = ops[job.pc]
            if job.switch:
                self._switch(job, op)
                return
            job.pc += 1
            act = op[0]
            if act is not None:
                if act(job, op):
                    continue
                return
            if op[4] is not None:  # a run of one op: one draw, no list of draws
                d = op[4]()
                if d > 0:
                    self._run(job, op[1], [d], d)
                    return
                continue
            durations, total = [draw() for draw in op[2]], 0.0
            for d in durations:
                if d > 0:
                    total += d
            if total > 0:
                self._run(job, op[1], durations, total)
                return

    def _switch(self, job: Job, op: tuple) -> None:
        """The context switch ``job`` owes runs first, merged with ``op`` if it is CPU work."""
        total = sw = job.switch  # the sum in the order of the parts: bit for bit
        job.switch = 0.0
        if op[0] is not None:
            self._run(job, SWITCH, [sw], sw)
            return
        job.pc += 1
        durations = [draw() for draw in op[2]] if op[4] is None else [op[4]()]
        for d in durations:
            if d > 0:
                total += d
        durations.insert(0, sw)
        self._run(job, op[3], durations, total)

    def _run(self, job: Job, cats: tuple, durations: list, total: float) -> None:
        """Run CPU work for ``total`` µs: one event."""
        job.batch, job.cats, job.batch_start = durations, cats, self.sim._now
        self.sim.after(total, self._batch_done, job)

    def _batch_done(self, ev) -> None:
        job = ev._value
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
        job.batch = None
        self.advance(job)

    # the steps of a program: each returns True if the job goes on at once

    def _enter(self, job: Job, op: tuple) -> bool:
        if op[1].name in self.down:
            self.fail_job(job, self.down[op[1].name])
            return False
        return op[1].enter(job)

    def _leave(self, job: Job, op: tuple) -> bool:
        job.servers.pop().leave()
        return True

    def _fork_step(self, job: Job, op: tuple) -> bool:
        self._fork(job, op[1])
        return True

    def _move_step(self, job: Job, op: tuple) -> bool:
        self._move(job, op[1], op[2]())
        return False

    def _lock_step(self, job: Job, op: tuple) -> bool:
        op[1].request(job, op[2](), op[3], op[4])
        return False

    def _io_step(self, job: Job, op: tuple) -> bool:
        self._io(job, op[1]())
        return False

    def _program(self, ops: tuple) -> tuple:
        """``ops`` (from :func:`compile_class`) as :meth:`advance` runs them.

        Each run of consecutive CPU ops becomes one ``(None, categories, samplers,
        ("switch",) + categories, the sampler if there is only one)``; every other op
        its step (a bound method, True if the job goes on at once) and its arguments,
        ``(step, args...)``; FORK targets are renumbered. Nothing is drawn here: the
        draws, their order and the arithmetic on them are those of the op list.
        """
        steps = {ENTER: self._enter, LEAVE: self._leave, FORK: self._fork_step,
                 MOVE: self._move_step, LOCK: self._lock_step, IO: self._io_step,
                 DONE: self._finish}
        out: list[tuple] = []
        where: dict[int, int] = {}
        for i, op in enumerate(ops):
            where[i] = len(out)
            if op[0] != CPU:
                out.append((steps[op[0]], *op[1:]))
            elif out and out[-1][0] is None:
                out[-1] = (None, out[-1][1] + (op[1],), out[-1][2] + (op[2],))
            else:
                out.append((None, (op[1],), (op[2],)))
        for i, op in enumerate(out):
            if op[0] is None:
                out[i] = (*op, SWITCH + op[1], op[2][0] if len(op[2]) == 1 else None)
            elif op[0] == self._fork_step:
                out[i] = (op[0], where[op[1]])
        return tuple(out)

    def _io(self, job: Job, delay: float) -> None:
        job.cores.release(job)
        self.in_io += 1
        job.away = "io"
        self.sim.after(delay, self._back, job)

    def _move(self, job: Job, node: Cores, delay: float) -> None:
        """A message to another node: the core is free while it crosses the network."""
        job.cores.release(job)
        job.cores = node
        self.in_net += 1
        job.away = "net"
        self.sim.after(delay, self._back, job)

    def _back(self, ev) -> None:
        """Back from disk I/O or the network: on again once it has a core."""
        job = ev._value
        if job.dead:
            return
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
        child.cores.acquire(child, self.advance)

    def _finish(self, job: Job, op: tuple = ()) -> bool:
        """The DONE step: ``job`` gives its core up and leaves (it never goes on)."""
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
        self.on_error(ev._value)

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
            job.servers.pop().leave()
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


def compile_class(kernel: Kernel, name: str, cls: Any) -> tuple:
    """The op list of one request class under the configured structure."""
    config, system = kernel.config, kernel.config.system
    ops: list[tuple] = []
    _cpu(ops, "user", kernel._sampler(f"user.{name}", cls.user))
    _cpu(ops, "kernel", kernel._sampler("system.trap", system.trap))
    copy = cls.bytes * system.ipc.copy_cost_per_byte
    _cpu(ops, "kernel", (lambda: copy) if copy else None)
    call = kernel._sampler("system.call", system.call)
    message = _message(kernel, cls.bytes)
    reply = kernel._sampler("ipc.reply", system.ipc.latency)
    sync = system.ipc.kind == "sync"
    entered: list[Server] = []
    fork = None
    prev = None
    for comp_name in cls.path:
        comp = config.components[comp_name]
        server = kernel.servers.get(comp.domain)
        if server is not None and server not in entered:
            here = entered[-1].cores if entered else kernel.cores
            if server.cores is here:
                _cpu(ops, "ipc", message)
            else:
                ops.append((MOVE, server.cores, _network(kernel, cls.bytes)))
            if not sync and fork is None:
                fork = len(ops)
                ops.append(None)  # FORK, patched below with the DONE index
            ops.append((ENTER, server))
            entered.append(server)
        elif prev is not None:
            _cpu(ops, "kernel" if server is None else "server", call)
        cat = "kernel" if server is None else "server"
        _work(kernel, ops, comp_name, comp, cat, reply if sync else None)
        prev = comp_name
    if from_config(cls.io).mean > 0:
        ops.append((IO, kernel._sampler(f"io.{name}", cls.io)))
    for i in range(len(entered) - 1, -1, -1):
        server = entered[i]
        back = entered[i - 1].cores if i else kernel.cores
        if server.cores is back:
            _cpu(ops, "ipc", reply if sync else None)
            ops.append((LEAVE, server))
        else:
            ops.append((LEAVE, server))
            ops.append((MOVE, back, _network(kernel, 0)))
    if fork is not None:
        ops[fork] = (FORK, len(ops))
    ops.append((DONE,))
    return tuple(ops)


def _work(kernel: Kernel, ops: list, name: str, comp: Any, cat: str,
          reply: Callable[[], float] | None) -> None:
    """A component's critical section (under its lock, at its owner, or broadcast), then its work."""
    critical = kernel._sampler(f"critical.{name}", comp.critical)
    update = kernel._sampler("ipc.update", kernel.config.system.ipc.latency)
    if critical is not None and comp.lock is not None:
        mean = from_config(comp.critical).mean
        ops.append((LOCK, kernel.locks[comp.lock], critical, mean, cat))
    elif critical is not None and comp.owner is not None:
        owner = kernel.servers[comp.owner]
        _cpu(ops, "ipc", update)
        ops += [(ENTER, owner), (CPU, "server", critical)]
        _cpu(ops, "ipc", reply)
        ops.append((LEAVE, owner))
    elif critical is not None and comp.broadcast:
        _cpu(ops, "ipc", _times(update, kernel.cores.count - 1))
        _cpu(ops, cat, critical)
    else:
        _cpu(ops, cat, critical)
    _cpu(ops, cat, kernel._sampler(f"service.{name}", comp.service))


def _times(sampler: Callable[[], float] | None, n: int) -> Callable[[], float] | None:
    """The sum of ``n`` draws (one message to each other replica)."""
    if sampler is None or n <= 0:
        return None
    return lambda: sum(sampler() for _ in range(n))


def _cpu(ops: list, cat: str, sampler: Callable[[], float] | None) -> None:
    if sampler is not None:
        ops.append((CPU, cat, sampler))


def _network(kernel: Kernel, size: float) -> Callable[[], float]:
    """Time for a message of ``size`` bytes to cross the network between nodes."""
    net = kernel.config.system.network
    latency = kernel._sampler("network.latency", net.latency) or (lambda: 0.0)
    transfer = size / net.bandwidth * 1e6 if net.bandwidth else 0.0
    return lambda: latency() + transfer


def _message(kernel: Kernel, size: float) -> Callable[[], float] | None:
    """Cost of one IPC call message: latency plus what its mode copies or maps."""
    ipc = kernel.config.system.ipc
    latency = kernel._sampler("ipc.call", ipc.latency)
    extra = {"copy": size * ipc.copy_cost_per_byte,
             "handle": ipc.handle_bytes * ipc.copy_cost_per_byte,
             "grant": ipc.map_cost}[ipc.mode]
    if latency is None:
        return (lambda: extra) if extra else None
    return (lambda: latency() + extra) if extra else latency
