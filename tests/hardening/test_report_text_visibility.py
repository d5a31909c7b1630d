"""Draft report text follows the permission table in every API answer that carries it."""

from __future__ import annotations

import pytest

from app.core.db import session_scope
from app.reviews import service
from app.reviews.access import scope_for
from app.reviews.models import Review
from tests.factories import add_member, auth, make_review, make_user

pytestmark = pytest.mark.anyio

DRAFT = "Draft summary that partners must not read before the factual-accuracy check"


def _review_with_text(status: str):  # type: ignore[no-untyped-def]
    admin = make_user(admin=True)
    review = make_review(admin=admin, status="reporting")
    writer = add_member(review, "report_writer")
    assessor = add_member(review, "self_assessor")
    with session_scope() as s:
        row = s.get_one(Review, review.id)
        service.set_report_text(s, ctx=scope_for(s, row, writer), changes={"summary": DRAFT})
        row.status = status
        s.add(row)
    return review, writer, assessor


async def test_a_self_assessor_gets_no_draft_report_text(client, db) -> None:
    review, writer, assessor = _review_with_text("reporting")
    one = await client.get(f"/api/v1/reviews/{review.id}", headers=auth(assessor))
    listed = await client.get("/api/v1/reviews", headers=auth(assessor))
    assert one.status_code == 200 and listed.status_code == 200
    for body in (one.json(), listed.json()[0]):
        assert (body["summary"], body["people_experience"], body["scope_note"]) == (None, None, None)
    assert DRAFT not in one.text + listed.text
    team = await client.get(f"/api/v1/reviews/{review.id}", headers=auth(writer))
    assert team.json()["summary"] == DRAFT


async def test_after_publication_the_self_assessor_reads_it(client, db) -> None:
    review, _, assessor = _review_with_text("published")
    response = await client.get(f"/api/v1/reviews/{review.id}", headers=auth(assessor))
    assert response.json()["summary"] == DRAFT
