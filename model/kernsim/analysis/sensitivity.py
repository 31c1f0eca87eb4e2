"""Sobol' sensitivity indices from a Saltelli sweep (``kernsim sensitivity``).

A results folder whose ``[sweep]`` has ``method = "saltelli"`` holds, for each
combination of its other swept keys (grid and zip axes: a *group*), the
``n·(d+2)`` design points of :mod:`kernsim.experiment.saltelli`. Per design point
the metric is averaged over its replications; SALib's ``analyze.sobol`` turns
those values into the first-order index S1 (the share of the variance that one
parameter explains alone) and the total index ST (its share with every
interaction it takes part in) of each sampled parameter, with bootstrap
confidence intervals: ``resamples`` resamples of the ``n`` base samples, the
interval ``S ± z·sd`` of the resampled indices (SALib's normal approximation),
drawn from the named stream :data:`STREAM` under the run's root seed, so the
same folder always gives the same intervals.

``baseline=(key, value)`` analyses instead the relative change
``mean / mean[key = value] − 1`` at the same sample point, against the group
where the grid key ``key`` takes ``value`` (the microkernel's throughput against
the monolithic kernel's: its relative penalty, up to a sign, which no index
sees). Replication noise is variance that no parameter explains: it lowers
every S1, and an index near 0 is one whose CI includes 0.

Extension hook: another estimator (second-order indices, or a moment-free one
on a plain sample) is one more function taking the per-point values that
:func:`point_values` gives.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich import box
from rich.table import Table
from rich.text import Text

from kernsim.analysis.stats import KEYS, metric_columns
from kernsim.engine.streams import stable_key
from kernsim.errors import KernsimError
from kernsim.experiment import saltelli
from kernsim.experiment.store import Store, load_results
from kernsim.experiment.sweep import flatten

#: the named random stream of the bootstrap
STREAM = "sensitivity.bootstrap"
#: bootstrap resamples by default
RESAMPLES = 1000

#: a group: the values (as text) of the swept keys outside the Saltelli ranges
Head = dict[str, str]


@dataclass(frozen=True)
class Design:
    """A Saltelli sweep as a results folder records it."""

    parameters: tuple[str, ...]  # the sampled keys, in the design's column order
    base: int                    # n, the base samples
    seed: int                    # the run's root seed (the bootstrap's stream hangs off it)
    others: tuple[str, ...] = ()  # the other swept keys: one analysis per combination
    ranges: tuple[tuple[float, float], ...] = ()  # each parameter's [low, high], config units

    @property
    def points(self) -> int:
        return saltelli.rows(len(self.parameters), self.base)


def design(manifest: dict, where: str) -> Design:
    """The design of a results folder's manifest; anything but a Saltelli sweep is refused."""
    sweep = (manifest.get("config") or {}).get("sweep") or {}
    method = sweep.get("method")
    if method != "saltelli":
        raise KernsimError(f"{where}: sweep.method = {method!r}: not a Saltelli design; "
                           "Sobol' indices need [sweep] method = \"saltelli\" (its n·(d+2) "
                           "points), a plain \"sobol\" or \"lhs\" sample cannot give them")
    ranges, n, seed = sweep.get("ranges"), sweep.get("n"), manifest.get("root_seed")
    if not (isinstance(ranges, dict) and ranges and isinstance(n, int) and isinstance(seed, int)):
        raise KernsimError(f"{where}: manifest.json: a Saltelli sweep without its ranges, n "
                           "or root_seed (a damaged manifest?)")
    bounds = flatten(ranges)
    parameters = tuple(bounds)
    points = manifest.get("design_points") or [{}]
    others = tuple(k for k in points[0] if k != "design_point" and k not in parameters)
    return Design(parameters, n, seed, others, tuple((lo, hi) for lo, hi in bounds.values()))


def analyze(folder: str | Path, metric: str, level: float = 0.95,
            resamples: int = RESAMPLES, baseline: str | None = None) -> pd.DataFrame:
    """:func:`sobol_indices` of a results folder (``baseline`` as ``"KEY=VALUE"``)."""
    df, found = _load(folder)
    return sobol_indices(df, metric, found, level, resamples,
                         parse_baseline(baseline, found) if baseline else None)


def sample_values(folder: str | Path, metric: str, baseline: str | None = None) -> pd.DataFrame:
    """What :func:`analyze` apportions, to plot against the parameters: one row per group ×
    sample point, the other swept keys, the sampled parameters and ``value`` (the metric's
    replication mean, or its relative change against ``baseline``)."""
    df, found = _load(folder)
    groups = point_values(df, metric, found)
    if baseline:
        groups = _relative(groups, found, parse_baseline(baseline, found), metric)
    points = df.drop_duplicates("design_point").sort_values("design_point")
    sample = points[list(found.parameters)].iloc[:found.points].reset_index(drop=True)
    return pd.concat([sample.assign(**head, value=values) for head, values in groups],
                     ignore_index=True)


