"""Checks before a run writes anything: the executor, the load, the length, the metrics.

``preflight`` refuses; ``check_stable``, ``check_long`` and ``check_metrics`` say why, and
``validate`` shows the first two as warnings (``run`` refuses them without
``--allow-unstable`` / ``--allow-long``) and raises the third.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from kernsim.build import expected_requests, offered_load
from kernsim.errors import ConfigError, KernsimError
from kernsim.experiment.load import Experiment
from kernsim.simulate import simulate

EXECUTORS = ("serial", "processes", "dask")

#: at most this many requests expected in one replication without ``--allow-long``
#: (at ~10⁵ simulated requests a second, about 20 minutes)
MAX_TASK_REQUESTS = 1e8
#: ... and in the whole run (design points × replications)
MAX_RUN_REQUESTS = 1e10
#: the metric probe simulates point 0 for about this many requests
PROBE_REQUESTS = 1_000


def check_stable(exp: Experiment) -> list[str]:
    """Warnings for design points whose open workload overloads a component (ρ ≥ 1)."""
    out = []
    for point in exp.points:
        for name, rho in offered_load(point.config).items():
            if rho >= 1:
                where = f" at {point.params}" if point.params else ""
                out.append(f"component {name!r}{where}: offered load ρ = {rho:.3g} ≥ 1 (unstable)")
    return out


def check_long(exp: Experiment) -> list[str]:
    """Warnings for a run whose expected number of requests is past the stated bounds."""
    per_point = [expected_requests(p.config) for p in exp.points]
    worst = max(per_point, default=0.0)
    total = sum(per_point) * exp.replications
    out = []
    if worst > MAX_TASK_REQUESTS:
        i = per_point.index(worst)
        where = f" at {exp.points[i].params}" if exp.points[i].params else ""
        out.append(f"experiment.duration{where}: about {worst:.3g} requests in one replication "
                   f"(offered rate × duration); the bound is {MAX_TASK_REQUESTS:.0e}")
    elif total > MAX_RUN_REQUESTS:
        out.append(f"experiment: about {total:.3g} requests in the whole run (design points × "
                   f"replications × rate × duration); the bound is {MAX_RUN_REQUESTS:.0e}")
    return out


def check_metrics(exp: Experiment) -> None:
    """Refuse an ``experiment.precision.metric`` that the results do not have, found by
    simulating design point 0 for about :data:`PROBE_REQUESTS` requests. Fault metrics
    (``fault.*``) exist only in replications with a fault, so they are checked by the run."""
    wanted = {m for p in exp.points if p.config.experiment.precision is not None
              for m in p.config.experiment.precision.metric}
    if not wanted:
        return
    config = exp.points[0].config
    spec = config.experiment
    expected = expected_requests(config)
    span = spec.duration * min(1.0, PROBE_REQUESTS / expected) if expected > 0 else (
        spec.duration / 1000)
    probe = config.model_copy(update={"experiment": spec.model_copy(
        update={"duration": span, "warmup": 0.0, "task_timeout": None})})
    have = {k for k, v in simulate(probe, np.random.SeedSequence(0)).items()
            if not k.startswith("_") and isinstance(v, (int, float))}
    faults = config.faults is not None
    unknown = sorted(m for m in wanted if m not in have and not (faults and m.startswith("fault.")))
    if unknown:
        raise ConfigError(f"experiment.precision.metric = {unknown[0]!r}: not a metric of the "
                          f"results; available: {', '.join(sorted(have))}")


def preflight(exp: Experiment, executor: str, workers: int | None, allow_unstable: bool,
              allow_long: bool = False) -> None:
    """Refuse a run before anything is written: bad executor or workers, unstable load, a
    run past the length bounds, an unknown precision metric."""
    if executor not in EXECUTORS:
        raise KernsimError(f"--executor {executor!r}: allowed: {', '.join(EXECUTORS)}")
    if isinstance(workers, bool) or (workers is not None and not isinstance(workers, int)):
        raise KernsimError(f"--workers {workers!r}: must be an integer ≥ 1")
    if workers is not None and workers < 1:
        raise KernsimError(f"--workers {workers}: must be an integer ≥ 1")
    if executor == "dask":
        _need_dask()
    unstable = check_stable(exp)
    if unstable and not allow_unstable:
        raise KernsimError("; ".join(unstable) + " — pass --allow-unstable to run it anyway")
    long = check_long(exp)
    if long and not allow_long:
        raise KernsimError("; ".join(long) + " — pass --allow-long to run it anyway")
    check_metrics(exp)


def _need_dask() -> None:
    if importlib.util.find_spec("distributed") is None:
        raise KernsimError("--executor dask needs dask.distributed: "
                           "pip install 'kernsim[dask]' (or 'dask[distributed]')")


