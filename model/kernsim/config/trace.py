"""``experiment.trace``: which replications, time window and share of requests to trace.

``trace = {replications = [0], window = ["30ms", "31ms"], sample = 0.01}``
records one span per step of a sampled request (``kernsim.system.trace``).
The window is simulated time since the replication started, warm-up
included (the time axis of the trace); left out, it is the first
millisecond of the measured window (:func:`default_window`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator
from pydantic import Strict as StrictType

from kernsim.config.faults import _raise
from kernsim.config.types import Duration, Problem, Strict

#: how long the default window is (µs): one millisecond from the end of the warm-up
DEFAULT_SPAN = 1000.0


class TraceSpec(Strict):
    """``experiment.trace``: a request is sampled at arrival with probability ``sample``
    (its own random stream); its spans that overlap ``window`` are recorded, in the
    replications listed."""

    replications: list[Annotated[int, StrictType(), Field(ge=0)]] = Field([0], min_length=1)
    window: list[Duration] | None = None  # [from, to]; None: default_window
    sample: float = Field(0.01, gt=0, le=1)

    @model_validator(mode="after")
    def _shape(self) -> TraceSpec:
        problems = []
        if len(set(self.replications)) != len(self.replications):
            problems.append(Problem(("replications",), self.replications,
                                    "lists a replication twice; list each once"))
        if self.window is not None:
            if len(self.window) != 2:
                problems.append(Problem(("window",), self.window,
                                        "must be two times [from, to], e.g. [\"30ms\", \"31ms\"]"))
            elif not 0 <= self.window[0] < self.window[1]:
                problems.append(Problem(("window",), self.window,
                                        "must be [from, to] with 0 ≤ from < to"))
        _raise(problems, "TraceSpec")
        return self


def default_window(warmup: float, duration: float) -> list[float]:
    """The first millisecond of the measured window (all of it, if shorter)."""
    return [warmup, warmup + min(DEFAULT_SPAN, duration)]


def check_trace(trace: TraceSpec, warmup: float, duration: float,
                runs: int) -> list[Problem]:
    """Problems of ``trace`` against the run (keys below ``experiment``): the window must
    end by the end of the run, and each replication must be one that runs (``runs``: the
    most replications a design point may get)."""
    problems = []
    end = warmup + duration
    if trace.window is not None and len(trace.window) == 2 and trace.window[1] > end:
        problems.append(Problem(("trace", "window"), trace.window,
                                f"must end by the end of the run (warmup + duration = "
                                f"{end:g} µs)"))
    late = [r for r in trace.replications if r >= runs]
    if late:
        problems.append(Problem(("trace", "replications"), trace.replications,
                                f"replication {late[0]} never runs: replications are "
                                f"0 … {runs - 1}"))
    return problems
