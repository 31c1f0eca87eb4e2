"""Arguments of the Python API, checked before any work: a bad one is a KernsimError
naming it, as a bad config value is (never a TypeError from deep inside)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kernsim.errors import KernsimError


def path(name: str, value: Any, what: str) -> Path:
    """``value`` as a Path: a non-empty str or an os.PathLike."""
    if isinstance(value, str) and value.strip() or isinstance(value, os.PathLike):
        return Path(value)
    raise KernsimError(f"{name} = {value!r}: must be {what} (a non-empty str or a Path)")


def optional_path(name: str, value: Any, what: str) -> Path | None:
    return None if value is None else path(name, value, what)


def overrides(value: Any) -> list[str]:
    """``key=value`` strings: a list or tuple of str (None: none)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(o, str) for o in value):
        raise KernsimError(f"overrides = {value!r}: must be a list of 'key=value' strings, "
                           "e.g. ['experiment.seed=1']")
    return list(value)


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise KernsimError(f"{name} = {value!r}: must be True or False")
    return value


def callback(name: str, value: Any) -> Callable | None:
    if value is not None and not callable(value):
        raise KernsimError(f"{name} = {value!r}: must be a function (done, total) or None")
    return value


def text(name: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise KernsimError(f"{name} = {value!r}: must be a str or None")
    return value
