"""Model against published: one row per compared quantity, with its tolerance.

A row holds the published value (NaN when data/published has none), the
model's mean and 95% Student-t interval over replications, and the
tolerance written next to it with its reason. ``within`` asks whether the
model's mean lies inside published ± tolerance: "yes", "no", or "n/a" when
there is nothing to compare (no published value, or a calibration input).

Roles: ``prediction`` (a figure the calibration did not use), ``check`` (a
consistency check: a figure the calibration used or forces), ``calibration``
(an input, shown reproduced), ``kernsim`` (a model result with no published
counterpart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from kernsim.stats.intervals import t_interval

ROLES = ("prediction", "check", "calibration", "model")
LEVEL = 0.95
KINDS = ("abs", "rel", "upper")


@dataclass(frozen=True)
class Tolerance:
    """published ± ``amount`` (``kind = "abs"``, in the quantity's unit), ± amount × |published|
    (``"rel"``), or, for a published upper bound, at most published × (1 + amount) (``"upper"``);
    with the reason it is that wide."""

    kind: str
    amount: float
    reason: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS or not self.amount >= 0:
            raise ValueError(f"tolerance {self.kind!r} {self.amount!r}: kind "
                             f"{'|'.join(KINDS)}, amount ≥ 0")

    def half_width(self, published: float) -> float:
        return self.amount if self.kind == "abs" else self.amount * abs(published)

    def contains(self, published: float, model: float) -> bool:
        if self.kind == "upper":
            return model <= published + self.half_width(published)
        return abs(model - published) <= self.half_width(published)

    def text(self, unit: str = "") -> str:
        if self.kind == "rel":
            return f"±{self.amount:.0%}"
        if self.kind == "upper":
            return f"≤ bound +{self.amount:.0%}"
        return f"±{self.amount:.3g} {unit}".rstrip()


def relative(amount: float, reason: str) -> Tolerance:
    return Tolerance("rel", amount, reason)


def upper(amount: float, reason: str) -> Tolerance:
    return Tolerance("upper", amount, reason)


def absolute(amount: float, reason: str) -> Tolerance:
    return Tolerance("abs", amount, reason)


@dataclass
class Row:
    """One line of the side-by-side table."""

    quantity: str
    system: str
    role: str
    unit: str
    published: float
    tag: str
    mean: float
    lo: float = math.nan
    hi: float = math.nan
    tolerance: Tolerance | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role {self.role!r}: allowed: {', '.join(ROLES)}")

    @property
    def ratio(self) -> float:
        if math.isnan(self.published) or self.published == 0 or math.isnan(self.mean):
            return math.nan
        return self.mean / self.published

    @property
    def within(self) -> str:
        if self.tolerance is None or math.isnan(self.published) or self.role == "calibration":
            return "n/a"
        return "yes" if self.tolerance.contains(self.published, self.mean) else "no"

    def as_dict(self) -> dict:
        tol = self.tolerance
        return {"quantity": self.quantity, "system": self.system, "role": self.role,
                "published": self.published, "unit": self.unit, "tag": self.tag,
                "model": self.mean, "ci_low": self.lo, "ci_high": self.hi, "ratio": self.ratio,
                "tolerance": tol.text(self.unit) if tol else "",
                "within": self.within, "tolerance_reason": tol.reason if tol else "",
                "note": self.note}


def measured(quantity: str, system: str, role: str, unit: str, values, published: float = math.nan,
             tag: str = "", tolerance: Tolerance | None = None, note: str = "") -> Row:
    """A row from per-replication model values (mean and 95% t-interval)."""
    mean, lo, hi = t_interval(np.asarray(values, float), LEVEL)
    return Row(quantity, system, role, unit, published, tag, mean, lo, hi, tolerance, note)


def exact(quantity: str, system: str, role: str, unit: str, model: float,
          published: float = math.nan, tag: str = "", tolerance: Tolerance | None = None,
          note: str = "") -> Row:
    """A row from a value without sampling error (arithmetic, a Markov chain)."""
    return Row(quantity, system, role, unit, published, tag, model, model, model, tolerance, note)


def outside(rows: list[Row]) -> list[Row]:
    """Predictions and checks whose model mean lies outside the tolerance."""
    return [r for r in rows if r.within == "no"]
