"""Checks before a run writes anything: the executor, the load, the length, the metrics.

``preflight`` refuses; ``check_stable``, ``check_long`` and ``check_metrics`` say why, and
``validate`` shows the first two as warnings (``run`` refuses them without
``--allow-unstable`` / ``--allow-long``) and raises the third. ``check_shares`` only
informs: class shares are relative weights.
"""

from __future__ import annotations

import importlib.util
import math
import socket
import urllib.parse

import numpy as np

from kernsim.build import expected_requests, offered_load, relaxation_times
from kernsim.errors import ConfigError, KernsimError
from kernsim.experiment.load import Experiment
from kernsim.simulate import simulate

EXECUTORS = ("serial", "processes", "dask")

#: at most this many requests expected in one replication without ``--allow-long``
#: (at ~10⁵ simulated requests a second, about 20 minutes)
MAX_TASK_REQUESTS = 1e8
#: ... and in the whole run (design points × replications)
MAX_RUN_REQUESTS = 1e10
#: how long a scheduler's address may take to accept a connection
CONNECT_SECONDS = 5.0
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


#: advice: a warm-up of at least this many relaxation times, a window of at least this many
WARMUP_RELAXATIONS = 5
WINDOW_RELAXATIONS = 100


def run_length(exp: Experiment) -> tuple[list[str], list[str]]:
    """``validate``'s advice on run length for open queueing points: (information,
    warnings). The information names the slowest station of the design point with the
    longest relaxation time (:func:`kernsim.build.relaxation_times`) and its offered load;
    a warning says how many points have a warm-up under :data:`WARMUP_RELAXATIONS` or a
    window under :data:`WINDOW_RELAXATIONS` relaxation times."""
    worst, short_warmup, short_window, judged = None, 0, 0, 0
    for point in exp.points:
        times = {k: v for k, v in relaxation_times(point.config).items() if math.isfinite(v)}
        if not times:
            continue
        judged += 1
        name = max(times, key=times.get)
        tau, spec = times[name], point.config.experiment
        short_warmup += spec.warmup < WARMUP_RELAXATIONS * tau
        short_window += spec.duration < WINDOW_RELAXATIONS * tau
        if worst is None or tau > worst[0]:
            worst = (tau, name, point, offered_load(point.config)[name])
    if worst is None:
        return [], []
    tau, name, point, rho = worst
    where = f" at {point.params}" if point.params else ""
    loads = ", ".join(f"{k} {v:.3g}" for k, v in offered_load(point.config).items())
    info = [(f"relaxation time ≈ {tau:.3g} µs at component {name!r}{where} (ρ = {rho:.3g}; "
             "Morse's M/M/1 estimate, the longest of the design points)"),
            f"offered load per station{where}: {loads}"]
    warnings = []
    if short_warmup:
        warnings.append(f"{short_warmup} of {judged} design point(s): experiment.warmup is "
                        f"under {WARMUP_RELAXATIONS} relaxation times (the start still shows "
                        "in the means; raise warmup, or warmup = \"auto\")")
    if short_window:
        warnings.append(f"{short_window} of {judged} design point(s): experiment.duration is "
                        f"under {WINDOW_RELAXATIONS} relaxation times (each replication sees "
                        "few independent stretches; raise duration)")
    return info, warnings


def check_long(exp: Experiment) -> list[str]:
    """Warnings for a run whose expected number of requests is past the stated bounds.
    Raises for a point whose requests take no simulated time at all (a closed loop with
    no think time and no work would spin at one instant for ever: no flag runs it)."""
    per_point = [expected_requests(p.config) for p in exp.points]
    worst = max(per_point, default=0.0)
    if math.isinf(worst):
        point = exp.points[per_point.index(worst)]
        where = f" at {point.params}" if point.params else ""
        raise ConfigError(f"workload{where}: no simulated time passes per request (think time "
                          "0, and no trap, user work or service on the path); the clients "
                          "would loop at one instant for ever; give think or some work")
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


def check_shares(exp: Experiment) -> list[str]:
    """Notes for class shares that do not sum to 1: they are relative weights, and this is
    the mix they make (one note per distinct set of shares)."""
    seen, out = set(), []
    for point in exp.points:
        workload = point.config.workload
        if workload is None or not workload.classes:
            continue
        shares = {name: cls.share for name, cls in workload.classes.items()}
        total = sum(shares.values())
        if math.isclose(total, 1.0, rel_tol=1e-9) or tuple(shares.items()) in seen:
            continue
        seen.add(tuple(shares.items()))
        mix = ", ".join(f"{name} {share / total:.3g}" for name, share in shares.items())
        out.append(f"workload.classes: the shares sum to {total:.6g}; they are relative "
                   f"weights, so the mix is {mix}")
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
              allow_long: bool = False, scheduler: str | None = None) -> None:
    """Refuse a run before anything is written: bad executor or workers, a scheduler that
    does not answer, unstable load, a run past the length bounds, an unknown precision
    metric."""
    if executor not in EXECUTORS:
        raise KernsimError(f"--executor {executor!r}: allowed: {', '.join(EXECUTORS)}")
    if isinstance(workers, bool) or (workers is not None and not isinstance(workers, int)):
        raise KernsimError(f"--workers {workers!r}: must be an integer ≥ 1")
    if workers is not None and workers < 1:
        raise KernsimError(f"--workers {workers}: must be an integer ≥ 1")
    if executor == "dask":
        _need_dask()
    if scheduler is not None:
        check_scheduler(scheduler)
    unstable = check_stable(exp)
    if unstable and not allow_unstable:
        raise KernsimError("; ".join(unstable) + " — pass --allow-unstable to run it anyway")
    long = check_long(exp)
    if long and not allow_long:
        raise KernsimError("; ".join(long) + " — pass --allow-long to run it anyway")
    check_metrics(exp)


def check_scheduler(address: str) -> None:
    """A ``tcp://HOST:PORT`` that accepts a connection within :data:`CONNECT_SECONDS`."""
    try:
        parts = urllib.parse.urlsplit(address) if isinstance(address, str) else None
        port = parts.port if parts else None
    except ValueError:  # a bad port or IPv6 literal
        parts = port = None
    if parts is None or parts.scheme != "tcp" or not parts.hostname or port is None:
        raise KernsimError(f"--scheduler {address!r}: must be a Dask scheduler's address, "
                           "tcp://HOST:PORT")
    try:
        with socket.create_connection((parts.hostname, port), timeout=CONNECT_SECONDS):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise KernsimError(f"--scheduler {address!r}: no scheduler answers there "
                           f"({reason}); start one with `dask scheduler`") from None


def _need_dask() -> None:
    if importlib.util.find_spec("distributed") is None:
        raise KernsimError("--executor dask needs dask.distributed: "
                           "pip install 'kernsim[dask]' (or 'dask[distributed]')")


