"""The measured runs of ``kernsim bench``: each rival and each kernsim model, once.

(a) a bare SimPy timeout loop; (b) a hand-written SimPy M/M/c in SimPy's normal
style; (c) kernsim's general model on the same M/M/c; (d) Ciw on it, when
installed; (e), (f) a kernsim experiment's first design point; (g) the
dependability mode and (h) the fast engine on the same faults config. Each run
returns :class:`Measured`; an :class:`EventCounter` counts engine events in a
separate pass.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from kernsim.bench.handwritten_os import CallKind, Component, Dist, HandwrittenOs, OsParams

#: the benchmark queue: M/M/4 at rho = 0.9
LAMBDA, MU, SERVERS = 3.6, 1.0, 4


class EventCounter:
    """Counts engine events by wrapping a method of one engine instance.

    For SimPy the method is ``Environment.step`` (``run`` calls ``self.step()``);
    only events whose processing returned normally are counted, so the
    ``EmptySchedule`` at the end and the ``until`` stop event are not.
    """

    def __init__(self) -> None:
        self.count = 0

    def wrap(self, engine: Any, method: str = "step") -> None:
        inner = getattr(engine, method)

        def counted(*args: Any) -> Any:
            result = inner(*args)
            self.count += 1
            return result

        setattr(engine, method, counted)


@dataclass
class Measured:
    """What one run of a measured model reports."""

    customers: int | None = None      # customers served (completed)
    wait_mean: float | None = None    # mean time queued before service (µs)


def _ticker(env: simpy.Environment, n: int):
    for _ in range(n):
        yield env.timeout(1)


def bare_timeout_loop(n: int, counter: EventCounter | None = None) -> Measured:
    """(a) One SimPy process doing ``yield env.timeout(1)`` ``n`` times."""
    env = simpy.Environment()
    if counter:
        counter.wrap(env)
    env.process(_ticker(env, n))
    env.run()
    return Measured()


@dataclass
class Waits:
    total: float = 0.0
    count: int = 0


def _customer(env: simpy.Environment, desk: simpy.Resource, service: float, waits: Waits):
    arrived = env.now
    with desk.request() as req:
        yield req
        waits.total += env.now - arrived
        waits.count += 1
        yield env.timeout(service)


def _arrivals(env: simpy.Environment, desk: simpy.Resource, rng: np.random.Generator,
              customers: int, lam: float, mu: float, waits: Waits):
    for _ in range(customers):
        yield env.timeout(rng.exponential(1.0 / lam))
        env.process(_customer(env, desk, rng.exponential(1.0 / mu), waits))


def handwritten_mmc(customers: int, seed: Any, counter: EventCounter | None = None, *,
                    lam: float = LAMBDA, mu: float = MU, servers: int = SERVERS) -> Measured:
    """(b) M/M/c as a SimPy user writes it: a Resource, a process per customer.

    Arrivals come from a generator process; each customer requests a server,
    holds it for its service time and releases it. Draws are scalar calls on a
    numpy Generator seeded with ``seed``. Runs until every customer has left.
    """
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    if counter:
        counter.wrap(env)
    desk = simpy.Resource(env, capacity=servers)
    waits = Waits()
    env.process(_arrivals(env, desk, rng, customers, lam, mu, waits))
    env.run()
    return Measured(waits.count, waits.total / waits.count if waits.count else math.nan)


def callback_mmc(customers: int, seed: Any, counter: EventCounter | None = None, *,
                 lam: float = LAMBDA, mu: float = MU, servers: int = SERVERS) -> Measured:
    """(b′) M/M/c as a SimPy expert writes it: callbacks, no processes, two events a customer.

    Each arrival and each departure is one SimPy ``Timeout`` with a callback
    (SimPy's public API); a deque of arrival times is the queue; inter-arrival
    and service times are drawn in two blocks from a numpy Generator seeded
    with ``seed`` before the run. Runs until every customer has left.
    """
    rng = np.random.default_rng(seed)
    gaps = iter(rng.exponential(1.0 / lam, customers).tolist())
    services = iter(rng.exponential(1.0 / mu, customers).tolist())
    env = simpy.Environment()
    if counter:
        counter.wrap(env)
    timeout, queue = env.timeout, deque()
    busy = served = 0
    waited = 0.0

    def depart(_ev: simpy.Event) -> None:
        nonlocal busy, served, waited
        served += 1
        if queue:
            waited += env.now - queue.popleft()
            timeout(next(services)).callbacks.append(depart)
        else:
            busy -= 1

    def arrive(_ev: simpy.Event) -> None:
        nonlocal busy
        if busy < servers:
            busy += 1
            timeout(next(services)).callbacks.append(depart)
        else:
            queue.append(env.now)
        gap = next(gaps, None)
        if gap is not None:
            timeout(gap).callbacks.append(arrive)

    timeout(next(gaps)).callbacks.append(arrive)
    env.run()
    return Measured(served, waited / served if served else math.nan)


@dataclass(frozen=True)
class ModelCase:
    """A config ready to build a kernsim ``Model``, and where it came from."""

    config: Any
    seed: Any                      # numpy SeedSequence of one replication
    label: str = ""


def mmc_config(path: Path, customers: int) -> Any:
    """The bench M/M/c config with its duration set so ≈ ``customers`` arrive."""
    from kernsim.engine.spec import from_config
    from kernsim.experiment.load import load

    base = load(path).config
    duration = customers * from_config(base.workload.interarrival).mean
    return load(path, [f"experiment.duration={duration!r}"]).config


def kernsim_run(config: Any, seed: Any, counter: EventCounter | None = None,
                traced: bool = False) -> Measured:
    """(c), (e), (f) Build kernsim's ``Model`` and run one replication (``traced``: with its
    ``experiment.trace``, as a traced replication)."""
    from kernsim.build import Model
    from kernsim.engine.streams import Streams

    m = Model(config, Streams(seed), traced)
    if counter:
        counter.wrap(_engine(m))
    out = m.run()
    wait = out.get("wait_mean")
    return Measured(int(out["completed"]), None if wait is None else float(wait))


def _engine(m: Any) -> simpy.Environment:
    for name in ("sim", "env"):
        env = getattr(m, name, None)
        if isinstance(env, simpy.Environment):
            return env
    raise TypeError(f"{type(m).__name__} has no SimPy environment in .sim or .env")


def first_point_case(path: Path, prefer: Callable[[dict], int] | None = None,
                     overrides: tuple[str, ...] = ()) -> ModelCase:
    """Replication 0 of the first design point of ``path`` (or the best by ``prefer``),
    with ``--set`` ``overrides``."""
    from kernsim.experiment.load import load
    from kernsim.experiment.tasks import tasks_for

    exp = load(path, list(overrides))
    tasks = [t for t in tasks_for(exp) if t.replication == 0]
    task = max(tasks, key=lambda t: (prefer(t.params) if prefer else 0, -t.design_point))
    where = ", ".join(f"{k}={v}" for k, v in task.params.items())
    label = f"design point {task.design_point}" + (f" ({where})" if where else "")
    return ModelCase(task.config, task.seed(), label)


def lock_study_score(cores: int) -> Callable[[dict], int]:
    """Prefer a design point with some ``*core*`` parameter = ``cores``, then one naming locks."""

    def score(params: dict) -> int:
        at_cores = any("core" in k.lower() and v == cores for k, v in params.items())
        locks = any("lock" in str(v).lower() for v in params.values())
        return 2 * at_cores + locks

    return score


def faults_config(path: Path, faults: int, engine: str = "simpy") -> Any:
    """A dependability config with its duration set so ≈ ``faults`` faults strike."""
    from kernsim.dependability.fast import rate
    from kernsim.experiment.load import load

    duration = faults / rate(load(path).config.faults)
    return load(path, [f"experiment.duration={duration!r}",
                       f"experiment.engine={engine!r}"]).config


def dependability_run(config: Any, seed: Any, counter: EventCounter | None = None) -> Measured:
    """(g) One replication of the SimPy dependability mode; its faults count as customers."""
    from kernsim.dependability.timed import Dependability
    from kernsim.engine.streams import Streams
    from kernsim.simulate import performance

    m = Dependability(config, Streams(seed), performance)
    if counter:
        counter.wrap(_engine(m))
    return Measured(int(m.run()["faults"]))


def fast_run(config: Any, seed: Any, counter: EventCounter | None = None) -> Measured:
    """(h) One replication of the fast engine (no engine events: ``counter`` is unused)."""
    from kernsim.dependability import fast

    return Measured(int(fast.simulate(config, seed)["faults"]))


def handwritten_os_params(config: Any) -> OsParams:
    """The parameters of a kernsim OS-model config for :class:`HandwrittenOs`, in µs.

    Only what the hand-written model has: a monolithic kernel with one MCS lock
    per component, or a microkernel with synchronous IPC, on one node, closed
    clients, constant / exponential / lognormal / gamma durations. Anything
    else is refused (``ValueError`` naming the key). With a random critical
    section, kernsim stretches it by (s + c)/s where this model adds c: the
    same mean hold.
    """
    sys, wl = config.system, config.workload
    arch = sys.architecture if sys else None
    checks = {
        "system.architecture": arch in ("monolithic", "microkernel"),
        "system.nodes": sys is not None and sys.nodes == 1,
        "system.call": sys is not None and _dist(sys.call, "system.call").mean == 0,
        "system.ipc.kind": sys is not None and sys.ipc.kind == "sync",
        "system.lock": arch != "monolithic" or (sys.lock.kind == "mcs"
                                                and sys.lock_placement == "component"),
        "workload.kind": wl is not None and wl.kind == "closed",
        "faults / trigger / migration / workload.retry": not (
            config.faults or config.trigger or config.migration or (wl and wl.retry)),
    }
    refused = [key for key, ok in checks.items() if not ok]
    if refused:
        raise ValueError(f"{refused[0]}: not in the hand-written OS model")
    ipc, calls = sys.ipc, []
    extra = {"handle": ipc.handle_bytes * ipc.copy_cost_per_byte, "grant": ipc.map_cost}
    for name, cls in config.classes().items():
        for key in ("user", "io"):
            if _dist(getattr(cls, key), f"workload.classes.{name}.{key}").mean:
                raise ValueError(f"workload.classes.{name}.{key}: not in the hand-written OS model")
        copy = cls.bytes * ipc.copy_cost_per_byte
        calls.append(CallKind(cls.share, tuple(cls.path), copy, extra.get(ipc.mode, copy)))
    comps = {name: Component(_dist(c.service, f"components.{name}.service"),
                             _dist(c.critical, f"components.{name}.critical"))
             for name, c in config.components.items()}
    exp = config.experiment
    return OsParams(
        arch, sys.cores, wl.clients, _dist(wl.think, "workload.think"),
        _dist(sys.trap, "system.trap"), _dist(sys.context_switch, "system.context_switch"),
        _dist(ipc.latency, "system.ipc.latency"), sys.lock.c,
        {name: config.domains[c.domain].threads for name, c in config.components.items()},
        comps, tuple(calls), exp.warmup, exp.duration)


def _dist(spec: Any, key: str) -> Dist:
    """A kernsim distribution spec as the hand-written model's :class:`Dist`."""
    from kernsim.engine import dists
    from kernsim.engine.spec import from_config

    d = from_config(spec)
    if isinstance(d, dists.Constant):
        return Dist("constant", d.mean)
    kinds = {dists.Exponential: "exponential", dists.LogNormal: "lognormal",
             dists.Gamma: "gamma"}
    if type(d) not in kinds:
        raise ValueError(f"{key}: {d.name} durations are not in the hand-written OS model")
    return Dist(kinds[type(d)], d.mean, d.cv)


def handwritten_os_run(params: OsParams, seed: Any,
                       counter: EventCounter | None = None) -> Measured:
    """(e′) One replication of the hand-written SimPy OS model; its system calls are customers."""
    m = HandwrittenOs(params, seed)
    if counter:
        counter.wrap(m.env)
    return Measured(m.run().completed)


def ciw_available() -> bool:
    try:
        import ciw  # noqa: F401
    except ImportError:
        return False
    return True


def ciw_mmc(customers: int, seed: int, counter: EventCounter | None = None, *,
            lam: float = LAMBDA, mu: float = MU, servers: int = SERVERS) -> Measured:
    """(d) The same M/M/c in Ciw's normal style, until ``customers`` have finished."""
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[servers],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    if counter:
        counter.wrap(sim, "event_and_return_nextnode")
    sim.simulate_until_max_customers(customers, method="Finish")
    waits = [r.waiting_time for r in sim.get_all_records()]
    return Measured(len(waits), float(np.mean(waits)) if waits else math.nan)
