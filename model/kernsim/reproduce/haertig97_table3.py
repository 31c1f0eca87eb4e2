"""Härtig et al. 1997, Table 3: lmbench and hbench:OS rows predicted from the native column.

Each row the model can express is one of three benchmark shapes, each a workload
preset run with the calibrated structures of ``haertig97_cal`` (native Linux,
L4Linux, MkLinux in-kernel and user-level):

- ``loop`` (``experiments/workloads/syscall.toml``): one process, ``calls`` system
  calls per iteration; the latency is the iteration's (write to /dev/null: 1 call;
  mmap latency: 2, mmap and munmap; getpid: 1). A ``block`` is a loop whose
  bandwidth is 64 KiB per iteration (file reread: one read of 64 KiB).
- ``roundtrip`` (``pingpong.toml``): two processes on one core, each half of a round
  trip a context switch and its system calls: 2 for pipe, UDP and TCP (write, read), 3 for
  the RPCs (Sun RPC's client call and server loop wait in select before each receive:
  send, select, receive); the libraries' other work lies in the native work. The latency
  is the round trip. The RPCs' third call was added after the first run showed them
  missing on every system; the report says so.
- ``stream`` (``pipestream.toml``): 64 KiB writes through a one-page pipe, a context
  switch per side per page; the bandwidth is a page per page time.

The native column sets each row's work (what the model charges besides the native
trap and switch). MkLinux adds Mach-side work: the Linux server calls Mach for virtual
memory, devices and the network in both variants alike, so a row's Mach-side work is the
same whether the server is co-located in the kernel or runs at user level; only the
crossing into the server differs (its IPC cost, calibrated from getpid per variant). The
in-kernel column sets each row's Mach-side work (its cell less what the model gives with
none); L4Linux's column and MkLinux user-level's are predictions. This hypothesis was
formed after the first run showed the in-kernel and user-level misses of a row nearly
equal; the report says so. MB/s are 2^20 bytes per s
(lmbench's unit). Process creation, the 8-process and hbench context switches,
TCP bandwidth and mmap reread are not expressed (the study's SCOPE says why).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernsim.reproduce import compare, published, runs
from kernsim.reproduce.compare import Row
from kernsim.reproduce.haertig97_cal import (
    CTXSW,
    FOOTPRINT,
    L4,
    MK_IN,
    MK_USER,
    NATIVE,
    SYSTEMS,
    Calibration,
)

LOOP, ROUNDTRIP, STREAM = "haertig97_loop", "haertig97_pingpong", "haertig97_stream"
FILES = {"loop": LOOP, "block": LOOP, "roundtrip": ROUNDTRIP, "stream": STREAM}
KEYS = {LOOP: ("components.op.service", "workload.classes.op.calls", "components.op.working_set"),
        ROUNDTRIP: ("components.xfer.service", "workload.classes.half.calls",
                    "components.xfer.working_set"),
        STREAM: ("components.pipe.service", None, "components.pipe.working_set")}
MB = 2.0 ** 20
PAGE, BLOCK = 4096, 65536
RPC_CALLS = 3               # send, select, receive per half (module docstring)
MACH = (MK_IN, MK_USER)     # both run on Mach: the Linux server's calls into Mach cost alike
STREAM_CALLS = 17 / 32        # the pipestream preset: calls per request (read 16/32, write 1/32)


@dataclass(frozen=True)
class Bench:
    """One Table 3 row: its ``kind`` (module docstring), system calls per iteration or
    half, and the working set its server visit refills (0: a warm getpid loop)."""

    test: str
    kind: str
    calls: int
    working_set: float = FOOTPRINT

    @property
    def unit(self) -> str:
        return "MB/s" if self.kind in ("block", "stream") else "µs"

    def work(self, cal: Calibration, native: float) -> float:
        """µs of the row's own work, from its native Linux value."""
        trap, switch = cal.us(cal.trap[NATIVE]), cal.switch[NATIVE]
        if self.kind == "loop":
            return native - self.calls * trap
        if self.kind == "block":
            return BLOCK / (native * MB) * 1e6 - self.calls * trap
        if self.kind == "roundtrip":
            return native / 2 - switch - self.calls * trap
        return PAGE / (native * MB) * 1e6 / 2 - switch - STREAM_CALLS * trap

    def value(self, response: np.ndarray) -> np.ndarray:
        """The row's figure from the model's mean response times (µs)."""
        if self.kind == "block":
            return BLOCK / response * 1e6 / MB
        if self.kind == "stream":
            return PAGE / response * 1e6 / MB
        return response


