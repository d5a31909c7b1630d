"""Small helpers that turn exact numbers into the short phrases used in `rule` strings."""

from __future__ import annotations

import math
from fractions import Fraction


def half_up(value: Fraction) -> int:
    """Round to a whole number, halves upwards (62.5 -> 63), unlike round()'s half-to-even."""
    return math.floor(value + Fraction(1, 2))


def num(value: float | Fraction | int) -> str:
    """A number as a reader would write it: 3, 2.5, 0.33 (at most two decimals)."""
    exact = Fraction(value)
    if exact.denominator == 1:
        return str(exact.numerator)
    hundredths = half_up(exact * 100)
    text = f"{abs(hundredths) // 100}.{abs(hundredths) % 100:02d}".rstrip("0").rstrip(".")
    return f"-{text}" if hundredths < 0 else text


def signed(value: float | Fraction | int) -> str:
    """A difference with its sign spelt out: +1, -0.5, 0."""
    text = num(value)
    return f"+{text}" if Fraction(value) > 0 else text


def pct(value: Fraction) -> str:
    """A percentage to one decimal, with more decimals only when one would mislead.

    One decimal can show 62.5 for 62.45, which then rounds to 62 as a whole per
    cent; in that rare case enough decimals are shown for the reader to see why.
    """
    whole = half_up(value)
    for places in range(1, 7):
        scale = 10**places
        shown = Fraction(half_up(value * scale), scale)
        if half_up(shown) == whole:
            return f"{float(shown):.{places}f}%"
    return f"{float(value):.6f}%"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """'1 strength', '2 strengths'."""
    word = singular if count == 1 else (many or singular + "s")
    return f"{count} {word}"
