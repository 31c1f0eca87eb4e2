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


def from_config(value: Any, base_dir: pathlib.Path | None = None) -> Distribution:
    """Build a distribution from a duration (-> :class:`Constant`) or a mapping."""
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
