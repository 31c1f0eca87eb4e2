"""A distribution from its config value: a duration, a family's table, or a fit.

The one entry point from configuration to :mod:`kernsim.engine.dists`; it sits
above both ``dists`` (the families) and ``fit`` (maximum-likelihood fitting,
which builds families), so neither imports the other's caller.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from typing import Any

from kernsim.engine.dists import Distribution, constant, durations, from_mapping
from kernsim.engine.fit import from_config_params


class Built:
    """A distribution as configured: the config value (``raw``, what a resolved config
    shows) and the :class:`Distribution` built from it once, when the config was
    validated (``kernsim.config.types.DistSpec``)."""

    __slots__ = ("dist", "raw")

    def __init__(self, raw: Any, dist: Distribution) -> None:
        self.raw = raw
        """The value as written (a duration, or a family's table)."""
        self.dist = dist
        """The distribution built from it."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Built) and self.raw == other.raw

    def __hash__(self) -> int:
        return hash(repr(self.raw))

    def __repr__(self) -> str:
        return f"Built({self.raw!r})"


DistValue = Built | Distribution | float | str | Mapping[str, Any]
"""What a config may hold for a distribution: built, or as written."""


def from_config(value: DistValue, base_dir: pathlib.Path | None = None) -> Distribution:
    """Build a distribution from a duration (-> :class:`Constant`) or a mapping; a
    :class:`Built` (a validated config value) gives the distribution it holds."""
    if isinstance(value, Built):
        return value.dist
    if isinstance(value, Distribution):
        return value
    if isinstance(value, Mapping) and value.get("dist") == "fit":
        return _fit(value, base_dir)
    if isinstance(value, Mapping):
        return from_mapping(value, base_dir)
    return constant(value)


def _fit(config: Mapping[str, Any], base_dir: pathlib.Path | None) -> Distribution:
    """``{dist = "fit", file | values, column?, families?}``: see :mod:`kernsim.engine.fit`."""
    params = {k: v for k, v in config.items() if k != "dist"}
    if "values" in params:
        params["values"] = durations("values", params["values"])
    return from_config_params(params, base_dir)
