"""The ``[faults]`` table: units that fail and are repaired, propagation, containment.

``mode = "dependability"`` runs the long-time-scale model of
:mod:`kernsim.dependability.timed` (no requests); its docstring gives the semantics.
Every problem is reported under its own dotted key (``faults.edges.db->web``),
with the value given and what is allowed.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from kernsim.config.types import DistSpec, Name, Problem, Strict, no_bool
from kernsim.engine.spec import Built, from_config
from kernsim.engine.units import parse_duration

#: "unit" (every instance) or "unit[i]" (one instance) in a domain's member list
MEMBER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\[\s*(\d+)\s*\])?\s*$")


Probability = Annotated[float, BeforeValidator(no_bool), Field(ge=0, le=1)]
Count = Annotated[int, BeforeValidator(no_bool), Field(ge=1)]
Node = Annotated[int, BeforeValidator(no_bool), Field(ge=0)]
Need = Annotated[int, BeforeValidator(no_bool)]
# a node number, or "each" (instance i on node i); tags as for Edge below
Placement = Annotated[Annotated[Node, Tag("number[node]")] | Annotated[Literal["each"],
                      Tag("text[each]")],
                      Discriminator(lambda v: "text[each]" if isinstance(v, str) else "number[node]")]


class EdgeSpec(Strict):
    """An edge written as a table, ``{p = 0.3, fanout = 2}``: a ring instead of all-to-all.

    Instance ``i`` of the left unit links to instances ``(i+1 … i+fanout) mod
    count`` of the right unit (``i`` itself skipped when both ends are one unit,
    so ``fanout = count`` is every other instance); without ``fanout``, to every
    instance, as a plain number does.
    """

    p: Probability
    fanout: Count | None = None


def _edge_form(value: Any) -> str:
    return "table[p, fanout]" if isinstance(value, dict | EdgeSpec) else "number[p]"


# the tags hold brackets so that error messages leave them out (errors._is_branch_tag)
Edge = Annotated[Annotated[Probability, Tag("number[p]")] | Annotated[EdgeSpec,
                 Tag("table[p, fanout]")], Discriminator(_edge_form)]


class UnitSpec(Strict):
    """``[faults.units.NAME]``: ``count`` identical instances that fail and are repaired."""

    count: Annotated[Count, Field(le=1_000_000)] = 1  # instances; bounded before any is made
    node: Placement | None = None
    nodes: list[Node] | None = None
    ttf: DistSpec = None
    repair: DistSpec
    kind: Literal["crash", "hang", "corruption"] = "crash"
    detect: Probability | None = None
    watchdog: DistSpec = None
    needs: dict[str, Need] = {}  # quorum: unit -> instances that must be up (faults.py)

    @model_validator(mode="after")
    def _consistent(self) -> UnitSpec:
        problems = []
        if self.node is not None and self.nodes is not None:
            problems.append(Problem(("nodes",), self.nodes, "give either 'node' (all instances) or "
                             "'nodes' (one per instance), not both"))
        if self.nodes is not None and len(self.nodes) != self.count:
            problems.append(Problem(("nodes",), self.nodes, f"has {len(self.nodes)} entries; must have "
                             f"one per instance (count = {self.count})"))
        if self.ttf is not None and not from_config(self.ttf).mean > 0:
            problems.append(Problem(("ttf",), self.ttf, "must have a mean > 0 (for a unit that never "
                             "fails by itself, leave 'ttf' out)"))
        if self.detect is not None and self.kind != "corruption":
            problems.append(Problem(("detect",), self.detect, "only a kind = \"corruption\" unit has a "
                             f"detection probability (this unit's kind is {self.kind!r})"))
        if self.watchdog is not None and self.kind != "hang":
            problems.append(Problem(("watchdog",), self.watchdog, "only a kind = \"hang\" unit waits "
                             f"for a watchdog (this unit's kind is {self.kind!r})"))
        _raise(problems, "UnitSpec")
        return self

    def node_of(self, index: int) -> int:
        """The node instance ``index`` lives on."""
        if self.nodes is not None:
            return self.nodes[index]
        if self.node == "each":
            return index
        return self.node or 0


class FaultSystemSpec(Strict):
    """``[faults.system]``: when the whole system counts as up."""

    require: dict[str, Annotated[int, BeforeValidator(no_bool)]] = {}


#: the validation context key under which the loader hands over performance models
PERFORMANCE_MODELS = "performance_models"


class PerformabilitySpec(Strict):
    """``[faults.performability]``: the two-time-scale reward (:mod:`kernsim.dependability.performability`).

    ``kernsim`` is an experiment file of the OS performance model (a path
    relative to the experiment file, else to the working folder); every
    unit names one of its components or domains. For each set of down
    units the dependability run meets, that model runs ``replications``
    times for ``duration`` (default: its own) with those units down.
    """

    model: str
    replications: Count = 10
    duration: Annotated[float, BeforeValidator(parse_duration), Field(gt=0)] | None = None
    _config: Any = PrivateAttr(None)  # a schema.Config (which imports this module)
    _digest: str = PrivateAttr("")

    @model_validator(mode="after")
    def _attach(self, info: ValidationInfo) -> PerformabilitySpec:
        """Take the performance model the loader read (validation context
        ``performance_models``: path -> (config, hash), or why it could not be read)."""
        loaded = (info.context or {}).get(PERFORMANCE_MODELS, {}).get(self.model)
        if loaded is None:
            loaded = "not loaded (validate through kernsim.experiment.load)"
        if isinstance(loaded, str):
            _raise([Problem(("model",), self.model, loaded)], "PerformabilitySpec")
        config, digest = loaded
        problem = _performance_problem(config)
        if problem:
            _raise([Problem(("model",), self.model, problem)], "PerformabilitySpec")
        self._config, self._digest = config, digest
        return self

    @property
    def digest(self) -> str:
        """The performance model's config hash (the per-state cache is keyed by it)."""
        return self._digest

    def names(self) -> set[str]:
        """Components and domains of the performance model (what units may be named)."""
        return set(self._config.components) | set(self._config.domains)

    def degraded(self, down) -> Any:
        """The performance model's config with the units ``down`` forced down, no fault
        injected, run for ``duration``; it keeps its own ``error_delay`` and
        ``server_timeout`` if it has an injection table."""
        base = self._config
        faults: dict[str, Any] = {"mode": "injection", "down": sorted(down)}
        if base.faults is not None:
            faults |= {"error_delay": base.faults.error_delay,
                       "server_timeout": base.faults.server_timeout}
        exp = base.experiment.model_copy(
            update={"duration": self.duration} if self.duration else {})
        return base.model_copy(update={"faults": InjectionSpec.model_validate(faults),
                                       "experiment": exp})


