"""Request programs: what a request class does, as a list of named op records.

:func:`compile_class` turns one request class under the configured structure
into ops: CPU work (:class:`Cpu`: user, trap, kernel or server work, IPC
messages), lock requests (:class:`Acquire`), entering and leaving server
domains (:class:`Enter`, :class:`Leave`), an asynchronous send (:class:`Fork`),
a message to another node (:class:`Move`), blocking I/O (:class:`Io`),
:class:`Done`. :func:`link` makes them runnable for
:meth:`kernsim.system.kernel.Kernel.advance`: each run of consecutive CPU ops
becomes one :class:`Burst` (one SimPy event), every other op gets its ``act``,
the kernel's step for it. Nothing is drawn here: the draws, their order and the
arithmetic on them happen when the kernel runs the program.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kernsim.config.schema import ClassSpec, ComponentSpec, Config
from kernsim.engine.spec import DistValue, from_config
from kernsim.system.refill import Refill

Sampler = Callable[[], float]
#: the categories of a context switch that runs before a burst
SWITCH = ("switch",)


class Parts(Protocol):
    """What the compiler needs of the kernel: its config, servers, locks, cores and
    samplers by stream name (None for a distribution that is always 0)."""

    config: Config
    servers: dict[str, Any]
    locks: dict[str, Any]
    cores: Any

    def sampler(self, stream: str, spec: DistValue) -> Sampler | None: ...


class Op:
    """One step of a program. ``act`` is the kernel's step for it once linked
    (``act(job, op)`` returns True when the job goes on at once); None for a burst."""

    __slots__ = ("act",)

    def __init__(self) -> None:
        self.act: Callable[[Any, Op], bool] | None = None


class Cpu(Op):
    """CPU work of one category, ``sampler`` µs (compiler output; runs in a burst)."""

    __slots__ = ("cat", "sampler")

    def __init__(self, cat: str, sampler: Sampler) -> None:
        super().__init__()
        self.cat, self.sampler = cat, sampler


class Burst(Op):
    """Consecutive CPU ops run as one event: their categories and samplers, the
    categories with a context switch first, and the sampler if there is only one."""

    __slots__ = ("cats", "draws", "one", "switch_cats")

    def __init__(self, cats: tuple[str, ...], draws: tuple[Sampler, ...]) -> None:
        super().__init__()
        self.cats, self.draws = cats, draws
        self.switch_cats = SWITCH + cats
        self.one = draws[0] if len(draws) == 1 else None


class Enter(Op):
    """Enter a server domain (wait for one of its threads)."""

    __slots__ = ("server",)

    def __init__(self, server: Any) -> None:
        super().__init__()
        self.server = server


class Leave(Op):
    """Leave the server domain entered last."""

    __slots__ = ("server",)

    def __init__(self, server: Any) -> None:
        super().__init__()
        self.server = server


class Fork(Op):
    """Asynchronous send: a child job runs on; the sender jumps to ``target`` (DONE)."""

    __slots__ = ("target",)

    def __init__(self, target: int) -> None:
        super().__init__()
        self.target = target


class Move(Op):
    """A message to another node's ``cores``, ``delay`` µs on the network."""

    __slots__ = ("cores", "delay")

    def __init__(self, cores: Any, delay: Sampler) -> None:
        super().__init__()
        self.cores, self.delay = cores, delay


class Acquire(Op):
    """A critical section under ``lock``: ``hold`` µs (mean ``mean``) of ``cat`` work."""

    __slots__ = ("cat", "hold", "lock", "mean")

    def __init__(self, lock: Any, hold: Sampler, mean: float, cat: str) -> None:
        super().__init__()
        self.lock, self.hold, self.mean, self.cat = lock, hold, mean, cat


class Io(Op):
    """Blocking I/O for ``delay`` µs, off the core."""

    __slots__ = ("delay",)

    def __init__(self, delay: Sampler) -> None:
        super().__init__()
        self.delay = delay


