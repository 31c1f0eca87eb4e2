"""The ``[faults]`` table: units that fail and are repaired, propagation, containment.

``mode = "dependability"`` runs the long-time-scale model of
:mod:`model.system.faults` (no requests); its docstring gives the semantics.
Every problem is reported under its own dotted key (``faults.edges.db->web``),
with the value given and what is allowed.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails

from model.engine.dists import from_config

#: "unit" (every instance) or "unit[i]" (one instance) in a domain's member list
MEMBER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\[\s*(\d+)\s*\])?\s*$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


# ``config.py`` imports this module, so its Strict, DistSpec and Name are mirrored here.

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _dist(value: Any) -> Any:
    if value is not None:
        from_config(value)
    return value


def _name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError("must start with a letter or _ and hold only letters, digits, _ . -")
    return value


DistSpec = Annotated[Any, AfterValidator(_dist)]
Name = Annotated[str, AfterValidator(_name)]


class Problem(NamedTuple):
    """One bad value: its key path below the model, the value, what is wrong."""

    loc: tuple
    value: Any
    message: str


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")  # noqa: TRY004 - pydantic wants it
    return value


Probability = Annotated[float, BeforeValidator(_no_bool), Field(ge=0, le=1)]
Count = Annotated[int, BeforeValidator(_no_bool), Field(ge=1)]
Node = Annotated[int, BeforeValidator(_no_bool), Field(ge=0)]


class UnitSpec(Strict):
    """``[faults.units.NAME]``: ``count`` identical instances that fail and are repaired."""

    count: Count = 1
    node: Node | None = None
    nodes: list[Node] | None = None
    ttf: DistSpec = None
    repair: DistSpec
    kind: Literal["crash", "hang", "corruption"] = "crash"
    detect: Probability | None = None
    watchdog: DistSpec = None

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
        return self.node or 0


class FaultSystemSpec(Strict):
    """``[faults.system]``: when the whole system counts as up."""

    require: dict[str, Annotated[int, BeforeValidator(_no_bool)]] = {}


class FaultsSpec(Strict):
    """``[faults]``: fault, propagation and repair model."""

    mode: Literal["dependability"]
    repair_crews: Annotated[int, BeforeValidator(_no_bool), Field(ge=0)] = 0
    units: dict[Name, UnitSpec] = Field(min_length=1)
    edges: dict[str, Probability] = {}
    domains: dict[Name, list[str]] = {}
    system: FaultSystemSpec = FaultSystemSpec()

    @model_validator(mode="after")
    def _references(self) -> FaultsSpec:
        problems = self._edge_problems() + self._domain_problems() + self._require_problems()
        if not any(u.ttf is not None for u in self.units.values()):
            problems.append(Problem(("units",), sorted(self.units), "no unit has a 'ttf': nothing would "
                             "ever fail; give at least one unit a time-to-fault distribution"))
        _raise(problems, "FaultsSpec")
        return self

    def edge_ends(self) -> dict[str, tuple[str, str]]:
        """Edge key -> (from unit, to unit)."""
        return {key: _ends(key) for key in self.edges}

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
    details = [InitErrorDetails(type="value_error", loc=p.loc, input=_plain(p.value),
                                ctx={"error": ValueError(p.message)}) for p in problems]
    raise ValidationError.from_exception_data(title, details)


def _plain(value: Any) -> Any:
    """A value as shown in a message: never a mapping (which would hide it)."""
    if isinstance(value, dict):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


class InjectionSpec(Strict):
    """``[faults] mode = "injection"``: one fault per replication in the performance model.

    The fault hits component ``target`` (or one drawn by ``weights``; default
    1 each) ``at`` after the warm-up and fails the component's whole domain
    (in a monolithic kernel: the kernel, so the node). It spreads along
    ``edges`` (``"a->b" = p``: component ``b``'s domain fails with
    probability ``p``). A failed server restarts after ``restart``, a failed
    kernel after ``reboot`` (``restarts`` overrides per domain; entries for
    domains an architecture does not have are ignored, so one file can sweep
    architectures).
    """

    mode: Literal["injection"]
    target: Name | None = None
    weights: dict[Name, Annotated[float, Field(gt=0)]] = {}
    at: DistSpec = 0.0
    kind: Literal["crash", "hang"] = "crash"
    restart: DistSpec = "1ms"
    reboot: DistSpec = "1s"
    restarts: dict[Name, DistSpec] = {}
    edges: dict[str, Probability] = {}
    error_delay: DistSpec = "1us"
    server_timeout: DistSpec = None

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
        _raise(problems, "InjectionSpec")
        return self

    def edge_ends(self) -> dict[str, tuple[str, str]]:
        return {key: _ends(key) for key in self.edges}
