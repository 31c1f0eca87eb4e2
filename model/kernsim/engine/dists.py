"""Probability distributions of durations (in µs) as objects.

Every distribution draws from a caller-supplied :class:`numpy.random.Generator`
and knows its own ``mean`` and ``variance``. :func:`from_mapping` builds one from
its configuration form (the inverse of :meth:`Distribution.to_dict`); the
entry point from any config value, fits included, is :mod:`kernsim.engine.spec`.
"""

from __future__ import annotations

import math
import numbers
import pathlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from kernsim.engine.datafile import DataFileError, read_column
from kernsim.engine.units import UnitError, parse_duration

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
    "Uniform",
    "Weibull",
    "constant",
    "durations",
    "from_mapping",
    "scale",
]

#: Kinds of config values: how :func:`from_mapping` converts them.
DURATION, NUMBER, INTEGER, DURATIONS, NUMBERS, TEXT = (
    "duration", "number", "integer", "durations", "numbers", "text")


class DistError(ValueError):
    """Invalid distribution parameter or configuration."""


class Distribution:
    """Base class. Subclasses set ``name``, ``keys`` and override :meth:`sample_n`.

    ``keys`` maps each config key to its kind; ``required`` lists the keys
    :func:`from_config` insists on (default: all of ``keys``).
    """

    name: ClassVar[str] = ""
    keys: ClassVar[dict[str, str]] = {}
    required: ClassVar[tuple[str, ...] | None] = None
    _mean: float
    _var: float

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value."""
        return float(self.sample_n(rng, 1)[0])

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values as a float array."""
        raise NotImplementedError

    def sampler(self, rng: np.random.Generator, block: int = 1024) -> Callable[[], float]:
        """Return a zero-argument function drawing values ``block`` at a time."""
        if block < 1:
            raise DistError(f"block: got {block!r}; must be >= 1")
        draw, buf = self.sample_n, []

        def next_value() -> float:
            if not buf:
                buf.extend(reversed(draw(rng, block).tolist()))
            return buf.pop()

        return next_value

    @property
    def mean(self) -> float:
        """Expected value (µs)."""
        return self._mean

    @property
    def variance(self) -> float:
        """Variance (µs²)."""
        return self._var

    @property
    def cv(self) -> float:
        """Coefficient of variation; 0 if the mean is 0."""
        return math.sqrt(self._var) / self._mean if self._mean else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the config form, accepted by :func:`from_config`."""
        return {"dist": self.name, **self._args()}

    def _args(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_params(cls, params: dict[str, Any], base_dir: pathlib.Path | None) -> Distribution:
        """Build from converted config values (hook for alternative keys)."""
        return cls(**params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._args().items())
        return f"{type(self).__name__}({args})"


class Constant(Distribution):
    """Always ``value``."""

    name, keys = "constant", {"value": DURATION}

    def __init__(self, value: float) -> None:
        self.value = _nonneg("value", value)
        self._mean, self._var = self.value, 0.0

    def sample(self, rng: np.random.Generator) -> float:
        return self.value

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def sampler(self, rng: np.random.Generator, block: int = 1024) -> Callable[[], float]:
        value = self.value
        return lambda: value

    def _args(self) -> dict[str, Any]:
        return {"value": self.value}


class Exponential(Distribution):
    """Exponential with the given ``mean``; config may give ``rate`` (per µs) instead."""

    name, keys, required = "exponential", {"mean": DURATION, "rate": NUMBER}, ()

    def __init__(self, mean: float) -> None:
        self._mean = _positive("mean", mean)
        self._var = self._mean**2

    def sample(self, rng: np.random.Generator) -> float:
        return rng.standard_exponential() * self._mean

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.standard_exponential(n) * self._mean

    def _args(self) -> dict[str, Any]:
        return {"mean": self._mean}

    @classmethod
    def from_params(cls, params: dict[str, Any], base_dir: pathlib.Path | None) -> Distribution:
        if ("mean" in params) == ("rate" in params):
            raise DistError("exponential: give exactly one of 'mean' or 'rate'")
        if "rate" in params:
            return cls(1.0 / _positive("rate", params["rate"]))
        return cls(params["mean"])


class Uniform(Distribution):
    """Uniform on [low, high]."""

    name, keys = "uniform", {"low": DURATION, "high": DURATION}

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = _nonneg("low", low), _real("high", high)
        if self.high < self.low:
            raise DistError(f"high: got {high!r}; must be >= low ({self.low!r})")
        self._mean, self._var = (self.low + self.high) / 2, (self.high - self.low) ** 2 / 12

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def _args(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}


class Normal(Distribution):
    """Normal(``mean``, ``sd``) truncated to [0, inf), sampled by rejection.

    ``mean`` and ``sd`` are the parameters before truncation; the ``mean`` and
    ``variance`` properties are those of the truncated distribution.
    """

    name, keys = "normal", {"mean": DURATION, "sd": DURATION}

    def __init__(self, mean: float, sd: float) -> None:
        self.loc, self.sd = _nonneg("mean", mean), _positive("sd", sd)
        self._accept = 0.5 * math.erfc(-self.loc / (self.sd * math.sqrt(2)))
        self._mean, self._var = _truncnorm_moments(self.loc, self.sd)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out, filled = np.empty(n), 0
        while filled < n:
            draw = rng.normal(self.loc, self.sd, int((n - filled) / self._accept) + 16)
            draw = draw[draw >= 0.0][: n - filled]
            out[filled : filled + draw.size] = draw
            filled += draw.size
        return out

    def _args(self) -> dict[str, Any]:
        return {"mean": self.loc, "sd": self.sd}


class LogNormal(Distribution):
    """Log-normal with the given ``mean`` and coefficient of variation ``cv``."""

    name, keys = "lognormal", {"mean": DURATION, "cv": NUMBER}

    def __init__(self, mean: float, cv: float) -> None:
        self._mean, self._cv = _positive("mean", mean), _positive("cv", cv)
        self._var = (self._mean * self._cv) ** 2
        self.sigma = math.sqrt(math.log1p(self._cv**2))
        self.mu = math.log(self._mean) - self.sigma**2 / 2

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, n)

    def _args(self) -> dict[str, Any]:
        return {"mean": self._mean, "cv": self._cv}


class Gamma(Distribution):
    """Gamma with the given ``mean`` and coefficient of variation ``cv``."""

    name, keys = "gamma", {"mean": DURATION, "cv": NUMBER}

    def __init__(self, mean: float, cv: float) -> None:
        self._mean, self._cv = _positive("mean", mean), _positive("cv", cv)
        self._var = (self._mean * self._cv) ** 2
        self.shape, self.scale = 1.0 / self._cv**2, self._mean * self._cv**2

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, n)

    def _args(self) -> dict[str, Any]:
        return {"mean": self._mean, "cv": self._cv}


class Weibull(Distribution):
    """Weibull with shape ``k`` = ``shape`` and ``scale`` (µs)."""

    name, keys = "weibull", {"shape": NUMBER, "scale": DURATION}

    def __init__(self, shape: float, scale: float) -> None:
        self.shape, self.scale = _positive("shape", shape), _positive("scale", scale)
        g1, g2 = math.gamma(1 + 1 / self.shape), math.gamma(1 + 2 / self.shape)
        self._mean, self._var = self.scale * g1, self.scale**2 * (g2 - g1 * g1)

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.weibull(self.shape, n) * self.scale

    def _args(self) -> dict[str, Any]:
        return {"shape": self.shape, "scale": self.scale}


class Erlang(Distribution):
    """Sum of ``k`` exponential phases with total mean ``mean``."""

    name, keys = "erlang", {"k": INTEGER, "mean": DURATION}

    def __init__(self, k: int, mean: float) -> None:
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
            raise DistError(f"k: got {k!r}; must be an integer >= 1")
        self.k, self._mean = int(k), _positive("mean", mean)
        self._var = self._mean**2 / self.k

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.gamma(self.k, self._mean / self.k, n)

    def _args(self) -> dict[str, Any]:
        return {"k": self.k, "mean": self._mean}


class HyperExponential(Distribution):
    """Exponential with mean ``means[i]`` chosen with probability ``probs[i]``."""

    name, keys = "hyperexponential", {"probs": NUMBERS, "means": DURATIONS}

    def __init__(self, probs: Sequence[float], means: Sequence[float]) -> None:
        self.probs = [_nonneg(f"probs[{i}]", p) for i, p in enumerate(probs)]
        self.means = [_positive(f"means[{i}]", m) for i, m in enumerate(means)]
        _check_mixture(self.probs, self.means)
        p, m = np.array(self.probs), np.array(self.means)
        self._cum, self._m = np.cumsum(p)[:-1], m
        self._mean = float(p @ m)
        self._var = float(2 * p @ m**2) - self._mean**2

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        phase = np.searchsorted(self._cum, rng.random(n), side="right")
        return rng.standard_exponential(n) * self._m[phase]

    def _args(self) -> dict[str, Any]:
        return {"probs": list(self.probs), "means": list(self.means)}


class Empirical(Distribution):
    """Resamples the given ``values`` uniformly with replacement."""

    name, keys, required = "empirical", {"values": DURATIONS, "file": TEXT, "column": TEXT}, ()

    def __init__(self, values: Iterable[float]) -> None:
        self.values = np.array([_nonneg(f"values[{i}]", v) for i, v in enumerate(values)])
        if not self.values.size:
            raise DistError("values: got an empty list; must have at least one value")
        self.values.flags.writeable = False
        self._mean, self._var = float(self.values.mean()), float(self.values.var())

    def sample_n(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.values[rng.integers(0, self.values.size, n)]

    def _args(self) -> dict[str, Any]:
        return {"values": self.values.tolist()}

    def __repr__(self) -> str:
        return f"Empirical(<{self.values.size} values, mean={self._mean:.6g}>)"

    @classmethod
    def from_csv(cls, path: str | pathlib.Path, column: str | None = None) -> Empirical:
        """Load values (µs) from ``column`` of a CSV file, or its first numeric column."""
        try:
            return cls(read_column(pathlib.Path(path), column))
        except DataFileError as err:
            raise DistError(str(err)) from None

    @classmethod
    def from_params(cls, params: dict[str, Any], base_dir: pathlib.Path | None) -> Distribution:
        if ("values" in params) == ("file" in params):
            raise DistError("empirical: give exactly one of 'file' or 'values'")
        if "values" in params:
            if "column" in params:
                raise DistError("column: only allowed together with 'file'")
            return cls(params["values"])
        return cls.from_csv(pathlib.Path(base_dir or ".") / params["file"], params.get("column"))


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.name: cls
    for cls in (Constant, Exponential, Uniform, Normal, LogNormal, Gamma, Weibull,
                Erlang, HyperExponential, Empirical)
}
"""Config name -> class; each class's ``keys`` gives the config keys it takes."""


