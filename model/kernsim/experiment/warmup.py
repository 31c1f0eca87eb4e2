"""``warmup = "auto"``: choose each design point's warm-up by MSER-5 on a pilot run.

The pilot is one replication without warm-up, on its own seed (spawn key
``PILOT``, never a replication's). Its response times, in completion order and
indexed by completion time, go to MSER-5 (``kernsim.stats.warmup.mser5``);
the warm-up is the completion time of the first kept observation (0 if MSER
keeps everything). The chosen value is set on the design point's config and
shown as the swept column ``experiment.warmup`` in the results. A cut MSER-5
itself flags as unreliable (its minimum at the edge of the searched half) is a
:class:`WarmupWarning`. The pilots' series are kept on the experiment
(``exp.pilots``) and saved in the results folder as ``warmup.parquet``
(:func:`pilot_table`), so ``plots.warmup`` can be drawn from it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa

from kernsim.build import Model
from kernsim.engine.streams import Streams, task_seed
from kernsim.errors import ConfigError, KernsimError
from kernsim.experiment.store import put
from kernsim.stats.warmup import mser5

PILOT = 2**32 - 1


def choose_warmups(exp) -> None:
    """Set ``experiment.warmup`` of every design point from its own pilot run."""
    for point in exp.points:
        config = point.config
        if config.faults is not None and config.faults.mode == "dependability" or \
                config.experiment.engine == "fast":
            raise ConfigError('experiment.warmup = "auto": only for a model with requests '
                              "(MSER-5 cuts their response times); a dependability model "
                              "takes a duration, e.g. warmup = \"1000h\"")
        series = pilot_series(point.config, exp.config.experiment.seed)
        cut = mser5(series)
        warmup = float(cut.time) if cut.index > 0 else 0.0
        if not cut.reliable:
            warnings.warn(f'experiment.warmup = "auto": design point {point.index}: the MSER-5 '
                          f"cut of response times (response_mean) is unreliable (its minimum is "
                          f"at the edge of the half it searches: the pilot may end inside the "
                          f"transient); warm-up set to {warmup:g} µs; lengthen "
                          "experiment.duration or give the warm-up", WarmupWarning, stacklevel=2)
        exp.pilots[point.index] = series
        point.config.experiment.warmup = warmup
        point.params["experiment.warmup"] = warmup


class WarmupWarning(UserWarning):
    """MSER-5 chose a warm-up it does not vouch for (``reliable = False``)."""


def pilot_series(config, seed: int) -> pd.Series:
    """The response times (µs) of one pilot replication of ``config`` (warm-up 0), in
    completion order, indexed by completion time (µs)."""
    model = Model(config, Streams(task_seed(seed, PILOT)))
    outcomes = getattr(model.net, "outcomes", None)
    if outcomes is None:
        raise KernsimError("experiment.warmup = \"auto\": this model records no response times")
    outcomes.trace()
    model.run()
    series = pd.Series(outcomes.responses.values(), index=outcomes.times.values())
    if len(series) < 20:
        raise KernsimError(f"experiment.warmup = \"auto\": the pilot run completed only "
                           f"{len(series)} requests; MSER-5 needs at least 20 (lengthen duration)")
    return series


def save_pilots(pilots: dict[int, pd.Series], folder: Path) -> str:
    """Write ``folder/warmup.parquet`` atomically (:func:`pilot_table`); its sha256."""
    return put(folder / "warmup.parquet", pilot_table(pilots))


def pilot_table(pilots: dict[int, pd.Series]) -> pa.Table:
    """``warmup.parquet``: every pilot's series, as design_point, t (µs), response (µs)."""
    return pa.table({
        "design_point": pa.array([dp for dp, s in pilots.items() for _ in range(len(s))],
                                 pa.int64()),
        "t": pa.array([t for s in pilots.values() for t in s.index], pa.float64()),
        "response": pa.array([v for s in pilots.values() for v in s.to_numpy()], pa.float64()),
    })