BENCHES = (
    Bench("lmbench write to /dev/null", "loop", 1),
    Bench("lmbench Mmap Latency", "loop", 2),
    Bench("lmbench Pipe latency", "roundtrip", 2),
    Bench("lmbench UDP latency", "roundtrip", 2),
    Bench("lmbench RPC/UDP latency", "roundtrip", RPC_CALLS),
    Bench("lmbench TCP latency", "roundtrip", 2),
    Bench("lmbench RPC/TCP latency", "roundtrip", RPC_CALLS),
    Bench("lmbench Pipe bandwidth", "stream", 1),
    Bench("lmbench File reread bandwidth", "block", 1),
    Bench("hbench getpid", "loop", 1, 0.0),
    Bench("hbench write to /dev/null", "loop", 1),
    Bench("hbench Mmap Latency 4KB", "loop", 2),
    Bench("hbench Mmap Latency 8MB", "loop", 2),
    Bench("hbench Pipe latency", "roundtrip", 2),
    Bench("hbench UDP latency", "roundtrip", 2),
    Bench("hbench RPC/UDP latency", "roundtrip", RPC_CALLS),
    Bench("hbench TCP latency", "roundtrip", 2),
    Bench("hbench RPC/TCP latency", "roundtrip", RPC_CALLS),
    Bench("hbench Pipe 64KB bandwidth", "stream", 1),
    Bench("hbench File read 64/64 bandwidth", "block", 1),
)
FULL = {LOOP: {"experiment.replications": 2, "experiment.duration": "40ms"},
        ROUNDTRIP: {"experiment.replications": 2, "experiment.duration": "60ms"},
        STREAM: {"experiment.replications": 5, "experiment.duration": "300ms"}}
QUICK = {LOOP: {"experiment.replications": 2, "experiment.duration": "10ms"},
         ROUNDTRIP: {"experiment.replications": 2, "experiment.duration": "20ms"},
         STREAM: {"experiment.replications": 3, "experiment.duration": "60ms"}}


def group(file: str) -> list[Bench]:
    return [b for b in BENCHES if FILES[b.kind] == file]


def settings(ctx: runs.Context, cal: Calibration, pub: pd.DataFrame, file: str,
             systems: tuple[str, ...] = SYSTEMS, mach: dict[str, float] | None = None) -> dict:
    """Overrides of one preset's study file: ``systems`` × the rows of that shape, each row's
    work its native work plus its Mach-side work (``mach``, µs; none when absent)."""
    service, calls, ws = KEYS[file]
    benches = group(file)
    extra = mach or {}
    rows = {service: [round(b.work(cal, published.value(pub, b.test, NATIVE))
                            + extra.get(b.test, 0.0), 6) for b in benches],
            ws: [b.working_set for b in benches]}
    if calls is not None:
        rows[calls] = [b.calls for b in benches]
    sweep = runs.base_sweep(ctx, file)
    sweep["zip"] = [cal.zip(systems), rows]
    values = {"system.address_space.cache_refill": round(cal.refill, 6), "sweep": sweep}
    values.update((QUICK if ctx.quick else FULL)[file])
    return values


