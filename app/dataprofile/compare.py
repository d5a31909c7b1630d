"""How an area's figure reads against a comparator, given which way is better.

Pure functions: the indicator's `better` direction comes from the framework's
catalogue, so the same figure can be good news for one indicator and bad for another.
"""

from __future__ import annotations

import math
from typing import Literal

Direction = Literal["lower", "higher"]
Comparison = Literal["better", "worse", "same"]

# Figures are typed in by people and stored as floats: 12.3 entered twice must read as the
# same, whatever the binary rounding did to it on the way.
_REL_TOL = 1e-9
_ABS_TOL = 1e-9


def compare(value: float, comparator: float | None, better: Direction) -> Comparison | None:
    """Whether `value` is better, worse or the same as `comparator`; None when there is no comparator."""
    if comparator is None:
        return None
    if math.isclose(value, comparator, rel_tol=_REL_TOL, abs_tol=_ABS_TOL):
        return "same"
    if better == "lower":
        return "better" if value < comparator else "worse"
    return "better" if value > comparator else "worse"


def at_risk(value: float, threshold: float | None, better: Direction) -> bool:
    """True when `value` has crossed the risk threshold in the bad direction.

    Reaching the threshold exactly is not yet a risk: "occupancy over 85%" flags 85.1, not 85.
    """
    if threshold is None or math.isclose(value, threshold, rel_tol=_REL_TOL, abs_tol=_ABS_TOL):
        return False
    return value > threshold if better == "lower" else value < threshold