class Done(Op):
    """The end: the job gives its core up and leaves."""

    __slots__ = ()


def link(ops: tuple[Op, ...], steps: Mapping[type[Op], Callable]) -> tuple[Op, ...]:
    """``ops`` as the kernel runs them: runs of :class:`Cpu` merged into one
    :class:`Burst`, every other op's ``act`` set from ``steps`` (by op type), and
    :class:`Fork` targets renumbered to the linked positions."""
    out: list[Op] = []
    where: dict[int, int] = {}
    runs: dict[int, list[Cpu]] = {}
    for i, op in enumerate(ops):
        where[i] = len(out)
        if not isinstance(op, Cpu):
            op.act = steps[type(op)]
            out.append(op)
        elif out and len(out) - 1 in runs:
            runs[len(out) - 1].append(op)
        else:
            runs[len(out)] = [op]
            out.append(op)  # replaced by its burst below
    for i, run in runs.items():
        out[i] = Burst(tuple(c.cat for c in run), tuple(c.sampler for c in run))
    for op in out:
        if isinstance(op, Fork):
            op.target = where[op.target]
    return tuple(out)


def compile_class(kernel: Parts, name: str, cls: ClassSpec) -> tuple[Op, ...]:
    """The op list of one request class under the configured structure.

    ``cls.calls`` system calls: the first carries the path's work; each further one
    pays the trap and the crossing into the path's first server (call, reply and the
    refills of ``[system.address_space]``) without work; with 0 the request goes on
    with a call already made (no trap, no crossing from the client).
    """
    config, system = kernel.config, kernel.config.system
    refill = Refill(system.address_space) if system.address_space.enabled() else None
    ops: list[Op] = []
    _cpu(ops, "user", kernel.sampler(f"user.{name}", cls.user))
    trap = kernel.sampler("system.trap", system.trap)
    if cls.calls:
        _cpu(ops, "kernel", trap)
    message = _message(kernel, cls.bytes)
    sync = system.ipc.kind == "sync"
    reply = kernel.sampler("ipc.reply", system.ipc.latency) if sync else None
    first = kernel.servers.get(config.components[cls.path[0]].domain)
    for _ in range(cls.calls - 1):
        _cpu(ops, "kernel", trap)
        if first is not None and first.cores is kernel.cores:  # another node: no crossing
            _cpu(ops, "ipc", message)
            _cpu(ops, "ipc", _refill(refill, _visit(config, cls.path), None, first.name))
            _cpu(ops, "ipc", reply)
            _cpu(ops, "ipc", _refill(refill, cls.working_set, first.name, None) if sync else None)
    copy = cls.bytes * system.ipc.copy_cost_per_byte
    _cpu(ops, "kernel", (lambda: copy) if copy else None)
    call = kernel.sampler("system.call", system.call)
    entered: list[Any] = []
    fork = None
    prev = None
    for i, comp_name in enumerate(cls.path):
        comp = config.components[comp_name]
        server = kernel.servers.get(comp.domain)
        if server is not None and server not in entered:
            caller = entered[-1] if entered else None
            if server.cores is not (caller.cores if caller else kernel.cores):
                ops.append(Move(server.cores, _network(kernel, cls.bytes)))
            elif caller or cls.calls:
                _cpu(ops, "ipc", message)
                _cpu(ops, "ipc", _refill(refill, _visit(config, cls.path[i:]),
                                         caller.name if caller else None, server.name))
            if not sync and fork is None:
                fork = len(ops)
                ops.append(Fork(-1))  # its target, the DONE index, is set below
            ops.append(Enter(server))
            entered.append(server)
        elif prev is not None:
            _cpu(ops, "kernel" if server is None else "server", call)
        cat = "kernel" if server is None else "server"
        _work(kernel, ops, comp_name, comp, cat, reply)
        prev = comp_name
    if from_config(cls.io).mean > 0:
        ops.append(Io(kernel.sampler(f"io.{name}", cls.io)))
    for i in range(len(entered) - 1, -1, -1):
        server = entered[i]
        back = entered[i - 1].cores if i else kernel.cores
        if server.cores is not back:
            ops.append(Leave(server))
            ops.append(Move(back, _network(kernel, 0)))
            continue
        if i or cls.calls:
            _cpu(ops, "ipc", reply)
        if not i and cls.calls and sync:  # the reply brings the client's process back
            _cpu(ops, "ipc", _refill(refill, cls.working_set, server.name, None))
        ops.append(Leave(server))
    if fork is not None:
        ops[fork].target = len(ops)
    ops.append(Done())
    return tuple(ops)