def constant(value: Any) -> Constant:
    """A duration given as a plain value (``"5us"``, ``5``) as a :class:`Constant`."""
    return Constant(_convert("value", value, DURATION))


def durations(key: str, values: Any) -> list[float]:
    """A list of durations under config key ``key``, each checked and in µs."""
    return _convert(key, values, DURATIONS)


def scale(dist: Distribution, factor: float) -> Distribution:
    """Return the same family with all times multiplied by ``factor`` (> 0)."""
    factor = _positive("factor", factor)
    args = dist._args()
    for key, kind in type(dist).keys.items():
        if key in args and kind == DURATION:
            args[key] *= factor
        elif key in args and kind == DURATIONS:
            args[key] = [v * factor for v in args[key]]
    return type(dist)(**args)


def from_mapping(config: Mapping[str, Any], base_dir: pathlib.Path | None) -> Distribution:
    """A distribution from its table ``{dist = NAME, ...}`` (every family but ``fit``)."""
    params = dict(config)
    cls = _lookup(params.pop("dist", None))
    _check_keys(cls, params)
    converted = {key: _convert(key, v, cls.keys[key]) for key, v in params.items()}
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # judged below, not printed
            dist = cls.from_params(converted, base_dir)
    except OverflowError:
        dist = None
    if dist is None or not (math.isfinite(dist.mean) and math.isfinite(dist.variance)):
        given = ", ".join(f"{k} = {v!r}" for k, v in params.items())
        raise DistError(f"{given}: the mean or variance of this {cls.name} overflows a "
                        "float; every family here has finite moments: choose parameters "
                        "that keep them finite")
    return dist


