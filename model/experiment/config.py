"""The experiment schema: every key a TOML file may hold, validated by pydantic.

Values that are times accept units ("3.5us", "2ms"); bare numbers are µs.
Distribution-valued keys take a constant duration or a table such as
``{dist = "lognormal", mean = "2us", cv = 0.5}``; they are checked here and
built into objects by the system builder. Unknown keys are rejected.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import model_validator

from model.engine.dists import from_config
from model.engine.units import parse_duration


def _duration(value: Any) -> float:
    return parse_duration(value)


def _dist(value: Any) -> Any:
    if value is not None:
        from_config(value)
    return value


Duration = Annotated[float, BeforeValidator(_duration)]
DistSpec = Annotated[Any, AfterValidator(_dist)]
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError("must start with a letter or _ and hold only letters, digits, _ . -")
    return value


Name = Annotated[str, AfterValidator(_name)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ExperimentSpec(Strict):
    """``[experiment]``: what to run and for how long."""

    name: Name
    description: str = ""
    seed: int = Field(0, ge=0)
    replications: int = Field(10, ge=1, le=1_000_000)
    warmup: Duration = 0.0
    duration: Duration = Field(gt=0)
    common_random_numbers: bool = True


class ComponentSpec(Strict):
    """``[components.NAME]``: a station with ``servers`` workers."""

    servers: int = Field(1, ge=1)
    discipline: Literal["fifo", "lifo"] = "fifo"
    service: DistSpec


class ClassSpec(Strict):
    """``[workload.classes.NAME]``: a request class and its path."""

    share: float = Field(1.0, gt=0)
    path: list[str] = Field(min_length=1)


class WorkloadSpec(Strict):
    """``[workload]``: open (inter-arrival times) or closed (clients, think time)."""

    kind: Literal["open", "closed"] = "open"
    interarrival: DistSpec = None
    clients: int | None = Field(None, ge=1)
    think: DistSpec = 0.0
    classes: dict[Name, ClassSpec] = {}

    @model_validator(mode="after")
    def _kind_fields(self) -> WorkloadSpec:
        if self.kind == "open" and self.interarrival is None:
            raise ValueError("an open workload needs 'interarrival' (a distribution)")
        if self.kind == "closed" and self.clients is None:
            raise ValueError("a closed workload needs 'clients' (an integer ≥ 1)")
        if self.kind == "open" and self.clients is not None:
            raise ValueError("'clients' belongs to a closed workload; set kind = \"closed\"")
        return self


class TransportSpec(Strict):
    """``[transport]``: delay between consecutive steps of a path."""

    delay: DistSpec = 0.0
    edges: dict[str, DistSpec] = {}


class Config(Strict):
    """A whole experiment file after ``extends`` and ``--set`` are applied."""

    experiment: ExperimentSpec
    workload: WorkloadSpec
    components: dict[Name, ComponentSpec] = Field(min_length=1)
    transport: TransportSpec = TransportSpec()
    sweep: dict[str, Any] = {}

    @model_validator(mode="after")
    def _references(self) -> Config:
        known = set(self.components)
        for cname, cls in self.workload.classes.items():
            for i, step in enumerate(cls.path):
                _check_ref(step, known, f"workload.classes.{cname}.path[{i}]")
        for edge in self.transport.edges:
            for end in _edge_ends(edge):
                _check_ref(end, known, f"transport.edges.{edge}")
        return self

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


def _check_ref(name: str, known: set[str], where: str) -> None:
    if name not in known:
        raise ValueError(f"{where}: unknown component {name!r}; known: {', '.join(sorted(known))}")
