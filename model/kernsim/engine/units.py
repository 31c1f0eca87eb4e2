"""Parse and format physical quantities.

Simulated time is kept in microseconds (float); sizes in bytes (float).
"""

from __future__ import annotations

import math
import re

__all__ = ["UnitError", "format_duration", "parse_bytes", "parse_duration"]

_DURATION = {"ns": 1e-3, "us": 1.0, "µs": 1.0, "μs": 1.0, "ms": 1e3, "s": 1e6,
             "min": 60e6, "h": 3600e6}
_DURATION_NAMES = "ns, us, µs, ms, s, min, h"
_BYTES = {"B": 1.0, "KB": 1e3, "KiB": 1024.0, "MB": 1e6, "MiB": 1024.0**2,
          "GB": 1e9, "GiB": 1024.0**3}
_BYTES_NAMES = "B, KB, KiB, MB, MiB, GB, GiB"
_QUANTITY = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*")
_FORMAT = (("h", 3600e6), ("min", 60e6), ("s", 1e6), ("ms", 1e3), ("us", 1.0))


class UnitError(ValueError):
    """A quantity could not be parsed or is out of range."""


def parse_duration(value: object) -> float:
    """Return ``value`` as microseconds; numbers are already in µs."""
    return _parse(value, _DURATION, _DURATION_NAMES, "us")


def parse_bytes(value: object) -> float:
    """Return ``value`` as bytes; numbers are already in bytes."""
    return _parse(value, _BYTES, _BYTES_NAMES, "B")


def format_duration(us: float) -> str:
    """Format microseconds with the largest unit giving a value >= 1."""
    for name, factor in _FORMAT:
        if abs(us) >= factor:
            return f"{us / factor:.12g}{name}"
    return f"{us * 1e3:.12g}ns" if us else "0us"


def _parse(value: object, units: dict[str, float], names: str, default: str) -> float:
    if isinstance(value, str):
        number, unit = _split(value, units, names)
        return _check(number * units[unit or default], value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _check(float(value), value)
    raise UnitError(f"{value!r}: expected a number or a string with a unit ({names})")


def _split(text: str, units: dict[str, float], names: str) -> tuple[float, str]:
    match = _QUANTITY.fullmatch(text)
    if match is None:
        raise UnitError(f'"{text}": cannot parse; expected a number and unit ({names})')
    number, unit = match.groups()
    if unit and unit not in units:
        raise UnitError(f'"{text}": unknown unit {unit!r}; allowed: {names}')
    return float(number), unit


def _check(result: float, value: object) -> float:
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    if not math.isfinite(result):
        raise UnitError(f"{shown}: must be finite")
    if result < 0:
        raise UnitError(f"{shown}: must be >= 0")
    return result
