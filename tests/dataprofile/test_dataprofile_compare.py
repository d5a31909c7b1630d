"""Reading a figure against a comparator, in the direction the indicator says is better."""

from __future__ import annotations

import pytest

from app.dataprofile.compare import at_risk, compare


@pytest.mark.parametrize(
    ("value", "comparator", "better", "expected"),
    [
        (1200.0, 1500.0, "lower", "better"),  # fewer emergency admissions than England
        (1800.0, 1500.0, "lower", "worse"),
        (82.0, 78.5, "higher", "better"),  # more people still at home after reablement
        (70.0, 78.5, "higher", "worse"),
        (42.0, 42.0, "lower", "same"),
        (42.0, 42.0, "higher", "same"),
        (0.0, 0.0, "higher", "same"),
        (-3.0, -1.0, "lower", "better"),
    ],
)
def test_direction_decides_better_or_worse(
    value: float, comparator: float, better: str, expected: str
) -> None:
    assert compare(value, comparator, better) == expected  # type: ignore[arg-type]


def test_figures_equal_after_float_rounding_read_the_same() -> None:
    assert compare(0.1 + 0.2, 0.3, "higher") == "same"
    assert compare(12.3, 12.300000000001, "lower") == "same"
    assert compare(12.3, 12.31, "lower") == "better"


def test_no_comparator_means_no_reading() -> None:
    assert compare(10.0, None, "lower") is None


@pytest.mark.parametrize(
    ("value", "threshold", "better", "expected"),
    [
        (91.0, 85.0, "lower", True),  # occupancy over 85% is a risk
        (85.0, 85.0, "lower", False),  # reaching it exactly is not yet
        (84.9, 85.0, "lower", False),
        (60.0, 70.0, "higher", True),  # below the floor for a higher-is-better figure
        (70.0, 70.0, "higher", False),
        (75.0, 70.0, "higher", False),
        (1e9, None, "lower", False),  # no threshold, never a risk
    ],
)
def test_risk_only_past_the_threshold_in_the_bad_direction(
    value: float, threshold: float | None, better: str, expected: bool
) -> None:
    assert at_risk(value, threshold, better) is expected  # type: ignore[arg-type]