def _load(folder: str | Path) -> tuple[pd.DataFrame, Design]:
    """A finished Saltelli sweep's results and design."""
    df = load_results(folder)
    manifest = Store(folder).manifest()
    found = design(manifest, str(folder))
    done, total = df["design_point"].nunique(), len(manifest.get("design_points", []))
    if done != total:
        raise KernsimError(f"{folder}: results for {done} of {total} design points (an "
                           "unfinished run: rerun `kernsim run` to finish it)")
    return df, found


def parse_baseline(text: str, found: Design) -> tuple[str, str]:
    """``"system.architecture=monolithic"`` -> the key (a swept grid key) and the value."""
    key, sep, value = text.partition("=")
    if not sep or key.strip() not in found.others:
        have = ", ".join(found.others) or "none: the sweep has no grid or zip axis"
        raise KernsimError(f"--baseline {text!r}: expected KEY=VALUE with KEY a swept key "
                           f"outside the Saltelli ranges; swept keys: {have}")
    return key.strip(), value.strip()


def sobol_indices(df: pd.DataFrame, metric: str, found: Design, level: float = 0.95,
                  resamples: int = RESAMPLES,
                  baseline: tuple[str, str] | None = None) -> pd.DataFrame:
    """One row per group × sampled parameter: S1, ST and their CIs (``*_low``, ``*_high``).

    ``df`` is a results frame (``kernsim.load_results``). ``attrs`` of the result
    say what was analysed: ``metric``, ``quantity``, ``level``, ``resamples``,
    ``base_samples``, ``baseline``.
    """
    if not 0 < level < 1:
        raise KernsimError(f"level = {level!r}: must be between 0 and 1 (e.g. 0.95)")
    if resamples < 2:
        raise KernsimError(f"resamples = {resamples!r}: must be an integer ≥ 2")
    groups = point_values(df, metric, found)
    quantity = metric
    if baseline is not None:
        groups = _relative(groups, found, baseline, metric)
        quantity = f"{metric} / {metric}[{baseline[0]}={baseline[1]}] − 1"
    seed = np.random.SeedSequence(found.seed, spawn_key=(stable_key(STREAM),))
    rows = []
    for head, values in groups:
        _varies(values, metric, head)
        for row in indices(values, found.parameters, level, resamples, seed):
            rows.append({**head, **row})
    table = pd.DataFrame(rows)
    table.attrs.update(metric=metric, quantity=quantity, level=level, resamples=resamples,
                       base_samples=found.base, baseline=list(baseline) if baseline else None,
                       ranges={k: list(r) for k, r in zip(found.parameters, found.ranges)})
    return table


def point_values(df: pd.DataFrame, metric: str,
                 found: Design) -> list[tuple[Head, np.ndarray]]:
    """Per group (its values of the other swept keys): the metric's replication mean per
    design point, in design order."""
    swept = [*found.parameters, *found.others]
    if metric in (*KEYS, *swept):
        raise KernsimError(f"--metric {metric!r}: a swept key or a row key, not a metric")
    if metric not in df.columns or not pd.api.types.is_numeric_dtype(df[metric]):
        have = ", ".join(metric_columns(df, swept))
        raise KernsimError(f"--metric {metric!r}: not a metric of the results; have: {have}")
    means = df.groupby("design_point", sort=True)[metric].mean()
    points = df.drop_duplicates("design_point").set_index("design_point").sort_index()
    missing = points.index[means.reindex(points.index).isna()]
    if len(missing) or len(points) % found.points:
        at = f"design point {missing[0]} has" if len(missing) else "the folder has"
        raise KernsimError(f"--metric {metric!r}: {at} no value for every design point of "
                           f"the {found.points}-point design (an unfinished run: rerun "
                           "`kernsim run`; or a metric that is undefined there)")
    other = points[list(found.others)].astype(str) if found.others else None
    out = []
    for start in range(0, len(points), found.points):
        index = points.index[start:start + found.points]
        head = dict(zip(found.others, other.loc[index[0]])) if other is not None else {}
        if other is not None and (other.loc[index] != other.loc[index[0]]).any(axis=None):
            raise KernsimError(f"design points {index[0]}–{index[-1]}: the other swept keys "
                               "change inside one Saltelli design (not a kernsim sweep?)")
        out.append((head, means.loc[index].to_numpy(dtype=float)))
    return out


