"""Agreement between raters and gaps between kinds of partner organisation."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.frameworks.schema import Agreement
from app.scoring import DEFAULT_ORG_PAIRS, RatingInput, agreement, org_gap

DEFAULT = Agreement()


def test_no_ratings() -> None:
    result = agreement([], DEFAULT, noun="self-assessment rating")
    assert result.n == 0
    assert result.flag == "none"
    assert result.median is None and result.iqr is None and result.range is None
    assert result.rule == "no self-assessment ratings yet"


def test_one_rating_is_single_with_zero_spread() -> None:
    result = agreement([3], DEFAULT)
    assert (result.n, result.flag, result.median, result.iqr, result.range) == (
        1,
        "single",
        3,
        0,
        0,
    )
    assert result.far_count == 0
    assert "agreement needs at least two" in result.rule


def test_exactly_one_third_far_is_agreed() -> None:
    # Median of 1,1,3,3,3,3 is 3; the two 1s lie 2 levels out (more than 1).
    # 2 of 6 = exactly 1/3, and split needs MORE than 1/3, so agreed.
    result = agreement([3, 1, 3, 1, 3, 3], DEFAULT)
    assert result.median == 3
    assert result.far_count == 2
    assert result.flag == "agreed"
    assert "agreed: 2 of 6 ratings (no more than 1/3) lie more than 1 level from the median 3" in (
        result.rule
    )


def test_more_than_one_third_far_is_split() -> None:
    # Median of 1,1,3,3,4 is 3; the 1s are 2 away: 2 of 5 = 0.4 > 1/3.
    result = agreement([1, 1, 3, 3, 4], DEFAULT, noun="self-assessment rating")
    assert result.flag == "split"
    assert result.split
    assert result.rule.endswith(
        "split: 2 of 5 self-assessment ratings (more than 1/3) lie more than 1 level from the median 3"
    )
    assert result.rule.startswith("median of 5 self-assessment ratings = 3")


def test_exactly_max_distance_is_not_far() -> None:
    # 2 and 4 are exactly 1 level from the median 3: "more than 1" is needed to be far.
    result = agreement([2, 3, 4], DEFAULT)
    assert result.far_count == 0
    assert result.flag == "agreed"


def test_half_median_and_inclusive_quartiles() -> None:
    # 1,2,3,4: median 2.5. Inclusive quartiles: position (n-1)p from the first value,
    # q1 = 1 + 0.75 * (2 - 1) = 1.75, q3 = 3 + 0.25 * (4 - 3) = 3.25, IQR 1.5.
    # 1 and 4 lie 1.5 from 2.5 (far), 2 of 4 = 1/2 > 1/3: split.
    result = agreement([4, 1, 3, 2], DEFAULT)
    assert result.values == [1, 2, 3, 4]
    assert result.median == 2.5
    assert (result.q1, result.q3, result.iqr) == (1.75, 3.25, 1.5)
    assert (result.minimum, result.maximum, result.range) == (1, 4, 3)
    assert result.far_count == 2
    assert result.flag == "split"


def test_share_compared_exactly() -> None:
    # 3 of 9 is exactly 1/3 as a fraction; a float comparison could tip either way.
    result = agreement([1, 1, 1, 4, 4, 4, 4, 4, 4], DEFAULT)
    assert result.median == 4 and result.far_count == 3
    assert result.flag == "agreed"


def test_custom_rule_zero_distance_and_zero_share() -> None:
    strict = Agreement(max_distance=0, split_share=Fraction(0))
    assert agreement([3, 3, 3], strict).flag == "agreed"
    result = agreement([3, 3, 2], strict)
    assert result.flag == "split"
    assert "1 of 3 ratings (more than 0) lies away from the median 3" in result.rule


def test_split_share_from_text() -> None:
    rule = Agreement.model_validate({"max_distance": 0.5, "split_share": "0.25"})
    # Median 3; 2 and 4 lie 1 away, more than 0.5: 2 of 5 = 0.4, more than 1/4.
    result = agreement([2, 3, 3, 3, 4], rule)
    assert result.far_count == 2
    assert result.flag == "split"
    assert "more than 0.5 levels from" in result.rule


def rating(value: int, org_type: str | None, rater: int, group: str = "self_assessment") -> RatingInput:
    return RatingInput(
        ref="A1",
        value=value,
        rater_id=rater,
        group=group,  # type: ignore[arg-type]
        org_type=org_type,
    )


def test_org_gap_nhs_against_councils() -> None:
    types_a, types_b, name = DEFAULT_ORG_PAIRS[0]
    ratings = [
        rating(4, "nhs_trust", 1),
        rating(3, "icb", 2),
        rating(4, "primary_care", 3),
        rating(2, "local_authority", 4),
        rating(1, "local_authority", 5),
        rating(1, "voluntary_sector", 6),  # neither side
        rating(1, None, 7),  # no organisation recorded
        rating(1, "nhs_trust", 8, group="review_team"),  # review team does not count
    ]
    gap = org_gap(ratings, types_a, types_b, name=name)
    # NHS median of 4, 3, 4 = 4; council median of 2, 1 = 1.5; gap 4 - 1.5 = 2.5.
    assert (gap.n_a, gap.n_b) == (3, 2)
    assert (gap.median_a, gap.median_b, gap.gap) == (4, 1.5, 2.5)
    assert gap.far_apart
    assert gap.rule == (
        "NHS bodies against councils: median 4 (3 ratings) minus median 1.5 (2 ratings) = +2.5, "
        "more than 1 apart"
    )


def test_org_gap_missing_side_and_any_pair() -> None:
    ratings = [rating(3, "nhs_trust", 1), rating(3, "icb", 2)]
    gap = org_gap(ratings, {"nhs_trust"}, {"local_authority"})
    assert gap.gap is None and gap.median_b is None and gap.median_a == 3
    assert "the second group gave no self-assessment rating" in gap.rule
    assert gap.name == "nhs_trust against local_authority"
    pair = org_gap(ratings, {"nhs_trust"}, {"icb"}, name="trusts against the board")
    assert pair.gap == 0 and not pair.far_apart


@pytest.mark.parametrize("values", [[1, 2], [4, 4, 4, 1], [0, 5, 5, 5, 2, 3]])
def test_median_and_spread_are_consistent(values: list[int]) -> None:
    result = agreement(values, DEFAULT)
    assert result.minimum is not None and result.maximum is not None
    assert result.median is not None and result.iqr is not None
    assert result.minimum <= result.median <= result.maximum
    assert 0 <= result.iqr <= (result.range or 0)
