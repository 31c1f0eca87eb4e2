"""The experiment schema: every key a TOML file may hold, validated by pydantic.

Values that are times accept units ("3.5us", "2ms"); bare numbers are µs.
Distribution-valued keys take a constant duration or a table such as
``{dist = "lognormal", mean = "2us", cv = 0.5}``; they are checked here and
built into objects by the system builder. Unknown keys are rejected.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator
from pydantic import Strict as StrictType

from kernsim.config.address_space import AddressSpaceSpec
from kernsim.config.faults import FaultsSpec, InjectionSpec, _raise
from kernsim.config.migration import MigrationSpec, expected_total
from kernsim.config.trace import TraceSpec, check_trace
from kernsim.config.types import Bytes, DistSpec, Duration, Name, Problem, Strict
from kernsim.engine.spec import from_config


def _metrics(value: Any) -> list[str]:
    """One metric name or a list of them, as a list of non-empty names."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(
            isinstance(n, str) and n.strip() for n in names):
        raise ValueError("must name a metric of the results (a non-empty string, "
                         "or a non-empty list of them)")
    return names


class PrecisionSpec(Strict):
    """``experiment.precision``: sequential replications. After the pilot
    (``experiment.replications`` at every design point), a point gets more
    replications, in rounds, while the Student-t CI (confidence ``level``) of the
    mean of any ``metric`` has a half-width > ``relative_half_width`` × |mean|,
    up to ``max_replications``."""

    metric: Annotated[list[str], BeforeValidator(_metrics)]
    relative_half_width: float = Field(gt=0, lt=1)
    max_replications: int = Field(ge=2, le=1_000_000)
    level: float = Field(0.95, gt=0, lt=1)


#: at most this many samples per replication with ``experiment.sample_every``
MAX_SAMPLES = 100_000


