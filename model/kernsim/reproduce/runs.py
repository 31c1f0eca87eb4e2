"""Running a study's experiment file with calibrated ``--set`` overrides."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kernsim.errors import KernsimError
from kernsim.experiment.catalog import studies_dir

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Context:
    """What every study gets: quick or full, where to write, how many worker processes."""

    quick: bool
    out: Path
    workers: int | None

    def experiment(self, name: str) -> Path:
        """The study's shipped experiment file, ``reproduce/<name>``."""
        return studies_dir() / "reproduce" / f"{name}.toml"


def toml_value(value: Any) -> str:
    """A Python value as a TOML inline value (what ``--set key=VALUE`` reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"no TOML form for {type(value).__name__}: {value!r}")


def _key(key: str) -> str:
    return key if BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def overrides(values: dict[str, Any]) -> list[str]:
    """``--set`` strings, in order: ``key=value`` with the value in TOML."""
    return [f"{key}={toml_value(value)}" for key, value in values.items()]


def base_sweep(ctx: Context, name: str) -> dict:
    """The ``[sweep]`` table of a study file (its ``extends`` merged), to adjust and set again."""
    from kernsim.experiment.load import read_toml

    return read_toml(ctx.experiment(name)).get("sweep", {})


def run_file(ctx: Context, name: str, values: dict[str, Any], sub: str) -> pd.DataFrame:
    """Run ``experiments/reproduce/<name>.toml`` with ``values`` set, into ``ctx.out/sub``."""
    from kernsim.experiment.load import load
    from kernsim.experiment.runner import run
    from kernsim.experiment.store import load_results

    exp = load(ctx.experiment(name), overrides(values))
    executor = "serial" if ctx.workers == 1 else "processes"
    result = run(exp, out=ctx.out / sub, executor=executor, workers=ctx.workers, overwrite=True)
    if result.interrupted:
        raise KeyboardInterrupt
    if result.failures:
        last = result.failures[0]["error"].strip().splitlines()[-1]
        raise KernsimError(f"{name}: {len(result.failures)} task(s) failed, e.g. {last}")
    return load_results(result.out)
