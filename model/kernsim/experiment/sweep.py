"""Sweep expansion: a grid (dotted key -> list) crossed with a sampled design.

``[sweep]`` holds dotted keys mapped to lists (a full factorial grid), and may
hold ``[sweep.zip]``, dotted keys mapped to lists of one length that vary
together (one axis of the grid; ``[[sweep.zip]]`` repeated gives several such
axes), and may declare a sampled design with the
reserved keys ``method`` ("lhs", "sobol" or "saltelli"), ``n`` and ``ranges`` (dotted
key -> [low, high]); integer bounds give integer values. All parts combine as a
product, the sampled design varying fastest. ``"saltelli"`` is the design Sobol'
indices need: ``n`` base samples make ``n·(d+2)`` points (:mod:`.saltelli`).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from kernsim.errors import ConfigError
from kernsim.experiment import saltelli

RESERVED = ("method", "n", "ranges", "seed", "zip")
METHODS = ("lhs", "sobol", "saltelli")


def flatten(table: dict, prefix: str = "") -> dict[str, Any]:
    """Nested tables to dotted keys, stopping at non-table values."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def expand(sweep: dict, seed: int) -> list[dict[str, Any]]:
    """The design points, each a dict of dotted key -> value (one empty dict if no sweep)."""
    _at_most(_count(sweep))
    grid = _grid(sweep)
    zipped = _zip_groups(sweep.get("zip", {}))
    _no_key_twice(grid[0] if grid else {}, zipped[0] if zipped else {})
    sampled = _sampled(sweep, seed)
    return [{**g, **z, **s} for g in grid for z in zipped for s in sampled]


#: at most this many design points in one experiment (each is validated and kept)
MAX_POINTS = 20_000


def _count(sweep: dict) -> int:
    """How many design points the sweep makes, counted before any is built."""
    count = 1
    for values in flatten({k: v for k, v in sweep.items() if k not in RESERVED}).values():
        count *= len(values) if isinstance(values, list) else 1
    zips = sweep.get("zip", {})
    for group in zips if isinstance(zips, list) else [zips]:
        lengths = [len(v) for v in group.values() if isinstance(v, list)] \
            if isinstance(group, dict) else []
        count *= max(lengths, default=1)
    n = sweep.get("n")
    if sweep.get("method") is not None and isinstance(n, int) and not isinstance(n, bool):
        ranges = sweep.get("ranges")
        d = len(flatten(ranges)) if isinstance(ranges, dict) else 0
        count *= saltelli.rows(d, max(n, 1)) if sweep["method"] == "saltelli" else max(n, 1)
    return count


def _at_most(count: int) -> None:
    if count > MAX_POINTS:
        raise ConfigError(f"sweep: {count:,} design points; at most {MAX_POINTS:,} in one "
                          "experiment (split the study into several files)")


def _no_key_twice(grid: dict[str, Any], zipped: dict[str, Any]) -> None:
    """A key swept both in the grid and in a zip group: one would silently win."""
    both = sorted(set(grid) & set(zipped))
    if both:
        raise ConfigError(f"sweep.{both[0]}: swept both in [sweep] and in [sweep.zip]; "
                          "allowed: one of the two")


def _grid(sweep: dict) -> list[dict[str, Any]]:
    axes = flatten({k: v for k, v in sweep.items() if k not in RESERVED})
    for key, values in axes.items():
        if not isinstance(values, list):
            raise ConfigError(f"sweep.{key} = {values!r}: must be a list of values to sweep")
        if not values:
            raise ConfigError(f"sweep.{key} = []: empty list; give at least one value")
    keys = list(axes)
    return [dict(zip(keys, combo)) for combo in itertools.product(*axes.values())]


def _zip_groups(zips: Any) -> list[dict[str, Any]]:
    """``[sweep.zip]`` is one group; ``[[sweep.zip]]`` several, crossed with each other."""
    groups = zips if isinstance(zips, list) else [zips]
    combos = [_zipped(group) for group in groups]
    return [_merge(parts) for parts in itertools.product(*combos)]


def _merge(parts: tuple) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        out.update(part)
    return out


def _zipped(table: dict) -> list[dict[str, Any]]:
    if not isinstance(table, dict):
        raise ConfigError(f"sweep.zip = {table!r}: must be a table of dotted key = [values]")
    axes = flatten(table)
    if not axes:
        return [{}]
    lengths = {k: len(v) if isinstance(v, list) else -1 for k, v in axes.items()}
    if len(set(lengths.values())) != 1 or min(lengths.values()) < 1:
        raise ConfigError(f"sweep.zip: lists must be non-empty and of one length; got {lengths}")
    return [dict(zip(axes, combo)) for combo in zip(*axes.values())]


def _sampled(sweep: dict, seed: int) -> list[dict[str, Any]]:
    method = sweep.get("method")
    if method is None:
        if "ranges" in sweep or "n" in sweep:
            raise ConfigError("sweep.method: missing; 'ranges' and 'n' need method = "
                              "\"lhs\", \"sobol\" or \"saltelli\"")
        return [{}]
    if method not in METHODS:
        raise ConfigError(f"sweep.method = {method!r}: allowed: 'lhs', 'sobol', 'saltelli'")
    ranges = _ranges(sweep.get("ranges"))
    n = sweep.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"sweep.n = {n!r}: must be an integer ≥ 1 (number of sampled points)")
    own = sweep.get("seed", seed)
    if not isinstance(own, int) or isinstance(own, bool) or not 0 <= own < 2**63:
        raise ConfigError(f"sweep.seed = {own!r}: must be an integer in [0, 2⁶³) "
                          "(the sample's own seed; default experiment.seed)")
    if method == "saltelli":
        saltelli.check_base(n)
    unit = _unit_sample(method, len(ranges), n, own)
    return [_scale(row, ranges) for row in unit]


def _ranges(ranges: Any) -> dict[str, tuple]:
    if not isinstance(ranges, dict) or not ranges:
        raise ConfigError("sweep.ranges: missing or empty; give dotted key = [low, high]")
    flat = flatten(ranges)
    for key, bounds in flat.items():
        ok = isinstance(bounds, list) and len(bounds) == 2 and all(
            isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds
        )
        if not ok or bounds[0] > bounds[1]:
            raise ConfigError(f"sweep.ranges.{key} = {bounds!r}: must be [low, high] numbers, low ≤ high")
    return {k: tuple(v) for k, v in flat.items()}


def _unit_sample(method: str, d: int, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc  # imported here: scipy.stats costs a second at start-up

    if method == "saltelli":
        return saltelli.unit_sample(d, n, seed)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x5EED,)))
    if method == "lhs":
        return qmc.LatinHypercube(d=d, rng=rng).random(n)
    return qmc.Sobol(d=d, scramble=True, rng=rng).random(n)


def _scale(row: np.ndarray, ranges: dict[str, tuple]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for u, (key, (lo, hi)) in zip(row, ranges.items()):
        value = lo + float(u) * (hi - lo)
        out[key] = round(value) if isinstance(lo, int) and isinstance(hi, int) else value
    return out