class ExperimentSpec(Strict):
    """``[experiment]``: what to run and for how long."""

    name: Name
    description: str = ""
    seed: Annotated[int, StrictType()] = Field(0, ge=0, lt=2**63)  # a parquet int64 column
    replications: Annotated[int, StrictType()] = Field(10, ge=1, le=1_000_000)
    warmup: Duration = 0.0
    duration: Duration = Field(gt=0)
    common_random_numbers: Annotated[bool, StrictType()] = True
    task_timeout: Annotated[Duration, Field(gt=0)] | None = None  # per task; None: none
    precision: PrecisionSpec | None = None  # None: exactly ``replications`` per point
    # "fast": the blast-radius question of faults.mode = "dependability", vectorised
    # (kernsim.dependability.fast; no timing, so no availability)
    engine: Literal["simpy", "fast"] = "simpy"
    trace: TraceSpec | None = None  # None: no trace (kernsim.system.trace)
    # a time series every this long (kernsim.sampler: series.parquet); None: none
    sample_every: Annotated[Duration, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _pilot(self) -> ExperimentSpec:
        """With a precision target, the pilot must give a variance and fit under the cap;
        a trace must fit the run (its default window is resolved by the model, against the
        warm-up the run really has: ``warmup = "auto"`` chooses it after this check)."""
        if self.trace is not None:
            runs = self.precision.max_replications if self.precision else self.replications
            _raise(check_trace(self.trace, self.warmup, self.duration, runs), "ExperimentSpec")
        if self.precision is None:
            return self
        problems = []
        if self.replications < 2:
            problems.append(Problem(("replications",), self.replications,
                                    "must be ≥ 2 with experiment.precision (the pilot "
                                    "replications estimate the variance)"))
        if self.precision.max_replications < self.replications:
            problems.append(Problem(("precision", "max_replications"),
                                    self.precision.max_replications,
                                    f"must be ≥ experiment.replications = {self.replications} "
                                    "(the pilot)"))
        _raise(problems, "ExperimentSpec")
        return self


class ComponentSpec(Strict):
    """``[components.NAME]``: a station with ``servers`` workers, or (with ``[system]``)
    an OS function placed in a domain, with work outside and inside its lock."""

    servers: int = Field(1, ge=1)
    discipline: Literal["fifo", "lifo"] = "fifo"
    service: DistSpec = 0.0
    critical: DistSpec = 0.0
    domain: Name | None = None
    lock: Name | None = None
    owner: Name | None = None
    broadcast: bool = False
    threads: int | None = Field(None, ge=1)
    working_set: Bytes = 0.0  # touched per visit: refilled after a crossing into its domain


class IPCSpec(Strict):
    """``[system.ipc]``: a message between domains on one node."""

    latency: DistSpec = 0.0
    kind: Literal["sync", "async"] = "sync"
    mode: Literal["copy", "handle", "grant"] = "copy"
    copy_cost_per_byte: Duration = 0.0
    handle_bytes: Bytes = 16
    map_cost: Duration = 0.0


class LockSpec(Strict):
    """A lock: ``kind``, cache-line transfer cost ``c``, ``stripes`` per-object locks."""

    kind: Literal["ticket", "mcs", "mutex", "rwlock"] = "ticket"
    c: Duration = 0.0
    stripes: int = Field(1, ge=1)
    write_fraction: float = Field(1.0, ge=0, le=1)


class DomainSpec(Strict):
    """``[domains.NAME]``: the kernel (calls are function calls) or a user-level server."""

    kind: Literal["kernel", "server"] = "server"
    threads: int = Field(1, ge=1)
    node: int = Field(0, ge=0)


class NetworkSpec(Strict):
    """``[system.network]``: messages between nodes (no CPU while in flight)."""

    latency: DistSpec = 0.0
    bandwidth: Bytes = 0.0  # bytes per second; 0 = no transfer time


class SystemSpec(Strict):
    """``[system]``: the machine and the OS structure running the workload."""

    architecture: Literal["explicit", "monolithic", "microkernel", "hybrid", "multikernel"] = (
        "explicit")
    nodes: int = Field(1, ge=1)
    cores: int = Field(1, ge=1)
    trap: DistSpec = 0.0
    context_switch: DistSpec = 0.0
    call: DistSpec = 0.0
    threads: int = Field(1, ge=1)
    lock_placement: Literal["global", "component", "stripes", "none"] = "component"
    replication: Literal["owner", "all"] = "owner"
    lock: LockSpec = LockSpec()
    ipc: IPCSpec = IPCSpec()
    network: NetworkSpec = NetworkSpec()
    address_space: AddressSpaceSpec = AddressSpaceSpec()
    #: server -> node, read by architecture = "microkernel"
    placement: dict[str, Annotated[int, StrictType(), Field(ge=0)]] = {}

    def check_placement(self, components: set[str]) -> None:
        """Each placed name is a component, on a node that exists, under the one
        architecture that reads the table."""
        if self.placement and self.architecture != "microkernel":
            raise ValueError("system.placement: read only with architecture = \"microkernel\" "
                             f"(this file has {self.architecture!r}); with \"explicit\" set "
                             "domains.NAME.node instead")
        for name, node in self.placement.items():
            _check_ref(name, components, f"system.placement.{name}")
            if not 0 <= node < self.nodes:
                raise ValueError(f"system.placement.{name} = {node}: must be a node in "
                                 f"0..{self.nodes - 1} (system.nodes = {self.nodes})")

    def check_small_spaces(self, domains: dict[str, DomainSpec]) -> None:
        """Each small space is a server domain (after a preset's expansion)."""
        servers = {name for name, d in domains.items() if d.kind == "server"}
        for i, name in enumerate(self.address_space.small_spaces):
            _check_ref(name, servers, f"system.address_space.small_spaces[{i}]",
                       "server domain")


class ClassSpec(Strict):
    """``[workload.classes.NAME]``: a request class and its path."""

    share: float = Field(1.0, gt=0)
    path: list[str] = Field(min_length=1)
    bytes: Bytes = 0.0
    user: DistSpec = 0.0
    io: DistSpec = 0.0
    #: system calls per request: each pays the trap and the crossing into the path's first
    #: server; 0: the request goes on with a call already made (no trap, no crossing)
    calls: Annotated[int, StrictType()] = Field(1, ge=0, le=1_000_000)
    working_set: Bytes = 0.0  # the process's, refilled when a reply brings it back


class RetrySpec(Strict):
    """``[workload.retry]``: what a client does when a request fails or times out."""

    timeout: Duration | None = Field(None, gt=0)  # None: wait for ever
    max_retries: int = Field(0, ge=0)
    backoff: Literal["fixed", "exponential"] = "fixed"
    base: Duration = 0.0
    cap: Duration | None = None  # None: exponential backoff without a ceiling
    jitter: bool = False
    budget: float | None = Field(None, ge=0)


class WorkloadSpec(Strict):
    """``[workload]``: open (inter-arrival times) or closed (clients, think time)."""

    kind: Literal["open", "closed"] = "open"
    interarrival: DistSpec = None
    clients: int | None = Field(None, ge=1)
    think: DistSpec = 0.0
    classes: dict[Name, ClassSpec] = {}
    retry: RetrySpec | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> WorkloadSpec:
        if self.kind == "open" and self.interarrival is None:
            raise ValueError("an open workload needs 'interarrival' (a distribution)")
        if self.kind == "closed" and self.clients is None:
            raise ValueError("a closed workload needs 'clients' (an integer ≥ 1)")
        if self.kind == "open" and self.clients is not None:
            raise ValueError("'clients' belongs to a closed workload; set kind = \"closed\"")
        if self.kind == "open" and not from_config(self.interarrival).mean > 0:
            raise ValueError("interarrival: a mean of 0 sends every request at one instant, "
                             "for ever; the mean must be > 0")
        return self


class TransportSpec(Strict):
    """``[transport]``: delay between consecutive steps of a path."""

    delay: DistSpec = 0.0
    edges: dict[str, DistSpec] = {}


class TriggerSpec(Strict):
    """``[trigger]``: a temporary overload (the trigger of a metastable failure).

    ``capacity``: component ``target`` serves ``factor`` times as fast for
    ``length`` from ``at`` after the warm-up; ``load``: the open workload's
    arrival rate is ``factor`` times higher. Goodput counts as collapsed when
    below ``collapse`` × its level before the trigger; the run is *metastable*
    when it is still collapsed over the last part of the run that starts
    ``settle`` × ``length`` after the trigger ends.
    """

    kind: Literal["capacity", "load"] = "capacity"
    target: Name | None = None
    at: Duration
    length: Duration = Field(gt=0)
    factor: float = Field(gt=0)
    settle: float = Field(3.0, gt=0)
    collapse: float = Field(0.5, gt=0, lt=1)


class SystemOnly(Strict):
    """The ``[system]`` table alone: checked before an architecture preset copies its
    values into domains and locks, so that a bad one is named once, where it was written."""

    system: SystemSpec


class Config(Strict):
    """A whole experiment file after ``extends`` and ``--set`` are applied."""

    experiment: ExperimentSpec
    workload: WorkloadSpec | None = None  # required unless faults.mode = "dependability"
    components: dict[Name, ComponentSpec] = {}  # likewise (then at least one)
    transport: TransportSpec = TransportSpec()
    system: SystemSpec | None = None
    domains: dict[Name, DomainSpec] = {}
    locks: dict[Name, LockSpec] = {}
    sweep: dict[str, Any] = {}
    faults: Annotated[FaultsSpec | InjectionSpec, Field(discriminator="mode")] | None = None
    trigger: TriggerSpec | None = None
    migration: MigrationSpec | None = None

    def _check_sampling(self) -> None:
        exp = self.experiment
        if exp.engine == "fast" or self.faults is not None and self.faults.mode == "dependability":
            raise ValueError(f"experiment.sample_every: got {exp.sample_every:g} µs; only for a "
                             "model with requests (not faults.mode = \"dependability\" or "
                             "engine = \"fast\"); remove it")
        samples = (exp.warmup + exp.duration) / exp.sample_every
        if samples > MAX_SAMPLES:
            raise ValueError(f"experiment.sample_every: got {exp.sample_every:g} µs; must leave "
                             f"at most {MAX_SAMPLES} samples per replication (warmup + duration "
                             f"= {exp.warmup + exp.duration:g} µs gives {samples:.3g})")

    @model_validator(mode="after")
    def _references(self) -> Config:
        if self.experiment.trace is not None and self.system is None:
            raise ValueError("experiment.trace: traces the OS model's requests; this file has "
                             "no [system] table (add one, or remove experiment.trace)")
        if self.experiment.sample_every is not None:
            self._check_sampling()
        if self.experiment.engine == "fast":
            self._check_fast()
        if self.faults is not None and self.faults.mode == "dependability":
            for key in ("workload", "components", "transport", "system", "domains", "locks"):
                if key in self.model_fields_set:
                    raise ValueError(f"{key}: not used when faults.mode = \"dependability\" "
                                     "(faults and repairs only, no requests); remove it")
            return self
        if self.workload is None:
            raise ValueError("workload: missing; this key is required (only a file with "
                             "faults.mode = \"dependability\" may leave it out)")
        if not self.components:
            raise ValueError("components: missing or empty; at least one component is required "
                             "(only a file with faults.mode = \"dependability\" may leave it out)")
        known = set(self.components)
        for cname, cls in self.workload.classes.items():
            for i, step in enumerate(cls.path):
                _check_ref(step, known, f"workload.classes.{cname}.path[{i}]")
        for edge in self.transport.edges:
            for end in _edge_ends(edge):
                _check_ref(end, known, f"transport.edges.{edge}")
        for cname, comp in self.components.items():
            if comp.domain is not None:
                _check_ref(comp.domain, set(self.domains), f"components.{cname}.domain", "domain")
            if comp.lock is not None:
                _check_ref(comp.lock, set(self.locks), f"components.{cname}.lock", "lock")
            if comp.owner is not None:
                _check_ref(comp.owner, set(self.domains), f"components.{cname}.owner", "domain")
        if self.faults is not None:
            self._check_injection(known)
        if self.trigger is not None:
            self._check_trigger(known)
        if self.migration is not None:
            self._check_migration(known)
        nodes = self.system.nodes if self.system else 1
        if self.system is not None:
            self.system.check_placement(known)
            self.system.check_small_spaces(self.domains)
        for dname, dom in self.domains.items():
            if dom.node >= nodes:
                raise ValueError(f"domains.{dname}.node = {dom.node}: must be < system.nodes ({nodes})")
            if dom.kind == "kernel" and dom.node != 0:
                raise ValueError(f"domains.{dname}.node: a kernel domain runs on node 0 (with the clients)")
        if self.system is not None:
            for cname, comp in self.components.items():
                if comp.domain is None:
                    raise ValueError(f"components.{cname}.domain: missing; with [system] every "
                                     "component needs a domain (or use an architecture preset)")
        return self

    def _check_fast(self) -> None:
        head = "experiment.engine = 'fast': "
        if self.faults is None or self.faults.mode != "dependability":
            has = "no [faults] table" if self.faults is None else (
                f"faults.mode = \"{self.faults.mode}\"")
            raise ValueError(head + "answers only the blast-radius question of [faults] mode = "
                             f"\"dependability\" (this file has {has}); use engine = \"simpy\"")
        if self.faults.performability is not None:
            raise ValueError(head + "has no timing, so it cannot weigh states by time "
                             "([faults.performability]); use engine = \"simpy\"")
        for name, unit in self.faults.units.items():
            if getattr(unit, "needs", None):
                raise ValueError(head + f"faults.units.{name}.needs (a quorum) makes spreading "
                                 "depend on what is already down, which its all-up cascade "
                                 "cannot answer; use engine = \"simpy\"")

    def _check_trigger(self, known: set[str]) -> None:
        trig = self.trigger
        if self.workload.retry is None:
            raise ValueError("trigger: needs [workload.retry] (goodput is counted by the clients)")
        if trig.kind == "capacity":
            if self.system is not None:
                raise ValueError("trigger.kind = \"capacity\": only for the queueing model "
                                 "(a file without [system])")
            if trig.target is None:
                raise ValueError("trigger.target: missing; name the component whose capacity drops")
            _check_ref(trig.target, known, "trigger.target")
        elif self.workload.kind != "open":
            raise ValueError("trigger.kind = \"load\": needs an open workload")
        end = self.experiment.duration
        if trig.at + trig.length * (1 + trig.settle) >= end:
            raise ValueError(f"trigger: at + length × (1 + settle) = "
                             f"{trig.at + trig.length * (1 + trig.settle):g} µs must end before the "
                             f"run does (duration {end:g} µs), to see whether goodput recovers")

    def _check_migration(self, known: set[str]) -> None:
        mig = self.migration
        if self.system is not None:
            raise ValueError("migration: only for the queueing model (a file without [system])")
        _check_ref(mig.component, known, "migration.component")
        for i, name in enumerate(mig.process):
            _check_ref(name, known, f"migration.process[{i}]")
        end = from_config(mig.at).mean + expected_total(mig)
        if end >= self.experiment.duration:
            raise ValueError(f"migration: at + expected total time = {end:g} µs must end before "
                             f"the run does (duration {self.experiment.duration:g} µs)")

    def _check_injection(self, known: set[str]) -> None:
        faults = self.faults
        if self.system is None:
            raise ValueError("faults: mode = \"injection\" needs the OS model: add a [system] table")
        for name in ([faults.target] if faults.target else []) + list(faults.weights):
            _check_ref(name, known, "faults.target" if name == faults.target else
                       f"faults.weights.{name}")
        for key, (a, b) in faults.edge_ends().items():
            for end in (a, b):
                _check_ref(end, known, f"faults.edges.{key}")
        for i, name in enumerate(faults.down or []):
            _check_ref(name, known | set(self.domains), f"faults.down[{i}]",
                       "component or domain")

    def classes(self) -> dict[str, ClassSpec]:
        """Request classes; by default one class through every component in order."""
        if self.workload.classes:
            return self.workload.classes
        return {"default": ClassSpec(share=1.0, path=list(self.components))}


def _edge_ends(edge: str) -> list[str]:
    ends = [e.strip() for e in edge.split("->")]
    if len(ends) != 2:
        raise ValueError(f"transport.edges: key {edge!r} must read 'from->to'")
    return ends


def _check_ref(name: str, known: set[str], where: str, what: str = "component") -> None:
    if name not in known:
        raise ValueError(f"{where}: unknown {what} {name!r}; known: {', '.join(sorted(known)) or '(none)'}")
