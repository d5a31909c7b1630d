"""Writes to a review go through the write context; what refers to a review is told by its holders."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.accounts import service as accounts
from app.accounts.permissions import Action
from app.core.db import session_scope
from app.core.errors import Conflict, ReadOnly
from app.reviews import overview, references
from app.reviews import service as reviews
from app.reviews.access import scope_for
from app.reviews.models import Organisation, Review
from tests.factories import add_member, add_organisation, auth, make_review, make_user
from tests.reviews.reviews_helpers import add_evidence, audit_rows

pytestmark = pytest.mark.anyio


def test_opening_a_review_is_recorded_for_the_administrator_who_opened_it(db) -> None:
    admin = make_user(admin=True)
    review = make_review(admin=admin)
    (created,) = audit_rows(review.id, "review", "create")
    assert created.user_id == admin.id
    assert review.revision == 0  # a revision counts the changes made since the opening


def test_a_published_review_refuses_setup_writes_from_the_service_itself(db) -> None:
    review = make_review(status="published")
    lead = add_member(review, "lead")
    with session_scope() as s:
        ctx = scope_for(s, s.get(Review, review.id), lead)
        with pytest.raises(ReadOnly):
            reviews.add_organisation(s, ctx=ctx, name="Vale Council", org_type="local_authority")
        with pytest.raises(ReadOnly):
            reviews.update_review(s, ctx=ctx, changes={"title": "Renamed"})
    with session_scope() as s:
        assert s.exec(select(Organisation).where(Organisation.review_id == review.id)).all() == []


def test_each_change_is_audited_once_and_bumps_the_revision(db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    with session_scope() as s:
        ctx = scope_for(s, s.get(Review, review.id), lead)
        start = ctx.review.revision
        reviews.update_review(s, ctx=ctx, changes={"title": "Review of Vale"})
        reviews.update_review(s, ctx=ctx, changes={"title": "Review of Vale"})  # no change: no record
        assert ctx.review.revision == start + 1
    assert [row.user_id for row in audit_rows(review.id, "review", "update")] == [lead.id]


async def test_the_foreign_keys_refuse_a_partner_no_registered_counter_knew_of(
    client, db, monkeypatch
) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    council = add_organisation(review, "Vale Council", "local_authority")
    add_evidence(review, lead, organisation_ids=(council.id,))
    # As if the evidence package had registered no counter: the database still says no.
    monkeypatch.setattr(references, "_ORGANISATION", {})
    response = await client.delete(
        f"/api/v1/reviews/{review.id}/organisations/{council.id}", headers=auth(lead)
    )
    assert response.status_code == 409
    assert "Vale Council cannot be removed because other records refer to it" in response.json()["detail"]
    assert audit_rows(review.id, "organisation", "delete") == []
    with session_scope() as s:
        assert s.get(Organisation, council.id) is not None


def test_the_framework_lock_names_what_the_registered_counters_found(db, monkeypatch) -> None:
    review = make_review()
    monkeypatch.setattr(references, "_CONTENT", {})
    references.register_content_counter("survey answers", lambda session, r: 3 if r.id == review.id else 0)
    with session_scope() as s:
        reason = reviews.framework_lock_reason(s, s.get(Review, review.id))
    assert reason is not None and reason.endswith("this review has 3 survey answers")


def test_the_home_page_summaries_are_shown_to_members_who_may_see_them(db, monkeypatch) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    observer = add_member(review, "observer")
    monkeypatch.setattr(overview, "_SUMMARIES", {})
    overview.register("team size", lambda session, r: 2, needs=Action.manage_review)
    with session_scope() as s:
        loaded = s.get(Review, review.id)
        assert overview.summaries(s, scope_for(s, loaded, lead)) == {"team size": 2}
        assert overview.summaries(s, scope_for(s, loaded, observer)) == {}


def test_renaming_a_person_gives_each_of_their_reviews_a_new_revision(db) -> None:
    admin = make_user(admin=True)
    theirs, other = make_review(admin=admin), make_review(admin=admin, title="Other")
    person = add_member(theirs, "reviewer")
    with session_scope() as s:
        accounts.update_user(
            s, acting_user=s.get(type(admin), admin.id), user_id=person.id, display_name="New Name"
        )
    with session_scope() as s:
        assert s.get(Review, theirs.id).revision == theirs.revision + 1
        assert s.get(Review, other.id).revision == other.revision


def test_a_review_with_content_cannot_swap_its_framework_however_it_is_asked(db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    add_evidence(review, lead)
    with session_scope() as s:
        ctx = scope_for(s, s.get(Review, review.id), lead)
        with pytest.raises(Conflict) as refused:
            reviews.update_review(s, ctx=ctx, changes={"framework_key": "integration-maturity"})
    assert "1 evidence items" in refused.value.message
