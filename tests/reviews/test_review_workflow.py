"""The status workflow rule, alone: one step forward, one back, publication final."""

from __future__ import annotations

import pytest

from app.core.errors import Invalid
from app.reviews.models import REVIEW_STATUSES
from app.reviews.workflow import allowed_moves, check_move, next_status, previous_status


def test_each_status_moves_one_step_forward_or_back() -> None:
    assert allowed_moves("planning") == ["fieldwork"]
    assert allowed_moves("fieldwork") == ["moderation", "planning"]
    assert allowed_moves("moderation") == ["reporting", "fieldwork"]
    assert allowed_moves("reporting") == ["published", "moderation"]


def test_published_is_final() -> None:
    assert allowed_moves("published") == []
    assert next_status("published") is None
    assert previous_status("published") is None
    with pytest.raises(Invalid) as caught:
        check_move("published", "reporting")
    assert caught.value.field == "status"
    assert "final" in caught.value.message


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (a, b)
        for a in REVIEW_STATUSES[:-1]
        for b in REVIEW_STATUSES
        if abs(REVIEW_STATUSES.index(a) - REVIEW_STATUSES.index(b)) == 1
    ],
)
def test_neighbouring_moves_are_allowed(current: str, target: str) -> None:
    check_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("planning", "moderation"),
        ("planning", "published"),
        ("fieldwork", "reporting"),
        ("reporting", "planning"),
    ],
)
def test_skipping_steps_is_refused_naming_status(current: str, target: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_move(current, target)
    assert caught.value.field == "status"
    assert "one step at a time" in caught.value.message


def test_staying_put_and_unknown_statuses_are_refused() -> None:
    with pytest.raises(Invalid, match="already in fieldwork"):
        check_move("fieldwork", "fieldwork")
    with pytest.raises(Invalid, match="not a review status") as caught:
        check_move("planning", "archived")
    assert caught.value.field == "status"


def test_every_move_the_rule_lists_passes_the_check() -> None:
    for current in REVIEW_STATUSES:
        for target in allowed_moves(current):
            check_move(current, target)
