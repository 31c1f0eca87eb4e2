"""``simulate(config, seed)``: one replication on the engine its config asks for.

Requests through stations or the OS model (:class:`kernsim.build.Model`), the
long time scale (:mod:`kernsim.dependability.timed`, which gets
:func:`performance` to value its states when ``[faults.performability]`` is set),
or the vectorised blast-radius engine (:mod:`kernsim.dependability.fast`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kernsim.build import Model
from kernsim.config.schema import Config
from kernsim.dependability import fast, timed
from kernsim.engine.streams import Streams, seed_from_text


def simulate(config: Config, seed: np.random.SeedSequence,
             traced: bool = False) -> dict[str, Any]:
    """Run one replication of ``config`` with streams from ``seed``; return its metrics
    (with ``_trace``, its spans as columns, when ``traced`` and ``experiment.trace`` is set)."""
    faults = getattr(config, "faults", None)
    if getattr(config.experiment, "engine", "simpy") == "fast":
        return fast.simulate(config, seed)  # the blast-radius question only, vectorised
    if faults is not None and faults.mode == "dependability":
        return timed.simulate(config, seed, performance)  # the long time scale: no requests
    return performance(config, seed, traced)


def run_replication(config: Config, seed: np.random.SeedSequence | str) -> dict[str, Any]:
    """:func:`simulate` with ``seed`` as a seed sequence or a results row's
    ``replication_seed`` cell: rerun one replication alone."""
    if isinstance(seed, str):
        seed = seed_from_text(seed)
    return simulate(config, seed)


def performance(config: Config, seed: np.random.SeedSequence,
                traced: bool = False) -> dict[str, Any]:
    """One replication of the request-level model (queueing network or OS model)."""
    return Model(config, Streams(seed), traced).run()