def _lookup(name: Any) -> type[Distribution]:
    allowed = ", ".join([*DISTRIBUTIONS, "fit"])
    if name is None:
        raise DistError(f"dist: missing key 'dist'; allowed: {allowed}")
    if not isinstance(name, str) or name not in DISTRIBUTIONS:
        raise DistError(f"dist: unknown distribution {name!r}; allowed: {allowed}")
    return DISTRIBUTIONS[name]


def _check_keys(cls: type[Distribution], params: Mapping[str, Any]) -> None:
    allowed = ", ".join(cls.keys)
    for key in params:
        if key not in cls.keys:
            raise DistError(f"{key}: unknown key for {cls.name}; allowed: {allowed}")
    required = tuple(cls.keys) if cls.required is None else cls.required
    for key in required:
        if key not in params:
            raise DistError(f"{key}: missing key for {cls.name}; required: {', '.join(required)}")


def _convert(key: str, value: Any, kind: str) -> Any:
    if kind in (DURATIONS, NUMBERS):
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise DistError(f"{key}: got {value!r}; must be a list of {kind}")
        item = DURATION if kind == DURATIONS else NUMBER
        return [_convert(f"{key}[{i}]", v, item) for i, v in enumerate(value)]
    if kind == DURATION:
        try:
            return parse_duration(value)
        except UnitError as err:
            raise DistError(f"{key}: {err}") from None
    if kind == TEXT and not isinstance(value, str):
        raise DistError(f"{key}: got {value!r}; must be a string")
    if kind == NUMBER:
        return _real(key, value)
    if kind == INTEGER and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
        raise DistError(f"{key}: got {value!r}; must be an integer")
    return value


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise DistError(f"{name}: got {value!r}; must be a finite number")
    return float(value)


def _positive(name: str, value: Any) -> float:
    if _real(name, value) <= 0:
        raise DistError(f"{name}: got {value!r}; must be > 0")
    return float(value)


def _nonneg(name: str, value: Any) -> float:
    if _real(name, value) < 0:
        raise DistError(f"{name}: got {value!r}; must be >= 0")
    return float(value)


def _truncnorm_moments(loc: float, sd: float) -> tuple[float, float]:
    from scipy.stats import truncnorm

    mean, var = truncnorm.stats(-loc / sd, math.inf, loc=loc, scale=sd, moments="mv")
    return float(mean), float(var)


def _check_mixture(probs: list[float], means: list[float]) -> None:
    if not probs:
        raise DistError("probs: got an empty list; must have at least one probability")
    if len(means) != len(probs):
        raise DistError(f"means: got {len(means)} values; must have as many as probs ({len(probs)})")
    if abs(math.fsum(probs) - 1.0) > 1e-9:
        raise DistError(f"probs: got {probs!r} (sum {math.fsum(probs)!r}); must sum to 1")
