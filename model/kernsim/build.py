"""Build one replication's parts from a validated :class:`~kernsim.config.schema.Config`,
connect them, run them, and collect their metrics."""

from __future__ import annotations

import math
from collections.abc import Callable

from kernsim.config.schema import ComponentSpec, Config, TransportSpec, TriggerSpec, WorkloadSpec
from kernsim.config.trace import default_window
from kernsim.engine.dists import Constant, Distribution
from kernsim.engine.sim import Sim
from kernsim.engine.spec import DistValue, from_config
from kernsim.engine.streams import Streams
from kernsim.errors import KernsimError
from kernsim.queueing.clients import Policy, Requests
from kernsim.queueing.migration import Migration
from kernsim.queueing.network import Network
from kernsim.queueing.sources import ClassPicker, ClosedSource, OpenSource
from kernsim.queueing.station import Station
from kernsim.queueing.trigger import Trigger
from kernsim.sampler import Sampler, probes
from kernsim.system.inject import Injector
from kernsim.system.kernel import Kernel
from kernsim.system.poison import Poison
from kernsim.system.trace import Tracer


class Model:
    """One replication's world: the environment, the network and the workload.

    The constructor builds every part from the config, each given the parts it
    calls; :meth:`connect` then wires every callback between them, in one place;
    :meth:`metrics` collects every part's metrics by one rule.
    """

    def __init__(self, config: Config, streams: Streams, traced: bool = False) -> None:
        exp = config.experiment
        self.sim = Sim(streams, exp.warmup)
        """The environment: SimPy's, with the named random streams and the warm-up."""
        self.end = exp.warmup + exp.duration
        """When the replication ends (µs, warm-up included)."""
        trace = exp.trace if traced and config.system else None
        window = trace and (trace.window or default_window(exp.warmup, exp.duration))
        self.tracer = (Tracer(window, trace.sample, streams.get("trace.sample"),
                              list(config.classes())) if trace else None)
        """Records sampled requests' spans (``experiment.trace``, in a traced replication)."""
        self.net = (Kernel(self.sim, config, self.tracer) if config.system
                    else _network(self.sim, config))
        """Where requests run: the OS model, or the plain queueing network."""
        faults = config.faults if config.faults and config.faults.mode == "injection" else None
        migration = config.migration
        refuses = migration is not None and not migration.queue_during  # refused requests fail
        policy = config.workload.retry or (Policy() if faults or refuses else None)
        self.requests = Requests(self.sim, self.net, policy) if policy else None
        """The clients (timeouts, retries, goodput), when the run needs them."""
        self.injector = (Injector(self.sim, self.net, faults, config, self.requests)
                         if faults else None)
        self.poison = Poison(self.net) if faults and faults.locks == "poison" else None
        picker = ClassPicker(self.sim, [c.share for c in config.classes().values()])
        self.source = _source(self.sim, self.net, picker, config.workload, self.requests)
        self.trigger = (Trigger(self.sim, config.trigger, self._knob(config.trigger))
                        if config.trigger else None)
        self.migration = Migration(self.sim, self.net, migration) if migration else None
        every = exp.sample_every
        self.sampler = (Sampler(self.sim, every, self.end, probes(self.net, self.requests))
                        if every else None)
        """The time series (``experiment.sample_every``); it only reads the other parts."""
        self.connect()

    def connect(self) -> None:
        """Every connection between the parts: who hears of what."""
        net, requests, source = self.net, self.requests, self.source
        if isinstance(net, Network):
            for station in net.stations.values():
                station.connect(done=net.forward)
        if requests is not None:
            net.connect(on_complete=requests.completed, on_error=requests.errored)
            if isinstance(source, ClosedSource):
                requests.connect(finished=source.next)
        elif isinstance(source, ClosedSource):
            net.connect(on_complete=source.completed)
        if self.trigger is not None:
            requests.connect(on_success=self.trigger.succeeded)
        if self.injector is not None:
            self.injector.connect(downstream=net.on_complete)
            net.connect(on_complete=self.injector.completed, injector=self.injector,
                        poison=self.poison)

    def _knob(self, trigger: TriggerSpec) -> Station | OpenSource:
        """What a trigger scales: the target station's service, or the arrivals."""
        return self.net.stations[trigger.target] if trigger.kind == "capacity" else self.source

    def run(self) -> dict[str, float]:
        if self.sampler:  # first: its sample at the end of the warm-up precedes the reset
            self.sampler.start()
        self.sim.start()
        self.source.start()
        for part in (self.injector, self.trigger, self.migration):
            if part:
                part.start()
        self.sim.run(until=self.end)
        if self.tracer is not None:
            self.tracer.close(self.net.live, self.sim.now)
        return self.metrics()

    def metrics(self) -> dict[str, float]:
        window = self.end - self.sim.warmup
        out = self.net.metrics(self.sim.now, window)
        if not (self.migration or self.net).conserved():
            raise KernsimError(f"conservation violated: {out}")
        if self.requests:
            out.update(self.requests.metrics(window))
        if self.trigger:
            out.update(self.trigger.metrics(self.end))
        if self.injector:
            out.update(self.injector.metrics(self.end))
            rows = self.injector.rows()
            if rows:
                out["_samples"] = {"faults": rows}
        if self.migration:
            out.update(self.migration.metrics())
            out.setdefault("_samples", {})["migrations"] = [self.migration.row()]
        out.setdefault("_samples", {})["latency_histogram"] = self.net.outcomes.histogram()
        if self.tracer is not None:
            out["_trace"] = self.tracer.rows()
        if self.sampler:
            out["_series"] = self.sampler.finish(self.sim.now)
        return out


