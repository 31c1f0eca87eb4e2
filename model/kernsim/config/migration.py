"""``[migration]``: its table, and the arithmetic of a configured migration (bytes per
copy round, the expected start-to-up time). The simulation that uses them is
:mod:`kernsim.queueing.migration`; the schema checks that a run is long enough.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from kernsim.config.types import Bytes, DistSpec, Name, Strict
from kernsim.engine.spec import DistValue, from_config
from kernsim.engine.units import parse_bytes, parse_duration


def _rate(value: Any) -> float:
    """Bytes per µs: a number, or a size per time such as ``"1.25GB/s"`` or ``"4KiB/ms"``."""
    if isinstance(value, str):
        size, slash, per = value.partition("/")
        if not slash:
            raise ValueError(f'"{value}": a rate needs a time unit, such as "1.25GB/s" '
                             "(a bare number is bytes per µs)")
        per = per.strip()
        span = parse_duration(per if per[:1].isdigit() or per[:1] == "." else "1" + per)
        if span <= 0:
            raise ValueError(f'"{value}": the time after "/" must be > 0')
        return parse_bytes(size) / span
    return parse_bytes(value)


Rate = Annotated[float, BeforeValidator(_rate)]


class MigrationSpec(Strict):
    """``[migration]``: one component moves to another node (queueing model only).

    ``strategy = "component"`` moves the component's ``state``; ``"checkpoint"``
    checkpoints the whole process (``process_state`` bytes; the components in
    ``process`` stop too) and restarts it. Optional pre-copy rounds run while
    it serves; then it stops, drains, copies the rest at ``bandwidth`` and
    comes back after ``latency`` + ``resume`` (or ``restart``).
    :mod:`kernsim.queueing.migration` gives the full semantics.
    """

    component: Name
    strategy: Literal["component", "checkpoint"] = "component"
    at: DistSpec = 0.0
    state: Bytes
    process_state: Bytes | None = None  # required by strategy = "checkpoint"
    process: list[Name] = []  # components the checkpoint stops with ``component``
    bandwidth: Annotated[Rate, Field(gt=0)]
    latency: DistSpec = 0.0
    precopy_rounds: int = Field(0, ge=0, le=1000)
    dirty_rate: Rate = 0.0
    resume: DistSpec = 0.0
    restart: DistSpec = 0.0
    queue_during: bool = True

    @model_validator(mode="after")
    def _sizes(self) -> MigrationSpec:
        if self.strategy == "checkpoint" and self.process_state is None:
            raise ValueError("process_state: missing; strategy = \"checkpoint\" moves the whole "
                             "process (bytes, at least 'state')")
        if self.process_state is not None and self.process_state < self.state:
            raise ValueError(f"process_state: {self.process_state:g} bytes is less than state = "
                             f"{self.state:g} bytes; the process holds the component's state")
        return self


def precopy(size: float, bandwidth: float, dirty_rate: float, rounds: int) -> list[float]:
    """Bytes each pre-copy round sends: the whole state, then what the round before let be dirtied."""
    sent, x = [], size
    for _ in range(rounds):
        if x <= 0:
            break
        sent.append(x)
        x = min(size, dirty_rate * x / bandwidth)
    return sent


def final_copy(size: float, sent: list[float], bandwidth: float, dirty_rate: float,
               drain: float) -> float:
    """Bytes of the stop-and-copy: everything, or what the last round and the drain dirtied."""
    if not sent:
        return size
    return min(size, dirty_rate * (sent[-1] / bandwidth + drain))


def moved_size(spec: MigrationSpec) -> float:
    """The bytes that move: the component's state, or the whole process's."""
    return spec.process_state if spec.strategy == "checkpoint" else spec.state


def expected_total(spec: MigrationSpec) -> float:
    """Mean start-to-up time without a drain (the schema checks it fits in the run)."""
    size, rate = moved_size(spec), spec.bandwidth
    sent = precopy(size, rate, spec.dirty_rate, spec.precopy_rounds)
    last = final_copy(size, sent, rate, spec.dirty_rate, 0.0)
    return (sum(sent) + last) / rate + _mean(spec.latency) + _mean(_up_cost(spec))


def _up_cost(spec: MigrationSpec) -> DistValue:
    return spec.restart if spec.strategy == "checkpoint" else spec.resume


def _mean(value: Any) -> float:
    return from_config(value).mean
