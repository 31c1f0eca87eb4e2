"""(e′) The quickstart's OS model as a competent SimPy user writes it, without kernsim.

A rival for ``kernsim bench``, not part of kernsim's model: it imports only SimPy
and numpy. Process style: each closed-loop client is one SimPy process that
thinks, runs one system call and waits for its end. Cores, server threads and
locks are ``simpy.Resource``; CPU work and IPC messages are timeouts.

- A system call holds a core from entry to exit. A call that had to wait for a
  core pays a context switch before its next work; one that got a free core
  does not.
- ``monolithic``: every component runs in the kernel; a component with
  critical work takes its own lock (a Resource of capacity 1, FIFO) and holds
  it for the critical work plus the MCS hand-off ``lock_c``, spinning, that
  is keeping its core, while it waits.
- ``microkernel``: each component is a server with ``threads`` threads; a call
  message (IPC) goes to each server in turn and the call holds a thread of
  each server it entered until its reply; critical work is plain server work
  (servers own their data). A call that finds every thread busy gives its core
  up while it waits for one, and asks for a core again when it has the thread.

Semantics follow docs/os-model.md for these two architectures (the parts the
quickstart uses); ``kernsim.bench.runs.handwritten_os_params`` reads the
parameters from a kernsim config and refuses what this model does not have.
The random draws are numpy's, in blocks of 1024 from one Generator per run.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Generator
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

import numpy as np
import simpy

BLOCK = 1024


@dataclass(frozen=True)
class Dist:
    """A duration (µs): ``constant`` (the mean), ``exponential``, ``lognormal`` or ``gamma``
    with the given mean and coefficient of variation."""

    kind: Literal["constant", "exponential", "lognormal", "gamma"]
    mean: float
    cv: float = 1.0


@dataclass(frozen=True)
class Component:
    """An OS function: its work, and the part of it under its lock (0: no lock)."""

    service: Dist
    critical: Dist


@dataclass(frozen=True)
class CallKind:
    """A system call: how often, which components in order, the µs its payload copies cost."""

    share: float
    path: tuple[str, ...]
    copy: float = 0.0         # the user/kernel copy of the payload (every architecture)
    message_extra: float = 0.0  # what each IPC call message copies or maps (microkernel)


@dataclass(frozen=True)
class OsParams:
    """Everything the model needs, in µs."""

    architecture: Literal["monolithic", "microkernel"]
    cores: int
    clients: int
    think: Dist
    trap: Dist
    context_switch: Dist
    ipc_latency: Dist
    lock_c: float
    threads: dict[str, int]
    components: dict[str, Component]
    calls: tuple[CallKind, ...]
    warmup: float
    duration: float


@dataclass
class OsResult:
    completed: int            # system calls finished over the whole run
    throughput: float         # per second, over the measured window
    response_mean: float      # µs, calls finished in the window


def sampler(dist: Dist, rng: np.random.Generator) -> Callable[[], float]:
    """Draws of ``dist``, ``BLOCK`` at a time."""
    if dist.kind == "constant" or dist.mean == 0:
        value = dist.mean
        return lambda: value
    if dist.kind == "exponential":
        def block() -> np.ndarray:
            return rng.exponential(dist.mean, BLOCK)
    elif dist.kind == "lognormal":
        sigma = np.sqrt(np.log1p(dist.cv**2))
        mu = np.log(dist.mean) - sigma**2 / 2

        def block() -> np.ndarray:
            return rng.lognormal(mu, sigma, BLOCK)
    else:
        shape, scale = 1 / dist.cv**2, dist.mean * dist.cv**2

        def block() -> np.ndarray:
            return rng.gamma(shape, scale, BLOCK)
    buf: list[float] = []

    def draw() -> float:
        if not buf:
            buf.extend(block().tolist())
        return buf.pop()

    return draw


class Step:
    """A component as one call sees it: samplers, and its lock or its server's threads."""

    def __init__(self, comp: Component, rng: np.random.Generator,
                 lock: simpy.Resource | None, threads: simpy.Resource | None) -> None:
        self.service = sampler(comp.service, rng)
        self.critical = sampler(comp.critical, rng)
        self.lock, self.threads = lock, threads


