"""Härtig et al. 1997: the calibration, read from ``data/published/haertig97.csv``.

The stated set, every figure of role ``calibration`` (tag P):

- the clock, 133 MHz (§5.1): cycles to µs;
- native Linux: kernel entry and exit, 82 cycles (§5.2), the trap of native Linux and
  of both MkLinux variants (Mach is entered by a trap); getpid, 223 cycles (Table 2):
  getpid's work is the remaining 141 cycles (§5.2 prints 141);
- L4Linux (Figure 5): entering and leaving the emulation library, 20 + 19 cycles, its
  "trap"; sending the call and receiving the reply, 168 + 188 cycles: one IPC is half;
- MkLinux: getpid, 2050 (in-kernel) and 14710 cycles (user-level) (Table 2): one IPC
  is (getpid − 223) / 2 with the native trap and work;
- the indirect cost (``[system.address_space] cache_refill``): the L4Linux lmbench
  write to /dev/null (Table 3) less what the direct costs above give, spread over the
  45 cache lines of 32 bytes that L4Linux's own path occupies (§5.2, the "45 cache
  lines"), refilled after every crossing into the Linux server by a benchmark whose
  work displaces them (every one but the getpid loop, whose Figure 5 sum is warm);
- the context switch of each system: the lmbench 2-proc ctxsw row (Table 3).

Each Table 3 row's own work is set from its native Linux column (``haertig97_table3``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kernsim.reproduce import calibrate, published

NATIVE, L4, MK_IN, MK_USER = "native Linux", "L4Linux", "MkLinux in-kernel", "MkLinux user-level"
SYSTEMS = (NATIVE, L4, MK_IN, MK_USER)
ARCHITECTURES = ("monolithic", "hybrid", "hybrid", "hybrid")
MESSAGES = 2                  # a system call on Linux-as-a-server: the IPC call and its reply
CLOCK = ("cpu clock", "all systems (Pentium PC)")
ENTRY = "kernel entry and exit"
GETPID = "getpid latency"
EMULATION = ("enter emulation library", "leave emulation library")
L4_IPC = ("send system call message", "receive reply")
WRITE = "lmbench write to /dev/null"
CTXSW = "lmbench 2-proc ctxsw"
LINE_BYTES = 32               # the Pentium's cache line (ASSUMED: hardware, not in the paper)
FOOTPRINT_LINES = 45          # §5.2: cache lines of L4Linux's own path (P)
FOOTPRINT = FOOTPRINT_LINES * LINE_BYTES
KIB = 1024.0


@dataclass(frozen=True)
class Calibration:
    """Per-system costs: ``trap`` and ``ipc`` in cycles, ``switch`` in µs; ``work``:
    getpid's own work in cycles; ``refill``: µs per KiB refilled after a crossing."""

    mhz: float
    trap: dict[str, float]
    ipc: dict[str, float]
    switch: dict[str, float]
    work: float
    refill: float

    def us(self, cycles: float) -> float:
        return calibrate.cycles_to_us(cycles, self.mhz)

    def extra_us(self, system: str, working_set: float = FOOTPRINT) -> float:
        """µs a system call costs on ``system`` beyond native Linux's trap (direct + refill)."""
        if system == NATIVE:
            return 0.0
        direct = self.trap[system] + MESSAGES * self.ipc[system] - self.trap[NATIVE]
        return self.us(direct) + self.refill * working_set / KIB

    def zip(self, systems: tuple[str, ...] = SYSTEMS) -> dict:
        """The per-system ``[sweep.zip]`` group of ``systems``: structure, trap, IPC, context
        switch."""
        arch = dict(zip(SYSTEMS, ARCHITECTURES))
        return {"system.architecture": [arch[s] for s in systems],
                "system.trap": [round(self.us(self.trap[s]), 6) for s in systems],
                "system.ipc.latency": [round(self.us(self.ipc[s]), 6) for s in systems],
                "system.context_switch": [round(self.switch[s], 6) for s in systems]}

    def system_of(self, architecture: str, trap: float, ipc: float) -> str:
        """The system of a design point, from its swept structure keys."""
        for s, a, t, i in zip(SYSTEMS, *list(self.zip().values())[:3]):
            if a == architecture and abs(t - trap) < 1e-9 and abs(i - ipc) < 1e-9:
                return s
        raise KeyError(f"no system with architecture {architecture}, trap {trap}, ipc {ipc}")


def calibration(pub: pd.DataFrame) -> Calibration:
    """The stated calibration set (module docstring), from the published CSV."""
    mhz = published.value(pub, *CLOCK)
    entry = published.value(pub, ENTRY, NATIVE)
    work = published.value(pub, GETPID, NATIVE) - entry
    l4_trap = sum(published.value(pub, step, L4) for step in EMULATION)
    l4_ipc = sum(published.value(pub, step, L4) for step in L4_IPC) / MESSAGES
    trap = {NATIVE: entry, L4: l4_trap, MK_IN: entry, MK_USER: entry}
    ipc = {NATIVE: l4_ipc, L4: l4_ipc}    # native: unused (no crossing), keeps the zip aligned
    for s in (MK_IN, MK_USER):
        ipc[s] = calibrate.per_message(published.value(pub, GETPID, s) - entry, work, MESSAGES)
    switch = {s: published.value(pub, CTXSW, s) for s in SYSTEMS}
    cal = Calibration(mhz, trap, ipc, switch, work, 0.0)
    native_write = published.value(pub, WRITE, NATIVE)
    gap = published.value(pub, WRITE, L4) - native_write - cal.extra_us(L4)
    return Calibration(mhz, trap, ipc, switch, work, gap / (FOOTPRINT / KIB))


def lines(cal: Calibration) -> list[str]:
    """The calibration in words, for the report."""
    out = [f"clock {cal.mhz:g} MHz (P, §5.1)",
           (f"native Linux: trap = kernel entry and exit {cal.trap[NATIVE]:g} cycles (§5.2) = "
           f"{cal.us(cal.trap[NATIVE]):.4f} µs; getpid's work = 223 − {cal.trap[NATIVE]:g} = "
           f"{cal.work:g} cycles (Table 2; §5.2 prints 141)"),
           (f"L4Linux: trap = emulation library 20 + 19 = {cal.trap[L4]:g} cycles; one IPC = "
           f"(168 + 188) / 2 = {cal.ipc[L4]:g} cycles = {cal.us(cal.ipc[L4]):.4f} µs (Figure 5)")]
    for s in (MK_IN, MK_USER):
        out.append(f"{s}: trap {cal.trap[s]:g} cycles; one IPC = (getpid − 223) / 2 = "
                   f"{cal.ipc[s]:.1f} cycles = {cal.us(cal.ipc[s]):.4f} µs (Table 2)")
    out.append(f"indirect cost: cache_refill = {cal.refill:.4f} µs per KiB, refilled "
               f"{FOOTPRINT_LINES} lines × {LINE_BYTES} B = {FOOTPRINT} B after each crossing into "
               "the server (L4Linux lmbench write to /dev/null 5.26 µs less its direct costs; "
               f"{cal.refill * FOOTPRINT / KIB:.4f} µs per call); no TLB term (tlb_refill = 0: no "
               "published figure separates it)")
    out.append("context switch (lmbench 2-proc ctxsw, Table 3): "
               + "; ".join(f"{s} {cal.switch[s]:g} µs" for s in SYSTEMS))
    return out