def _network(sim: Sim, config: Config) -> Network:
    """The plain queueing network: components as stations, classes as routes."""
    stations = {name: _station(sim, name, spec) for name, spec in config.components.items()}
    classes = config.classes()
    routes = [_route(sim, stations, c.path, config.transport) for c in classes.values()]
    return Network(sim, stations, list(classes), routes)


def _route(sim: Sim, stations: dict[str, Station], path: list[str],
           transport: TransportSpec) -> tuple:
    steps = []
    for i, name in enumerate(path):
        delay = None if i == 0 else _transport(sim, path[i - 1], name, transport)
        steps.append((stations[name], delay))
    return tuple(steps)


def _sampler(sim: Sim, stream: str, spec: DistValue) -> Callable[[], float]:
    return from_config(spec).sampler(sim.streams.get(stream))


def _station(sim: Sim, name: str, spec: ComponentSpec) -> Station:
    service = _sampler(sim, f"service.{name}", spec.service)
    return Station(sim, name, spec.servers, service, spec.discipline)


def _transport(sim: Sim, a: str, b: str,
               transport: TransportSpec) -> Callable[[], float] | None:
    spec = transport.edges.get(f"{a}->{b}", transport.delay)
    dist = from_config(spec)
    if isinstance(dist, Constant) and dist.mean == 0:
        return None
    return dist.sampler(sim.streams.get(f"transport.{a}->{b}"))


def _source(sim: Sim, net: Network | Kernel, picker: ClassPicker, workload: WorkloadSpec,
            requests: Requests | None) -> OpenSource | ClosedSource:
    if workload.kind == "open":
        arrivals = _sampler(sim, "workload.arrivals", workload.interarrival)
        return OpenSource(sim, net, picker, arrivals, requests)
    think = _sampler(sim, "workload.think", workload.think)
    send = requests.start if requests else net.submit
    return ClosedSource(sim, picker, workload.clients, think, send)


def offered_load(config: Config) -> dict[str, float]:
    """Per-component utilisation an open workload asks for (ρ); empty for closed ones.

    With ``[system]`` the one entry ``cores`` is a lower bound of the CPU load:
    user, trap and component work per request, without IPC or lock overheads.
    """
    if config.workload is None or config.workload.kind != "open":
        return {}
    rate = 1.0 / _dist(config.workload.interarrival).mean
    if config.system is not None:
        return {"cores": rate * _cpu_demand(config) / config.system.cores}
    classes = config.classes()
    total = sum(c.share for c in classes.values())
    load = {name: 0.0 for name in config.components}
    for cls in classes.values():
        for name in cls.path:
            spec = config.components[name]
            load[name] += rate * cls.share / total * _dist(spec.service).mean / spec.servers
    return load


def relaxation_times(config: Config) -> dict[str, float]:
    """Per station of an open queueing network (no ``[system]``), an estimate of how long
    the queue takes to forget its start (µs): Morse's M/M/1 relaxation time
    1 / (μ (1 − √ρ)²), with μ the station's total service rate (servers / mean service)
    and ρ its offered load; ``inf`` at ρ ≥ 1. Empty where it cannot be computed (closed
    workloads, the OS model)."""
    if config.system is not None:
        return {}
    out = {}
    for name, rho in offered_load(config).items():
        spec = config.components[name]
        mean = _dist(spec.service).mean
        if mean <= 0 or rho <= 0:
            continue
        rate = spec.servers / mean
        out[name] = 1.0 / (rate * (1.0 - math.sqrt(rho)) ** 2) if rho < 1 else math.inf
    return out


def expected_requests(config: Config) -> float:
    """About how many requests one replication simulates: the offered rate × (warmup +
    duration). Open: 1 / mean inter-arrival time. Closed: the rate with no queueing, clients /
    (think + the demand per request), an upper bound; ``inf`` when no time passes per request.
    0 for the dependability mode (no requests)."""
    workload = config.workload
    if workload is None:
        return 0.0
    span = config.experiment.warmup + config.experiment.duration
    if workload.kind == "open":
        mean = _dist(workload.interarrival).mean
        return span / mean if mean > 0 else math.inf
    cycle = _dist(workload.think).mean + (
        _cpu_demand(config) / config.system.cores if config.system is not None
        else _path_demand(config))
    return workload.clients * span / cycle if cycle > 0 else math.inf


def _path_demand(config: Config) -> float:
    """Mean service time along a request's path, over classes (µs), for a queueing network."""
    classes = config.classes()
    total = sum(c.share for c in classes.values())
    return sum(cls.share / total * sum(_dist(config.components[n].service).mean
                                       for n in cls.path) for cls in classes.values())


def _cpu_demand(config: Config) -> float:
    """Mean CPU time per request that no structure can avoid (µs): a trap per system call
    (none with ``calls = 0``), the user work, and the path's service and critical work."""
    classes = config.classes()
    total = sum(c.share for c in classes.values())
    trap = _dist(config.system.trap).mean
    demand = 0.0
    for cls in classes.values():
        work = _dist(cls.user).mean + trap * cls.calls + sum(
            _dist(config.components[n].service).mean + _dist(config.components[n].critical).mean
            for n in cls.path)
        demand += cls.share / total * work
    return demand


def _dist(spec: DistValue) -> Distribution:
    return from_config(spec)
