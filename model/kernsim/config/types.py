"""Field types shared by the experiment schema and the faults schema.

Validation builds what the model will use, once: a distribution-valued key
(:data:`DistSpec`) becomes a :class:`kernsim.engine.spec.Built` holding the
:class:`~kernsim.engine.dists.Distribution` and the value as written (which is
what a resolved config shows). The loader passes one cache of built
distributions (validation context ``distributions``) to every design point of a
run, so a ``fit`` or ``empirical`` file is read and fitted once per run.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
)

from kernsim.engine.spec import Built, from_config
from kernsim.engine.units import parse_bytes, parse_duration

#: the validation context key of the loader's cache of built distributions
DISTRIBUTIONS = "distributions"
#: what a name (of a component, class, domain, lock, unit, experiment) looks like
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class Strict(BaseModel):
    """A config table: unknown keys are refused, defaults are validated too."""

    model_config = ConfigDict(extra="forbid", validate_default=True, strict=True)


class Problem(NamedTuple):
    """One bad value: its key path below the model, the value, what is wrong."""

    loc: tuple
    value: Any
    message: str


def _duration(value: Any) -> float:
    return parse_duration(value)


def _bytes(value: Any) -> float:
    return parse_bytes(value)


def _dist(value: Any, info: ValidationInfo) -> Any:
    """Build the distribution once (per run, with the loader's cache)."""
    if value is None or isinstance(value, Built):
        return value
    cache = (info.context or {}).get(DISTRIBUTIONS)
    if cache is None:
        return Built(value, from_config(value))
    key = json.dumps(value, sort_keys=True, default=str)
    if key not in cache:
        cache[key] = from_config(value)
    return Built(value, cache[key])


def _as_written(value: Any) -> Any:
    return value.raw if isinstance(value, Built) else value


#: the longest name: a name becomes a folder name (``results/NAME``) and a column prefix,
#: and file systems refuse names past 255 bytes
NAME_MAX = 100


def _name(value: str) -> str:
    if not NAME.match(value):
        raise ValueError("must start with a letter or _ and hold only letters, digits, _ . -")
    if len(value) > NAME_MAX:
        raise ValueError(f"{len(value)} characters; at most {NAME_MAX}")
    return value


def no_bool(value: Any) -> Any:
    """Refuse true/false where a number is wanted (pydantic would take them as 1/0)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")  # noqa: TRY004 - pydantic wants it
    return value


Duration = Annotated[float, BeforeValidator(_duration)]
"""A duration (``"5us"``, ``"2ms"``, a number of µs), in µs."""
Bytes = Annotated[float, BeforeValidator(_bytes)]
"""A size (``"4KiB"``, a number of bytes), in bytes."""
DistSpec = Annotated[Any, AfterValidator(_dist), PlainSerializer(_as_written)]
"""A distribution of durations: a :class:`Built` after validation, shown as written."""
Name = Annotated[str, AfterValidator(_name)]
"""A name: a letter or ``_``, then letters, digits, ``_ . -``."""
