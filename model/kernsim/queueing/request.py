"""A request: one unit of work moving along its class's route."""

from __future__ import annotations

from typing import Any


class Request:
    """Where a request is on its route, when it entered, and how long it queued."""

    __slots__ = ("client", "cls", "route", "step", "t0", "t_queue", "wait")

    def __init__(self, route: tuple, cls: int, t0: float, client: Any = None) -> None:
        self.route = route
        self.step = 0
        self.t0 = t0
        self.t_queue = t0
        self.wait = 0.0
        self.cls = cls
        self.client = client
