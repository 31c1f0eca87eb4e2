"""How close a prediction must come to its published value: one rule per tag, written once.

A published figure's tag (``data/published/README.md``) says how it was
obtained, and so how precisely the paper states it; the tolerance follows from
that precision alone, never from how close the model comes. ``TOLERANCES``
maps each tag a prediction may carry to its rule and the reason for it; a
prediction with any other tag (U, a recollection not read in a source) cannot
be judged and is refused.

Kinds: ``rel`` (± amount × |published|), ``scale`` (± amount × the full scale
of the figure the value was read off, which the row gives; with ``relative``
> 0, at most ± relative × |published|, so that a small value read near the
axis is not accepted anywhere from 0 to several times itself), ``digit`` (± half
a unit of the published value's last non-zero digit: the precision a round
number in prose states), ``upper`` (a published upper bound: the model agrees
at or below published × (1 + amount)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

KINDS = ("rel", "scale", "digit", "upper")


def last_digit(value: float) -> float:
    """Half a unit of the last non-zero digit of ``value`` as printed: 300 → 50, 0.92 → 0.005."""
    if value == 0 or not math.isfinite(value):
        return 0.5
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return 0.5 * 10.0 ** exponent


@dataclass(frozen=True)
class Tolerance:
    """One tag's rule: ``kind`` (see ``KINDS``), ``amount``, and why it is that wide;
    ``relative`` (``scale`` only, 0 = none): the half-width is at most this share of
    |published| as well."""

    kind: str
    amount: float
    reason: str
    relative: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS or not self.amount >= 0 or not self.reason:
            raise ValueError(f"tolerance {self.kind!r} {self.amount!r}: kind "
                             f"{'|'.join(KINDS)}, amount ≥ 0, and a reason")
        if not self.relative >= 0 or (self.relative and self.kind != "scale"):
            raise ValueError(f"tolerance {self.kind!r}: relative {self.relative!r} must be ≥ 0 "
                             "and only caps a 'scale' rule")

    def half_width(self, published: float, scale: float = math.nan) -> float:
        """± this much around ``published`` (for ``upper``: the margin above the bound)."""
        if self.kind == "scale":
            if not scale > 0:
                raise ValueError(f"a {self.kind!r} tolerance needs the figure's full scale, "
                                 f"got {scale!r}")
            width = self.amount * scale
            return min(width, self.relative * abs(published)) if self.relative else width
        if self.kind == "digit":
            return self.amount * last_digit(published)
        return self.amount * abs(published)

    def contains(self, published: float, model: float, scale: float = math.nan) -> bool:
        if math.isnan(model):
            return False
        if self.kind == "upper":
            return model <= published + self.half_width(published)
        return abs(model - published) <= self.half_width(published, scale)

    def rule(self) -> str:
        """The rule in words, whatever the row: "±10%", "±5% of full scale", …"""
        return {"rel": f"±{self.amount:.0%}",
                "scale": f"±{self.amount:.0%} of full scale" + (
                    f", at most ±{self.relative:.0%} of the value" if self.relative else ""),
                "digit": (f"±{self.amount:g} × half a unit of the last non-zero digit"
                          if self.amount != 1 else "± half a unit of the last non-zero digit"),
                "upper": (f"≤ bound +{self.amount:.0%}" if self.amount else "≤ bound")}[self.kind]

    def text(self, unit: str = "", published: float = math.nan, scale: float = math.nan) -> str:
        if self.kind == "rel":
            if math.isnan(published):
                return f"±{self.amount:.0%}"
            return f"±{self.amount:.0%} (±{self.half_width(published):.3g} {unit})".replace(" )", ")")
        if self.kind == "upper":
            return f"≤ bound +{self.amount:.0%}" if self.amount else "≤ bound"
        if self.kind == "scale":
            width = self.half_width(published, scale)
            why = (f"{self.amount:.0%} of {scale:g}" if width == self.amount * scale
                   else f"{self.relative:.0%} of the value")
            return f"±{width:.3g} {unit} ({why})".replace("  ", " ")
        return f"±{self.half_width(published, scale):.3g} {unit}".rstrip()


TABLE3 = ("Härtig et al. Table 3 prints a standard deviation beside each of its 170 cells: "
          "median 2%, largest 10%; Nooks' Table 4 states a standard deviation under 2% and CPU "
          "utilisation 'accurate to only a few percent'")

SMALL = ("a reading is written with one or two significant figures, '≈1', '≈5', '≈28': it "
         "states the value to half a unit of its last digit, which for the smallest one-digit "
         "reading, ≈1, is ±50% of the value; so near the axis, where 5% of full scale would "
         "accept anything from 0 to several times the value, the reading's own precision "
         "bounds it; the tighter of the two applies, and only values under 10% of full scale "
         "are affected")

TOLERANCES: dict[str, Tolerance] = {
    "P": Tolerance("rel", 0.10, (
        "tag P, a measurement printed in the paper itself (table, text, abstract): ±10%, the "
        f"widest spread the authors report for reruns of their own measurements ({TABLE3}); "
        "a model value inside it is as close as the paper's noisiest repeat")),
    "S": Tolerance("rel", 0.10, (
        "tag S, a figure restated second-hand (reading reports, course notes): judged like P "
        "(±10%); the restatement's rounding to two significant figures (at most ±5%) lies "
        "inside that spread")),
    "F": Tolerance("scale", 0.05, (
        "tag F, read off a plot of the paper's figure: the reading's resolution, about ±5% of "
        "the axis's full scale (reference notes), with the full scale taken from the figure; "
        f"and at most ±50% of the value itself ({SMALL})"), relative=0.5),
    "D": Tolerance("scale", 0.05, (
        "tag D, arithmetic on figures read off a plot (here: the midpoint of a range read off "
        "the figure): judged like F, ±5% of full scale and at most ±50% of the value; a "
        "printed range narrower than that resolution is not added to it (arithmetic on P or S "
        "values would need its own tag)"), relative=0.5),
    "T": Tolerance("digit", 1.0, (
        "tag T, a round number in the paper's prose ('about 10%', 'nearly 60%', '≈300 "
        "cycles', 'a factor of 6'): ± half a unit of its last non-zero digit, the precision "
        "the wording gives")),
    "B": Tolerance("upper", 0.0, (
        "tag B, a bound the paper states ('under 30 cycles'): a model value at or below the "
        "bound agrees; a bound has no spread to add")),
}

NOT_JUDGED = {"U": "a recollection consistent with other figures, not read in a source"}


def for_tag(tag: str) -> Tolerance:
    """The tolerance of a prediction tagged ``tag``; ValueError for a tag that cannot be judged."""
    if tag in TOLERANCES:
        return TOLERANCES[tag]
    why = NOT_JUDGED.get(tag, "no tolerance is written for it")
    raise ValueError(f"tag {tag!r} cannot be judged ({why}); tags with a tolerance: "
                     f"{', '.join(TOLERANCES)}")