def run_stage(ctx: runs.Context, cal: Calibration, pub: pd.DataFrame, systems: tuple[str, ...],
              mach: dict[str, float] | None,
              suffix: str) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every preset's runs for ``systems``, labelled with ``system`` and ``test``; and the
    overrides used, by folder."""
    frames: list[pd.DataFrame] = []
    used: dict[str, list[str]] = {}
    for file in (LOOP, ROUNDTRIP, STREAM):
        values = settings(ctx, cal, pub, file, systems, mach)
        used[file + suffix] = runs.overrides(values)
        df = runs.run_file(ctx, file, values, file + suffix)
        service = KEYS[file][0]
        by_work = {round(w, 6): b.test
                   for b, w in zip(group(file), values["sweep"]["zip"][1][service])}
        if len(by_work) != len(group(file)):
            raise ValueError(f"{file}: two rows share a work value; runs cannot be told apart")
        frames.append(df.assign(
            system=[cal.system_of(a, t, i) for a, t, i in
                    zip(df["system.architecture"], df["system.trap"], df["system.ipc.latency"])],
            test=[by_work[round(w, 6)] for w in df[service]]))
    return pd.concat(frames, ignore_index=True), used


def mach_work(cal: Calibration, pub: pd.DataFrame, df: pd.DataFrame) -> dict[str, float]:
    """Per row whose MkLinux in-kernel cell is a calibration figure: the Mach-side work, µs
    per iteration (per half round trip; per side of a page: a page pays it twice), that the in-kernel cell holds beyond what
    the model gives it with no such work; the same for both MkLinux variants (module
    docstring). Rows whose in-kernel cell is not a calibration figure get none."""
    out = {}
    for bench in BENCHES:
        if published.figure(pub, bench.test, MK_IN)["role"] != "calibration":
            continue
        model = float(np.mean(model_values(df, bench, MK_IN)))
        out[bench.test] = (bench.work(cal, published.value(pub, bench.test, MK_IN))
                           - bench.work(cal, model))
        if bench.work(cal, published.value(pub, bench.test, NATIVE)) + out[bench.test] <= 0:
            raise ValueError(f"{bench.test}: Mach-side work {out[bench.test]:.3f} µs leaves "
                             "the row no positive work")
    return out


def run(ctx: runs.Context, cal: Calibration,
        pub: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[str]], dict[str, float]]:
    """Two stages: native Linux, L4Linux and MkLinux in-kernel with no Mach-side work, which
    sets each row's Mach-side work (``mach_work``); then both MkLinux variants with it.
    Returns the runs the rows use (native and L4Linux from the first stage, MkLinux from the
    second), the overrides by folder, and the Mach-side work by row."""
    first, used = run_stage(ctx, cal, pub, (NATIVE, L4, MK_IN), None, "")
    mach = mach_work(cal, pub, first)
    second, used_mach = run_stage(ctx, cal, pub, MACH, mach, "_mach")
    keep = first[first["system"].isin((NATIVE, L4))]
    return pd.concat([keep, second], ignore_index=True), {**used, **used_mach}, mach


def mach_lines(mach: dict[str, float]) -> list[str]:
    """The Mach-side work in words, for the report's calibration."""
    return [("MkLinux Mach-side work per row (both variants; set by the in-kernel column, "
             "µs per iteration, per half round trip or per side of a page): "
             + "; ".join(f"{test} {w:.2f}" for test, w in mach.items()))]


def model_values(df: pd.DataFrame, bench: Bench, system: str) -> np.ndarray:
    part = df[(df["test"] == bench.test) & (df["system"] == system)]
    return bench.value(part["response_mean"].to_numpy())


def rows(pub: pd.DataFrame, cal: Calibration, df: pd.DataFrame) -> list[Row]:
    """One row per Table 3 cell expressed: its CSV role (native and the stated set:
    calibration; hbench getpid: identity), the rest predictions. The 2-proc ctxsw row
    is an input: the context switch the model charges (a request of no work and no
    call holds no core, so it cannot be run alone)."""
    out = [compare.exact(CTXSW, s, "calibration", "µs", cal.switch[s],
                         published.value(pub, CTXSW, s), "P", note="system.context_switch")
           for s in SYSTEMS]
    for bench in BENCHES:
        for system in SYSTEMS:
            fig = published.figure(pub, bench.test, system)
            role = {"calibration": "calibration", "prediction": "prediction",
                    "context": "identity"}[fig["role"]]
            note = "" if pd.isna(fig["note"]) else str(fig["note"])
            out.append(compare.measured(bench.test, system, role, bench.unit,
                                        model_values(df, bench, system), float(fig["value"]),
                                        str(fig["tag"]), note))
    return out


def curves(df: pd.DataFrame) -> pd.DataFrame:
    """Per test and system: the model's value (mean, std, count) beside nothing else."""
    parts = []
    for bench in BENCHES:
        for system in SYSTEMS:
            v = model_values(df, bench, system)
            parts.append({"what": "table3", "test": bench.test, "structure": system,
                          "metric": bench.unit, "mean": float(np.mean(v)),
                          "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
                          "count": len(v)})
    return pd.DataFrame(parts)
