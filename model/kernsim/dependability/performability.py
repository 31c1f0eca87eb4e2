"""Two time scales: goodput per failure state, from the performance model (performability).

The long time scale (:mod:`kernsim.dependability.timed`, months of faults and
repairs, no requests) meets the short one (the OS model, µs per request)
through a reward per state (docs/design.md §4, "Faults"). With
``[faults.performability] model = "perf.toml"`` every dependability unit
names a component or a domain of that performance model. A *state* is the
set of units down; for every state the dependability run spends time in
(inside the window), the performance model is run with those units forced
down for its whole run (``[faults] down``: their domains down from time 0,
no fault injected), ``replications`` times for ``duration`` (default: the
model file's), and its mean ``goodput`` is the state's reward. The
replication reports

``performability.goodput``     Σ over states of (fraction of the window in the
                               state) × (its goodput): the time-weighted mean
``performability.goodput_se``  standard error of that from the per-state runs
                               (their estimation error, common to every
                               replication: it is not in the spread between
                               replications)
``performability.goodput_up``  goodput with everything up
``performability.states``      distinct states met in the window

Reproducible: the per-state runs take their seeds from the stream
``performability.<units, sorted, comma-separated>`` under the experiment's
``seed`` (not the replication's), so a state's reward is the same in every
replication, whichever process or order computes it; each process keeps the
results it computed (a cache keyed by the model's config hash, the state, the
seed and the run settings), so a state is simulated once per process.

Approximation: the reward of a state is the goodput of a system that has been
in that state for ever. The transients at a fault and at a restart (requests
lost in flight, queues building up and draining, clients' retries and their
backoff) are ignored; they are short next to the time between faults when
restarts are fast and the load is light. A detailed run (``[faults] ttf`` in
the performance model: recurring faults, :mod:`kernsim.system.inject`) has them;
``tests/validation/test_two_scales.py`` checks the two agree in such a case.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from kernsim.config.faults import PerformabilitySpec
from kernsim.engine.streams import Streams

#: runs one replication of a performance config (``kernsim.simulate.performance``)
Run = Callable[[Any, np.random.SeedSequence], dict[str, Any]]


class Reward:
    """Time a dependability run spends in each set of down units over the window."""

    def __init__(self, spec: PerformabilitySpec, seed: int, run: Run) -> None:
        self.spec, self.seed, self.run = spec, seed, run
        self.down: set[str] = set()
        self.since = 0.0
        self.time: dict[frozenset[str], float] = {}

    def update(self, now: float, unit: str, up: bool) -> None:
        """Unit ``unit`` went up or down at ``now``."""
        self._close(now)
        if up:
            self.down.discard(unit)
        else:
            self.down.add(unit)

    def _close(self, now: float) -> None:
        if now > self.since:
            state = frozenset(self.down)
            self.time[state] = self.time.get(state, 0.0) + now - self.since
        self.since = now

    def reset(self, now: float) -> None:
        """The window starts: forget the time spent before."""
        self.time.clear()
        self.since = now

    def metrics(self, now: float) -> dict[str, float]:
        self._close(now)
        span = sum(self.time.values())
        mean = var = 0.0
        for state, t in sorted(self.time.items(), key=lambda kv: sorted(kv[0])):
            g, se = goodput(self.spec, state, self.seed, self.run)
            mean += t / span * g
            var += (t / span * se) ** 2
        return {"performability.goodput": mean if span > 0 else math.nan,
                "performability.goodput_se": math.sqrt(var) if span > 0 else math.nan,
                "performability.goodput_up": goodput(self.spec, frozenset(), self.seed,
                                                     self.run)[0],
                "performability.states": len(self.time)}


def goodput(spec: PerformabilitySpec, down: frozenset[str], seed: int,
            run: Run) -> tuple[float, float]:
    """Mean goodput (per s) of the performance model with ``down`` forced down, and its
    standard error (nan with one replication); ``run`` simulates one replication."""
    return _measure(_Key(spec, down, seed, run))


class _Key:
    """The cache key (config hash, state, seed, run settings), carrying the spec along."""

    __slots__ = ("down", "key", "run", "seed", "spec")

    def __init__(self, spec: PerformabilitySpec, down: frozenset[str], seed: int,
                 run: Run) -> None:
        self.spec, self.down, self.seed, self.run = spec, down, seed, run
        self.key = (spec.digest, down, seed, spec.replications, spec.duration, run)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.key == other.key


@functools.lru_cache(maxsize=4096)
def _measure(key: _Key) -> tuple[float, float]:
    config = key.spec.degraded(key.down)
    name = "performability." + ",".join(sorted(key.down))
    seeds = Streams(np.random.SeedSequence(key.seed)).child(name).seed.spawn(
        key.spec.replications)
    values = np.array([key.run(config, s)["goodput"] for s in seeds])
    se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return float(values.mean()), float(se)
