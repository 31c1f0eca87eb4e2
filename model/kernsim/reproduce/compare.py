"""Model against published: one row per compared quantity, with its role.

A row holds the published value (NaN when there is none), the model's mean
and 95% Student-t interval over replications, and its role:

- ``calibration``: a published figure the model takes as an input, shown
  reproduced; never judged, never counted as a prediction;
- ``prediction``: a published figure the calibration did not use, with a
  tolerance; the only rows judged (``within`` "yes" or "no") and counted;
- ``model-only``: a model result with no published counterpart;
- ``identity``: true by construction (forced by an assumption, or defined to
  agree with a calibration input), shown but not judged.

A prediction is *post hoc* (``post_hoc``: the change, non-empty) when a model
change made after its value had been seen moves it: it is judged and counted
like any prediction, and the scorecard counts it apart from the blind ones.

A prediction's tolerance is its tag's (``tolerances.TOLERANCES``): rows never
write their own. A prediction without a published value, or with a tag that
has no tolerance, is refused; so is a model-only row with a published value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kernsim.reproduce.tolerances import Tolerance, for_tag
from kernsim.stats.intervals import t_interval

ROLES = ("calibration", "prediction", "model-only", "identity")
LEVEL = 0.95


@dataclass
class Row:
    """One line of the side-by-side table. ``scale``: the full scale of the figure a tag-F or
    tag-D value was read off (the tolerance is a share of it)."""

    quantity: str
    system: str
    role: str
    unit: str
    published: float
    tag: str
    mean: float
    lo: float = math.nan
    hi: float = math.nan
    note: str = ""
    scale: float = math.nan
    extra: dict = field(default_factory=dict)
    post_hoc: str = ""
    """The model change, made after this prediction had been seen, that moves it ("": blind)."""

    def __post_init__(self) -> None:
        what = f"row {self.quantity!r} ({self.system})"
        if self.role not in ROLES:
            raise ValueError(f"{what}: role {self.role!r}; allowed: {', '.join(ROLES)}")
        has_value = not math.isnan(self.published)
        if self.role in ("prediction", "calibration") and not has_value:
            raise ValueError(f"{what}: a {self.role} needs a published value")
        if self.role == "model-only" and has_value:
            raise ValueError(f"{what}: a published value makes it a prediction, calibration "
                             "or identity, not model-only")
        if self.post_hoc and self.role != "prediction":
            raise ValueError(f"{what}: only a prediction can be post hoc, not a {self.role}")
        if self.role == "prediction":
            try:
                tol = for_tag(self.tag)
                tol.half_width(self.published, self.scale)
            except ValueError as e:
                raise ValueError(f"{what}: {e}") from None

    @property
    def tolerance(self) -> Tolerance | None:
        """The tag's tolerance, for a prediction; None for every other role."""
        return for_tag(self.tag) if self.role == "prediction" else None

    @property
    def tolerance_text(self) -> str:
        tol = self.tolerance
        return tol.text(self.unit, self.published, self.scale) if tol else ""

    @property
    def ratio(self) -> float:
        if math.isnan(self.published) or self.published == 0 or math.isnan(self.mean):
            return math.nan
        return self.mean / self.published

    @property
    def within(self) -> str:
        """"yes"/"no" for a prediction (model mean inside published ± tolerance), else "n/a"."""
        if self.role != "prediction":
            return "n/a"
        inside = self.tolerance.contains(self.published, self.mean, self.scale)
        return "yes" if inside else "no"

    def as_dict(self) -> dict:
        tol = self.tolerance
        return {"quantity": self.quantity, "system": self.system, "role": self.role,
                "published": self.published, "unit": self.unit, "tag": self.tag,
                "model": self.mean, "ci_low": self.lo, "ci_high": self.hi, "ratio": self.ratio,
                "tolerance": self.tolerance_text, "within": self.within,
                "tolerance_reason": tol.reason if tol else "", "post_hoc": self.post_hoc,
                "note": self.note}


def measured(quantity: str, system: str, role: str, unit: str, values, published: float = math.nan,
             tag: str = "", note: str = "", scale: float = math.nan) -> Row:
    """A row from per-replication model values (mean and 95% t-interval)."""
    mean, lo, hi = t_interval(np.asarray(values, float), LEVEL)
    return Row(quantity, system, role, unit, published, tag, mean, lo, hi, note, scale)


def exact(quantity: str, system: str, role: str, unit: str, model: float,
          published: float = math.nan, tag: str = "", note: str = "",
          scale: float = math.nan) -> Row:
    """A row from a value without sampling error (arithmetic, a Markov chain, an input)."""
    return Row(quantity, system, role, unit, published, tag, model, model, model, note, scale)


def post_hoc(rows: list[Row], change: str, moved: Callable[[Row], bool]) -> list[Row]:
    """``rows``, with every prediction that ``moved`` selects marked post hoc by ``change``
    (appended to any change already named)."""
    for r in rows:
        if r.role == "prediction" and moved(r):
            r.post_hoc = f"{r.post_hoc}; {change}" if r.post_hoc else change
    return rows


def outside(rows: list[Row]) -> list[Row]:
    """Predictions whose model mean lies outside their tolerance (only predictions are judged)."""
    return [r for r in rows if r.within == "no"]
