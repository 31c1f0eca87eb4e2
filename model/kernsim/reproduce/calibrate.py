"""Calibration arithmetic: published micro-figures into model parameters.

Every function is plain arithmetic on figures read from ``data/published``;
the studies say which rows go in. Times: cycles and µs (the model's unit).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def cycles_to_us(cycles: float, mhz: float) -> float:
    """``cycles`` at a clock of ``mhz`` MHz, in µs (one MHz is one cycle per µs)."""
    if mhz <= 0:
        raise ValueError(f"clock {mhz!r} MHz: must be > 0")
    return cycles / mhz


def us_to_cycles(us: float, mhz: float) -> float:
    """``us`` µs at a clock of ``mhz`` MHz, in cycles."""
    if mhz <= 0:
        raise ValueError(f"clock {mhz!r} MHz: must be > 0")
    return us * mhz


def per_message(total: float, base: float, messages: int) -> float:
    """Cost of one message when ``total`` = ``base`` + ``messages`` equal messages
    (e.g. getpid on L4Linux = the native trap + an IPC call + its reply)."""
    if messages < 1:
        raise ValueError(f"messages {messages!r}: must be ≥ 1")
    return (total - base) / messages


def parallel_work(section: float, fraction: float) -> float:
    """Parallel work ``a`` between acquisitions for a serial ``fraction`` f on one core:
    s / (a + s) = f, so a = s (1 − f) / f."""
    if not 0 < fraction < 1:
        raise ValueError(f"serial fraction {fraction!r}: must be in (0, 1)")
    return section * (1 - fraction) / fraction


def ticket_transfer_cost(extra: float, cores: int, section: float) -> float:
    """Cache-line cost ``c`` of a ticket lock that every core always queues for.

    With no parallel work all ``n ≥ 2`` cores hold or wait (k = n) and each
    acquisition holds the line for s + c·n/2, so one update takes
    n (s + c·n/2) from asking to release; one core alone holds it for s (no
    other core wants the line: no hand-off). The extra cost over one core,
    n (s + c·n/2) − s = (n − 1) s + c·n²/2, equals ``extra``:
    c = 2 (extra − (n − 1) s) / n²."""
    if cores < 2:
        raise ValueError(f"cores {cores!r}: the extra cost needs at least 2 cores")
    c = 2 * (extra - (cores - 1) * section) / (cores * cores)
    if c <= 0:
        raise ValueError(f"extra cost {extra!r} at {cores} cores is below (n − 1)·s: no c > 0 fits")
    return c


def ticket_update_cost(cores: npt.ArrayLike, section: float, c: float) -> np.ndarray:
    """Mean cycles per update with every core queued on the ticket lock: n (s + c·n/2) for
    n ≥ 2 cores, s for one (the hand-off needs another core); ``cores`` may be an array."""
    n = np.asarray(cores, float)
    return np.where(n >= 2, n * (section + c * n / 2), section)