class HandwrittenOs:
    """One replication: ``run()`` returns an :class:`OsResult`; ``env`` is the SimPy environment."""

    def __init__(self, p: OsParams, seed: np.random.SeedSequence) -> None:
        self.p = p
        self.env = env = simpy.Environment()
        rng = np.random.default_rng(seed)
        self.cores = simpy.Resource(env, p.cores)
        mono = p.architecture == "monolithic"
        steps = {}
        for name, comp in p.components.items():
            lock = simpy.Resource(env, 1) if mono and comp.critical.mean > 0 else None
            threads = None if mono else simpy.Resource(env, p.threads[name])
            steps[name] = Step(comp, rng, lock, threads)
        self.paths = [[steps[n] for n in c.path] for c in p.calls]
        self.think = sampler(p.think, rng)
        self.trap = sampler(p.trap, rng)
        self.switch = sampler(p.context_switch, rng)
        self.ipc = sampler(p.ipc_latency, rng)
        self.cum = list(accumulate(c.share / sum(c.share for c in p.calls) for c in p.calls))
        self.uniform = self._uniforms(rng)
        self.syscall = self.monolithic if mono else self.microkernel
        self.completed = self.counted = 0
        self.response_sum = 0.0

    @staticmethod
    def _uniforms(rng: np.random.Generator) -> Callable[[], float]:
        buf: list[float] = []

        def draw() -> float:
            if not buf:
                buf.extend(rng.random(BLOCK).tolist())
            return buf.pop()

        return draw

    def run(self) -> OsResult:
        p, env = self.p, self.env
        for _ in range(p.clients):
            env.process(self.client())
        env.run(until=p.warmup + p.duration)
        mean = self.response_sum / self.counted if self.counted else float("nan")
        return OsResult(self.completed, self.counted / p.duration * 1e6, mean)

    def client(self) -> Generator[simpy.Event, object, None]:
        env = self.env
        while True:
            yield env.timeout(self.think())
            kind = bisect_right(self.cum, self.uniform()) if len(self.cum) > 1 else 0
            start = env.now
            yield from self.syscall(kind)
            self.completed += 1
            if env.now >= self.p.warmup:
                self.counted += 1
                self.response_sum += env.now - start

    def core(self) -> Generator[simpy.Event, object, tuple[simpy.Event, float]]:
        """Get a core; the context switch it costs if the call had to wait for it (µs)."""
        req = self.cores.request()
        waited = not req.triggered
        yield req
        return req, self.switch() if waited else 0.0

    def monolithic(self, kind: int) -> Generator[simpy.Event, object, None]:
        env, call = self.env, self.p.calls[kind]
        core, switch = yield from self.core()
        yield env.timeout(switch + self.trap() + call.copy)
        for step in self.paths[kind]:
            if step.lock is not None:
                with step.lock.request() as lock:  # spin: the core stays ours
                    yield lock
                    yield env.timeout(step.critical() + self.p.lock_c)
            yield env.timeout(step.service())
        self.cores.release(core)

    def microkernel(self, kind: int) -> Generator[simpy.Event, object, None]:
        env, call = self.env, self.p.calls[kind]
        core, switch = yield from self.core()
        work = switch + self.trap() + call.copy
        entered = []
        for step in self.paths[kind]:
            yield env.timeout(work + self.ipc() + call.message_extra)  # the call message
            thread = step.threads.request()
            switch = 0.0
            if not thread.triggered:  # every thread busy: block without the core
                self.cores.release(core)
                yield thread
                core, switch = yield from self.core()
            entered.append(thread)
            work = 0.0
            yield env.timeout(switch + step.critical() + step.service())
        for thread in reversed(entered):
            yield env.timeout(self.ipc())  # the reply
            thread.resource.release(thread)
        self.cores.release(core)
