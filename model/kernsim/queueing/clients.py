"""Clients' side of a request: timeouts, retries with backoff, a retry budget.

A logical request is tried as one or more attempts (jobs). An attempt ends by
completing, by an error from the system, or by the client's ``timeout`` (the
attempt is abandoned but its work goes on inside the system: the amplifier of
metastable failures). Failed or timed-out attempts are retried up to
``max_retries`` times after a backoff (``fixed`` = ``base``; ``exponential`` =
``base·2^(n-1)``, at most ``cap``; ``jitter`` draws uniformly in [0, backoff]),
while the retry budget lasts (each new request earns ``budget`` retries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kernsim.engine.ports import Ports
from kernsim.engine.sim import Sim


@dataclass(frozen=True)
class Policy:
    """The retry policy's fields (``workload.retry`` has the same); the default never retries."""

    timeout: float | None = None
    max_retries: int = 0
    backoff: str = "fixed"
    base: float = 0.0
    cap: float | None = None
    jitter: bool = False
    budget: float | None = None


class Attempts:
    """One logical request: its class, client, tries so far and the live attempt's token."""

    __slots__ = ("client", "cls", "done", "t0", "token", "tries")

    def __init__(self, cls: int, client, t0: float) -> None:
        self.cls, self.client, self.t0 = cls, client, t0
        self.tries = 0
        self.token = 0
        self.done = False


class Requests(Ports):
    """Runs logical requests through ``net`` under a retry policy; counts their fate.
    The net's ``on_complete`` / ``on_error`` ports are connected to :meth:`completed`
    and :meth:`errored`."""

    PORTS = ("finished", "on_success")

    def __init__(self, sim: Sim, net, policy) -> None:
        self.sim, self.net, self.policy = sim, net, policy
        self.finished: Callable[[object], None] = lambda client: None
        """Hears of every logical request that is over, with its client (a port)."""
        self.on_success: Callable[[float], None] = lambda now: None
        """Hears of every success, with its time (a port)."""
        self.jitter = sim.streams.get("workload.retry.jitter")
        self.tokens = 0.0
        self.counts = dict.fromkeys(("requests", "succeeded", "failed", "retries",
                                     "timeouts", "errors"), 0)
        sim.on_warmup(self.reset)

    def start(self, cls: int, client=None) -> None:
        self._count("requests")
        self.tokens += self.policy.budget or 0.0
        self._try(Attempts(cls, client, self.sim.now))

    def _try(self, req: Attempts) -> None:
        req.token += 1
        self.net.submit(req.cls, (req, req.token))
        if self.policy.timeout is not None:
            self.sim.after(self.policy.timeout, self._timeout, (req, req.token))

    def _live(self, tag) -> Attempts | None:
        req, token = tag
        return None if req.done or token != req.token else req

    def completed(self, job) -> None:
        """An attempt finished its route: the request succeeded, unless abandoned."""
        req = self._live(job.client)
        if req is not None:
            req.done = True
            self._count("succeeded")
            self.on_success(self.sim.now)
            self.finished(req.client)

    def errored(self, job) -> None:
        """An attempt failed: retry or give up, unless abandoned."""
        req = self._live(job.client)
        if req is not None:
            self._count("errors")
            self._again_or_fail(req)

    def _timeout(self, ev) -> None:
        req = self._live(ev.arg)
        if req is not None:
            self._count("timeouts")
            req.token += 1  # the attempt is abandoned; its work goes on inside
            self._again_or_fail(req)

    def _again_or_fail(self, req: Attempts) -> None:
        if req.tries < self.policy.max_retries and self._budget_allows():
            req.tries += 1
            self._count("retries")
            self.sim.after(self._backoff(req.tries), lambda ev: self._try(req))
        else:
            req.done = True
            self._count("failed")
            self.finished(req.client)

    def _budget_allows(self) -> bool:
        if self.policy.budget is None:
            return True
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def _backoff(self, n: int) -> float:
        p = self.policy
        delay = p.base if p.backoff == "fixed" else p.base * 2 ** (n - 1)
        if p.cap is not None:
            delay = min(delay, p.cap)
        return self.jitter.uniform(0.0, delay) if p.jitter else delay

    def _count(self, key: str) -> None:
        if self.sim.measuring:
            self.counts[key] += 1

    def reset(self, now: float) -> None:
        self.counts = dict.fromkeys(self.counts, 0)

    def metrics(self, window: float) -> dict[str, float]:
        out = {f"requests.{k}": v for k, v in self.counts.items()}
        out["goodput"] = self.counts["succeeded"] / window * 1e6 if window > 0 else float("nan")
        return out
