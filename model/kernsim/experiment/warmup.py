"""``warmup = "auto"``: choose each design point's warm-up by MSER-5 on a pilot run.

The pilot is one replication without warm-up, on its own seed (spawn key
``PILOT``, never a replication's). Its response times, in completion order and
indexed by completion time, go to MSER-5 (``kernsim.stats.warmup.mser5``);
the warm-up is the completion time of the first kept observation (0 if MSER
keeps everything). The chosen value is set on the design point's config and
shown as the swept column ``experiment.warmup`` in the results.
"""

from __future__ import annotations

import pandas as pd

from kernsim.build import Model
from kernsim.engine.streams import Streams, task_seed
from kernsim.errors import ConfigError, KernsimError
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
        warmup = pilot_warmup(point.config, exp.config.experiment.seed)
        point.config.experiment.warmup = warmup
        point.params["experiment.warmup"] = warmup


def pilot_warmup(config, seed: int) -> float:
    """MSER-5 warm-up (µs) of one pilot replication of ``config`` (which has warm-up 0)."""
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
    cut = mser5(series)
    return float(cut.time) if cut.index > 0 else 0.0