def indices(values: np.ndarray, parameters: tuple[str, ...], level: float, resamples: int,
            seed: np.random.SeedSequence) -> list[dict[str, str | float]]:
    """S1 and ST with CIs from values in the Saltelli layout (SALib's ``analyze.sobol``)."""
    from SALib.analyze import sobol  # imported here: SALib loads pandas and matplotlib

    d = len(parameters)
    problem = {"num_vars": d, "names": list(parameters), "bounds": [[0.0, 1.0]] * d}
    # SALib seeds its bootstrap with default_rng(seed): a SeedSequence is a named stream
    found = sobol.analyze(problem, values, calc_second_order=False, num_resamples=resamples,
                          conf_level=level, seed=seed)
    rows = []
    for i, name in enumerate(parameters):
        row: dict[str, str | float] = {"parameter": name}
        for kind in ("S1", "ST"):
            value, half = float(found[kind][i]), float(found[f"{kind}_conf"][i])
            row.update({kind: value, f"{kind}_low": value - half, f"{kind}_high": value + half})
        rows.append(row)
    return rows


def _varies(values: np.ndarray, metric: str, head: Head) -> None:
    if not np.all(np.isfinite(values)) or np.ptp(values) == 0:
        where = ", ".join(f"{k}={v}" for k, v in head.items())
        what = "is constant" if np.all(np.isfinite(values)) else "is not finite somewhere"
        raise KernsimError(f"--metric {metric!r}: {what} over the design"
                           f"{f' ({where})' if where else ''}: no variance to apportion")


def _relative(groups: list[tuple[Head, np.ndarray]], found: Design,
              baseline: tuple[str, str],
              metric: str) -> list[tuple[Head, np.ndarray]]:
    """Each non-baseline group's values over its baseline group's, minus 1."""
    key, value = baseline
    base = {_rest(head, key): values for head, values in groups if head[key] == value}
    if not base:
        have = ", ".join(dict.fromkeys(head[key] for head, _ in groups))
        raise KernsimError(f"--baseline {key}={value}: no such value; have: {have}")
    out = []
    for head, values in groups:
        if head[key] != value:
            ref = base[_rest(head, key)]
            if np.any(ref == 0):
                raise KernsimError(f"--baseline {key}={value}: {metric} is 0 at some "
                                   "baseline point; a relative change is undefined")
            out.append((head, values / ref - 1.0))
    if not out:
        raise KernsimError(f"--baseline {key}={value}: every group is the baseline")
    return out


def _rest(head: Head, key: str) -> tuple[str, ...]:
    return tuple(v for k, v in head.items() if k != key)


# --- output --------------------------------------------------------------------------------


def stem(table: pd.DataFrame) -> str:
    """``sensitivity-METRIC`` (``-vs-VALUE`` with a baseline), safe as a file name."""
    base = table.attrs.get("baseline")
    name = f"sensitivity-{table.attrs['metric']}" + (f"-vs-{base[1]}" if base else "")
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", name)


def write(table: pd.DataFrame, folder: Path) -> list[Path]:
    """``STEM.csv`` (the rows) and ``STEM.json`` (the rows and what was analysed)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv, doc = folder / f"{stem(table)}.csv", folder / f"{stem(table)}.json"
    table.to_csv(csv, index=False)
    meta = {k: table.attrs.get(k) for k in ("metric", "quantity", "baseline", "level",
                                            "resamples", "base_samples", "ranges")}
    meta["bootstrap_stream"] = STREAM
    doc.write_text(json.dumps({**meta, "indices": table.to_dict("records")}, indent=2,
                              default=str) + "\n", encoding="utf-8")
    return [csv, doc]


def render(table: pd.DataFrame) -> Table:
    """A rich table: parameter, S1 and ST with their CIs (one block per group)."""
    level = f"{table.attrs['level']:.0%}"
    title = (f"Sobol' indices of {table.attrs['quantity']}: first-order S1, total ST; "
             f"{level} bootstrap CI ({table.attrs['resamples']} resamples of "
             f"{table.attrs['base_samples']} base samples)")
    caption = ("S1, ST: fractions of the variance of the quantity (no unit; 1 = all of "
               "it). Ranges in the config's units: a bare time is µs, a size bytes.")
    out = Table(box=box.SIMPLE_HEAD, title=Text(title), title_justify="left",
                caption=Text(caption), caption_justify="left")
    ranges = table.attrs.get("ranges") or {}
    heads = [c for c in table.columns if c not in _NUMBERS and c != "parameter"]
    for col in [*heads, "parameter", "range", "S1", f"S1 {level} CI", "ST", f"ST {level} CI"]:
        out.add_column(col, justify="left" if col in (*heads, "parameter", "range") else "right")
    for row in table.to_dict("records"):
        span = ranges.get(row["parameter"])
        cells = [str(row[h]) for h in heads] + [row["parameter"],
                                                 f"{span[0]:g}–{span[1]:g}" if span else ""]
        for kind in ("S1", "ST"):
            cells += [_num(row[kind]), f"[{_num(row[f'{kind}_low'])}, {_num(row[f'{kind}_high'])}]"]
        out.add_row(*(Text(c) for c in cells))
    return out


_NUMBERS = ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high")


def _num(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.3f}"
