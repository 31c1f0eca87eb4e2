"""The arithmetic of a configured migration (``[migration]``): bytes per copy round and
the expected start-to-up time. Pure functions of the spec; the simulation that uses
them is :mod:`kernsim.queueing.migration`, the schema checks a run is long enough.
"""

from __future__ import annotations

from typing import Any

from kernsim.engine.spec import from_config


def precopy(size: float, bandwidth: float, dirty_rate: float, rounds: int) -> list[float]:
    """Bytes each pre-copy round sends: the whole state, then what the round before let be dirtied."""
    sent, x = [], size
    for _ in range(rounds):
        if x <= 0:
            break
        sent.append(x)
        x = min(size, dirty_rate * x / bandwidth)
    return sent


def final_copy(size: float, sent: list[float], bandwidth: float, dirty_rate: float,
               drain: float) -> float:
    """Bytes of the stop-and-copy: everything, or what the last round and the drain dirtied."""
    if not sent:
        return size
    return min(size, dirty_rate * (sent[-1] / bandwidth + drain))


def moved_size(spec: Any) -> float:
    """The bytes that move: the component's state, or the whole process's."""
    return spec.process_state if spec.strategy == "checkpoint" else spec.state


def expected_total(spec: Any) -> float:
    """Mean start-to-up time without a drain (the schema checks it fits in the run)."""
    size, rate = moved_size(spec), spec.bandwidth
    sent = precopy(size, rate, spec.dirty_rate, spec.precopy_rounds)
    last = final_copy(size, sent, rate, spec.dirty_rate, 0.0)
    return (sum(sent) + last) / rate + _mean(spec.latency) + _mean(_up_cost(spec))


def _up_cost(spec: Any) -> Any:
    return spec.restart if spec.strategy == "checkpoint" else spec.resume


def _mean(value: Any) -> float:
    return from_config(value).mean
