"""Data profile figures change a review only through the recorder, as an evidence write."""

from __future__ import annotations

import pytest

from app.accounts.models import User
from app.core.db import session_scope
from app.core.errors import ReadOnly
from app.dataprofile import service as dataprofile
from app.reviews.access import scope_for
from app.reviews.models import Review
from tests.factories import add_member, make_review
from tests.reviews.reviews_helpers import audit_rows


def _revision(review_id: int) -> int:
    with session_scope() as s:
        row = s.get(Review, review_id)
        assert row is not None
        return row.revision


def _enter(review_id: int, user_id: int, value: float) -> None:
    with session_scope() as s:
        review, user = s.get(Review, review_id), s.get(User, user_id)
        assert review is not None and user is not None
        dataprofile.set_value(
            s,
            ctx=scope_for(s, review, user),
            indicator_key="weekend-discharges",
            value=value,
            period="2024-25",
        )


def test_a_figure_is_recorded_for_the_acting_member_and_bumps_the_revision(db) -> None:
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    before = _revision(review.id)
    _enter(review.id, reviewer.id, 14)
    after = _revision(review.id)
    assert after > before
    _enter(review.id, reviewer.id, 14)  # the same figure again changes nothing
    assert _revision(review.id) == after
    assert [(e.user_id, e.action) for e in audit_rows(review.id, "indicator_value")] == [
        (reviewer.id, "create")
    ]


def test_the_state_table_refuses_figures_once_published(db) -> None:
    review = make_review(status="published")
    lead = add_member(review, "lead")
    with pytest.raises(ReadOnly):
        _enter(review.id, lead.id, 14)
    with session_scope() as s:
        row, user = s.get(Review, review.id), s.get(User, lead.id)
        assert row is not None and user is not None
        with pytest.raises(ReadOnly):
            dataprofile.delete_value(s, ctx=scope_for(s, row, user), indicator_key="weekend-discharges")