def _refill(refill: Refill | None, working_set: float, a: str | None,
            b: str | None) -> Sampler | None:
    """The constant refill after a crossing from domain ``a`` into ``b`` (None: the client);
    None when it costs nothing (no op: a run without refills is unchanged)."""
    cost = refill.crossing(working_set, a, b) if refill else 0.0
    return (lambda: cost) if cost > 0 else None


def _visit(config: Config, path: list[str]) -> float:
    """Working set of a server visit: the path's first component and those after it that run
    in the same domain without leaving it."""
    domain = config.components[path[0]].domain
    total = 0.0
    for name in path:
        comp = config.components[name]
        if comp.domain != domain:
            break
        total += comp.working_set
    return total


def _work(kernel: Parts, ops: list[Op], name: str, comp: ComponentSpec, cat: str,
          reply: Callable[[], float] | None) -> None:
    """A component's critical section (under its lock, at its owner, or broadcast), then its work."""
    critical = kernel.sampler(f"critical.{name}", comp.critical)
    update = kernel.sampler("ipc.update", kernel.config.system.ipc.latency)
    if critical is not None and comp.lock is not None:
        mean = from_config(comp.critical).mean
        ops.append(Acquire(kernel.locks[comp.lock], critical, mean, cat))
    elif critical is not None and comp.owner is not None:
        owner = kernel.servers[comp.owner]
        _cpu(ops, "ipc", update)
        ops += [Enter(owner), Cpu("server", critical)]
        _cpu(ops, "ipc", reply)
        ops.append(Leave(owner))
    elif critical is not None and comp.broadcast:
        _cpu(ops, "ipc", _times(update, kernel.cores.count - 1))
        _cpu(ops, cat, critical)
    else:
        _cpu(ops, cat, critical)
    _cpu(ops, cat, kernel.sampler(f"service.{name}", comp.service))


def _times(sampler: Callable[[], float] | None, n: int) -> Callable[[], float] | None:
    """The sum of ``n`` draws (one message to each other replica)."""
    if sampler is None or n <= 0:
        return None
    return lambda: sum(sampler() for _ in range(n))


def _cpu(ops: list[Op], cat: str, sampler: Callable[[], float] | None) -> None:
    if sampler is not None:
        ops.append(Cpu(cat, sampler))


def _network(kernel: Parts, size: float) -> Callable[[], float]:
    """Time for a message of ``size`` bytes to cross the network between nodes."""
    net = kernel.config.system.network
    latency = kernel.sampler("network.latency", net.latency) or (lambda: 0.0)
    transfer = size / net.bandwidth * 1e6 if net.bandwidth else 0.0
    return lambda: latency() + transfer


def _message(kernel: Parts, size: float) -> Callable[[], float] | None:
    """Cost of one IPC call message: latency plus what its mode copies or maps."""
    ipc = kernel.config.system.ipc
    latency = kernel.sampler("ipc.call", ipc.latency)
    extra = {"copy": size * ipc.copy_cost_per_byte,
             "handle": ipc.handle_bytes * ipc.copy_cost_per_byte,
             "grant": ipc.map_cost}[ipc.mode]
    if latency is None:
        return (lambda: extra) if extra else None
    return (lambda: latency() + extra) if extra else latency