def _performance_problem(config: Any) -> str:
    if config.system is None:
        return "the performance model needs the OS model (a [system] table): units fail domains"
    if config.faults is not None and config.faults.mode != "injection":
        return "the performance model must not itself be a dependability model"
    if config.sweep:
        return "the performance model must not have a [sweep] (one model per state)"
    return ""


class FaultsSpec(Strict):
    """``[faults]``: fault, propagation and repair model."""

    mode: Literal["dependability"]
    repair_crews: Annotated[int, BeforeValidator(no_bool), Field(ge=0)] = 0
    units: dict[Name, UnitSpec] = Field(min_length=1)
    edges: dict[str, Edge] = {}
    domains: dict[Name, list[str]] = {}
    system: FaultSystemSpec = FaultSystemSpec()
    performability: PerformabilitySpec | None = None

    @model_validator(mode="after")
    def _performability_units(self) -> FaultsSpec:
        """Two time scales: each unit is one component or domain of the performance model."""
        if self.performability is None:
            return self
        names, problems = self.performability.names(), []
        for name, unit in self.units.items():
            if name not in names:
                problems.append(Problem(("units", name), name, "with [faults.performability] a "
                                "unit must name a component or domain of the performance "
                                f"model; known: {', '.join(sorted(names))}"))
            elif unit.count != 1:
                problems.append(Problem(("units", name, "count"), unit.count, "must be 1 with "
                                "[faults.performability] (the performance model has one "
                                f"{name!r})"))
        _raise(problems, "FaultsSpec")
        return self

    @model_validator(mode="after")
    def _references(self) -> FaultsSpec:
        problems = (self._edge_problems() + self._domain_problems() + self._require_problems()
                    + self._needs_problems())
        if not any(u.ttf is not None for u in self.units.values()):
            problems.append(Problem(("units",), sorted(self.units), "no unit has a 'ttf': nothing would "
                             "ever fail; give at least one unit a time-to-fault distribution"))
        _raise(problems, "FaultsSpec")
        return self

    def edge_ends(self) -> dict[str, tuple[str, str]]:
        """Edge key -> (from unit, to unit)."""
        return {key: _ends(key) for key in self.edges}

    def probability(self, key: str) -> float:
        """The probability of edge ``key`` (written as a number or as ``{p = …}``)."""
        edge = self.edges[key]
        return edge.p if isinstance(edge, EdgeSpec) else edge

    def pairs(self, key: str) -> list[tuple[int, int]]:
        """(left instance, right instance) index pairs edge ``key`` links, by left instance."""
        left, right = _ends(key)
        n_left, n_right = self.units[left].count, self.units[right].count
        edge = self.edges[key]
        fanout = edge.fanout if isinstance(edge, EdgeSpec) else None
        if fanout is None:
            return [(i, j) for i in range(n_left) for j in range(n_right)
                    if (left, i) != (right, j)]
        return [(i, j) for i in range(n_left)
                for j in ((i + d) % n_right for d in range(1, fanout + 1))
                if (left, i) != (right, j)]

    def members(self, domain: str) -> list[tuple[str, int]]:
        """(unit, instance) pairs of a domain, in the order written."""
        out = []
        for text in self.domains[domain]:
            unit, index = _member(text)
            indices = range(self.units[unit].count) if index is None else (index,)
            out += [(unit, i) for i in indices if (unit, i) not in out]
        return out

    def required(self) -> dict[str, int]:
        """Unit -> instances that must be up; by default every instance of every unit."""
        if self.system.require:
            return dict(self.system.require)
        return {name: unit.count for name, unit in self.units.items()}

    def _edge_problems(self) -> list[Problem]:
        problems = []
        for key, p in self.edges.items():
            ends = _ends(key)
            if ends is None:
                problems.append(Problem(("edges", key), p, "an edge key must read 'from->to' "
                                 "(two unit names)"))
                continue
            for end in ends:
                if end not in self.units:
                    problems.append(Problem(("edges", key), p, f"unknown unit {end!r}; known: "
                                     f"{_known(self.units)}"))
            fanout = p.fanout if isinstance(p, EdgeSpec) else None
            right = self.units.get(ends[1])
            if fanout is not None and right is not None and fanout > right.count:
                problems.append(Problem(("edges", key, "fanout"), fanout, f"must be between 1 "
                                 f"and the count of {ends[1]!r} ({right.count})"))
        return problems

    def _domain_problems(self) -> list[Problem]:
        problems, owner = [], {}
        for name, members in self.domains.items():
            if not members:
                problems.append(Problem(("domains", name), members, "a domain needs at least one member"))
            for i, text in enumerate(members):
                where = ("domains", name, i)
                parsed = _member(text) if isinstance(text, str) else None
                if parsed is None:
                    problems.append(Problem(where, text, "a member is a unit name or 'unit[i]' "
                                     "(one instance)"))
                    continue
                unit, index = parsed
                if unit not in self.units:
                    problems.append(Problem(where, text, f"unknown unit {unit!r}; known: "
                                     f"{_known(self.units)}"))
                    continue
                count = self.units[unit].count
                if index is not None and index >= count:
                    problems.append(Problem(where, text, f"instance {index} does not exist; {unit!r} "
                                     f"has count = {count} (instances 0..{count - 1})"))
                    continue
                for inst in range(count) if index is None else (index,):
                    other = owner.setdefault((unit, inst), name)
                    if other != name:
                        problems.append(Problem(where, text, f"{unit}[{inst}] is already in domain "
                                         f"{other!r}; an instance belongs to one domain at most"))
                        break
        return problems

    def _require_problems(self) -> list[Problem]:
        problems = []
        for unit, k in self.system.require.items():
            where = ("system", "require", unit)
            if unit not in self.units:
                problems.append(Problem(where, k, f"unknown unit {unit!r}; known: {_known(self.units)}"))
            elif not 1 <= k <= self.units[unit].count:
                problems.append(Problem(where, k, f"must be between 1 and the unit's count "
                                 f"({self.units[unit].count})"))
        return problems


    def _needs_problems(self) -> list[Problem]:
        problems = []
        for name, unit in self.units.items():
            for other, k in unit.needs.items():
                where = ("units", name, "needs", other)
                if other not in self.units:
                    problems.append(Problem(where, k, f"unknown unit {other!r}; known: "
                                     f"{_known(self.units)}"))
                elif not 1 <= k <= self.units[other].count:
                    problems.append(Problem(where, k, f"must be between 1 and the count of "
                                     f"{other!r} ({self.units[other].count})"))
        return problems


