"""The unit of every metric, in one table.

Times are simulated microseconds, rates are per simulated second, shares and
probabilities are fractions in [0, 1]. :data:`UNITS` maps a metric name or a
pattern (``*`` stands for any text, e.g. a component's, class's or lock's name) to its unit;
:func:`unit` looks one up (the most specific pattern wins), :func:`quantity`
says how to scale it for display (``time``, ``rate``, ``fraction``, ``count``,
``bytes``, ``ratio``). ``tests/unit/test_units.py`` checks that every metric a
shipped study writes has a unit here.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

import numpy as np

#: metric name or pattern -> unit (``µs``, ``1/s``, ``fraction``, ``requests``, …)
UNITS: dict[str, str] = {
    # requests through the model (queueing network and OS model)
    "throughput": "1/s",
    "goodput": "1/s",
    "response_mean": "µs",
    "response_mean.*": "µs",
    "response_p50": "µs",
    "response_p95": "µs",
    "response_p99": "µs",
    "wait_mean": "µs",
    "wait.*": "µs",
    "queue.*": "requests",
    "util.*": "fraction",
    "arrived": "requests",
    "completed": "requests",
    "in_flight": "requests",
    "aborted": "requests",
    "failed": "1/s",  # a time series' requests given up per second (kernsim.sampler)
    # the OS model
    "cpu.*": "fraction",
    "lock_wait_mean": "µs",
    "lock.*.acquisitions": "acquisitions",
    "lock.*.hold_mean": "µs",
    "lock.*.wait_mean": "µs",
    "lock.*.wait_p99": "µs",
    "lock.*.waiters": "requests",  # a time series' waiters at the sample time
    # derived by the report (kernsim.analysis.utilisation, .lockshare)
    "cores_busy": "fraction",
    "lock_wait_share": "fraction",
    "lock_core_share": "fraction",
    # clients, retries, triggers
    "requests.*": "requests",
    "trigger.goodput_*": "1/s",
    "trigger.factor": "ratio",
    "metastable": "fraction",
    # fault injection
    "availability": "fraction",
    "faults": "faults",
    "fault.t": "µs",
    "fault.time_to_failure": "µs",
    "fault.time_to_recovery": "µs",
    "fault.time_to_recovery_mean": "µs",
    "fault.blast_radius_*": "components",
    "fault.blast_radius_nodes": "nodes",
    "fault.detected": "faults",
    "fault.system_down": "faults",
    "fault.requests_*": "requests",
    "fault.poisoned_locks": "locks",
    "fault.poison_failures": "requests",
    "fault.corrupt_results": "requests",
    # the dependability mode and the fast engine
    "outages": "outages",
    "mttf_system": "µs",
    "mttr_system": "µs",
    "avail.*": "fraction",
    "failed_mean": "units",
    "blast_radius_mean": "units",
    "blast_radius_nodes_mean": "nodes",
    "p_outage_given_fault": "fraction",
    "p_all_nodes_given_fault": "fraction",
    "performability.goodput": "1/s",
    "performability.goodput_se": "1/s",
    "performability.goodput_up": "1/s",
    "performability.states": "states",
    # migration
    "migration.total_time": "µs",
    "migration.downtime": "µs",
    "migration.drain": "µs",
    "migration.bytes_moved": "bytes",
    "migration.rounds": "rounds",
    "migration.precopy_rounds": "rounds",
    "migration.requests_delayed": "requests",
    "migration.requests_lost": "requests",
}

#: unit -> how a display scales it
QUANTITY = {"µs": "time", "1/s": "rate", "fraction": "fraction", "bytes": "bytes",
            "ratio": "ratio"}


def unit(metric: str) -> str:
    """The unit of ``metric`` (``""`` when the table does not know it, e.g. a swept
    parameter or a metric added by a user's own code)."""
    if metric in UNITS:
        return UNITS[metric]
    matches = [p for p in UNITS if "*" in p and fnmatchcase(metric, p)]
    if not matches:
        return ""
    return UNITS[max(matches, key=lambda p: len(p.replace("*", "")))]


def quantity(metric: str) -> str:
    """``time``, ``rate``, ``fraction``, ``bytes``, ``ratio`` or ``count``; ``""`` if
    the unit is unknown."""
    u = unit(metric)
    return QUANTITY.get(u, "count") if u else ""


def label(metric: str) -> str:
    """``metric (unit)``, or the bare name when the unit is unknown (a plot's axis with
    its scale: :func:`kernsim.analysis.figure.axis_label`)."""
    u = unit(metric)
    return f"{metric} ({u})" if u else metric


#: display units per quantity (:func:`kernsim.units.quantity`): (divisor, name), smallest first
STEPS = {
    "time": [(1.0, "µs"), (1e3, "ms"), (1e6, "s"), (3.6e9, "h"), (8.64e10, "days")],
    "rate": [(1.0, "/s"), (1e3, "k/s"), (1e6, "M/s")],
    "bytes": [(1.0, "B"), (2.0**10, "KiB"), (2.0**20, "MiB"), (2.0**30, "GiB")],
}


def display_unit(metric: str, values: Iterable[float]) -> tuple[float, str]:
    """``(divisor, unit)`` to show ``metric`` with: µs/ms/s/h/days for times and
    /s, k/s, M/s for rates, chosen so that the largest finite ``|value|`` is at least 1
    in the unit; other quantities keep their unit (:mod:`kernsim.units`) and divisor 1."""
    kind = quantity(metric)
    if kind not in STEPS:
        return 1.0, unit(metric)
    finite = np.abs(np.asarray(list(values), dtype=float))
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size else 0.0
    chosen = STEPS[kind][0]
    for step in STEPS[kind]:
        if top >= step[0]:
            chosen = step
    return chosen
