"""Simulation engine support: units, random streams, distributions, monitors."""

from kernsim.engine.dists import (
    DISTRIBUTIONS,
    Constant,
    DistError,
    Distribution,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    HyperExponential,
    LogNormal,
    Normal,
    Uniform,
    Weibull,
    scale,
)
from kernsim.engine.monitor import Tally, TimeWeighted
from kernsim.engine.spec import from_config
from kernsim.engine.streams import Streams, stable_key, task_seed
from kernsim.engine.units import UnitError, format_duration, parse_bytes, parse_duration

__all__ = [
    "DISTRIBUTIONS",
    "Constant",
    "DistError",
    "Distribution",
    "Empirical",
    "Erlang",
    "Exponential",
    "Gamma",
    "HyperExponential",
    "LogNormal",
    "Normal",
    "Streams",
    "Tally",
    "TimeWeighted",
    "Uniform",
    "UnitError",
    "Weibull",
    "format_duration",
    "from_config",
    "parse_bytes",
    "parse_duration",
    "scale",
    "stable_key",
    "task_seed",
]