def _ends(key: str) -> tuple[str, str] | None:
    ends = [e.strip() for e in key.split("->")]
    if len(ends) != 2 or not all(ends):
        return None
    return ends[0], ends[1]


def _member(text: str) -> tuple[str, int | None] | None:
    match = MEMBER.match(text)
    if match is None:
        return None
    unit, index = match.groups()
    return unit, None if index is None else int(index)


def _known(units: dict) -> str:
    return ", ".join(sorted(units)) or "(none)"


def _raise(problems: list[Problem], title: str) -> None:
    """Report every problem under its own key (pydantic prefixes the outer path)."""
    if not problems:
        return
    details = [{"type": "value_error", "loc": p.loc, "input": _plain(p.value),  # InitErrorDetails
                "ctx": {"error": ValueError(p.message)}} for p in problems]
    raise ValidationError.from_exception_data(title, details)


def _plain(value: Any) -> Any:
    """A value as shown in a message: as written, never a mapping (which would hide it)."""
    if isinstance(value, Built):
        value = value.raw
    if isinstance(value, BaseModel):
        value = value.model_dump(exclude_none=True)
    if isinstance(value, dict):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


class InjectionSpec(Strict):
    """``[faults] mode = "injection"``: faults injected into the performance model.

    A fault hits component ``target`` (or one drawn by ``weights``; default
    1 each) ``at`` after the warm-up and fails the component's whole domain
    (in a monolithic kernel: the kernel, so the node). It spreads along
    ``edges`` (``"a->b" = p``: component ``b``'s domain fails with
    probability ``p``). A failed server restarts after ``restart``, a failed
    kernel after ``reboot`` (``restarts`` overrides per domain; entries for
    domains an architecture does not have are ignored, so one file can sweep
    architectures).

    ``kind = "corruption"``: caught at once with probability ``detect`` (the
    checker stops the origin's domain, nothing spreads), else the corrupt
    state fails the origin's domain and spreads along ``edges`` ``latency``
    later. ``locks = "poison"``: a lock held inside a failed domain fails its
    waiters and later acquirers until that domain restarts (``"release"``:
    it is freed). ``ttf``: faults recur (the next one a ``ttf`` draw after
    every recovery) instead of one per replication. ``down``: components (or
    domains) forced down for the whole run, no fault injected (the degraded
    states of the two-scale mode). :mod:`kernsim.system.inject` gives the full
    semantics.
    """

    mode: Literal["injection"]
    target: Name | None = None
    weights: dict[Name, Annotated[float, Field(gt=0)]] = {}
    at: DistSpec = 0.0
    ttf: DistSpec = None  # None: one fault per replication, at ``at``
    kind: Literal["crash", "hang", "corruption"] = "crash"
    detect: Probability | None = None  # corruption only; None: 0
    latency: DistSpec = None  # corruption only; None: 0
    locks: Literal["release", "poison"] = "release"
    restart: DistSpec = "1ms"
    reboot: DistSpec = "1s"
    restarts: dict[Name, DistSpec] = {}
    edges: dict[str, Probability] = {}
    error_delay: DistSpec = "1us"
    server_timeout: DistSpec = None
    down: list[Name] | None = None  # None: faults as above; a list: forced down, no fault

    @model_validator(mode="after")
    def _shape(self) -> InjectionSpec:
        problems = []
        if self.target is not None and self.weights:
            problems.append(Problem(("weights",), self.weights, "give either 'target' (one "
                            "component) or 'weights' (a random one), not both"))
        for key, p in self.edges.items():
            if _ends(key) is None:
                problems.append(Problem(("edges", key), p, "an edge key must read 'from->to' "
                                "(two component names)"))
        _raise(problems + self._kind_problems() + self._timing_problems(), "InjectionSpec")
        return self

    def _kind_problems(self) -> list[Problem]:
        problems = []
        for key in ("detect", "latency"):
            value = getattr(self, key)
            if value is not None and self.kind != "corruption":
                problems.append(Problem((key,), value, f"only kind = \"corruption\" has a "
                                f"'{key}' (this fault's kind is {self.kind!r})"))
        return problems

    def _timing_problems(self) -> list[Problem]:
        problems = []
        given = self.model_fields_set
        if self.ttf is not None and not from_config(self.ttf).mean > 0:
            problems.append(Problem(("ttf",), self.ttf, "must have a mean > 0 (for one fault "
                            "per replication, leave 'ttf' out and give 'at')"))
        if self.ttf is not None and "at" in given:
            problems.append(Problem(("at",), self.at, "give either 'at' (one fault per "
                            "replication) or 'ttf' (recurring faults), not both"))
        if self.down is not None:
            for key in ("target", "weights", "at", "ttf", "edges"):
                if key in given:
                    problems.append(Problem((key,), getattr(self, key), "a run with 'down' "
                                    "(forced down, no fault) takes no fault: leave it out"))
        return problems

    def edge_ends(self) -> dict[str, tuple[str, str]]:
        return {key: _ends(key) for key in self.edges}
