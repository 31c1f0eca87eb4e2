"""Value types for the command line's options: each turns a bad value into argparse's
one-line usage error (exit 2) naming the option."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def level(text: str) -> float:
    """An argparse type: a confidence level in (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{value}: must be in (0, 1), e.g. 0.99")
    return value


def count(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer ≥ ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value}: must be an integer ≥ {minimum}")
        return value

    return parse
