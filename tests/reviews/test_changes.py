"""The one way to change a review: the state table, the recorder, batches and the commit guard."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.core.audit import AuditEvent
from app.core.db import session_scope
from app.core.errors import ReadOnly
from app.reviews import changes
from app.reviews.access import anonymous_context, scope_for
from app.reviews.changes import ACCEPTS, Write, accepts
from app.reviews.models import REVIEW_STATUSES, Organisation, Review
from tests.factories import make_review, make_user


def test_every_status_has_a_row_in_the_table() -> None:
    assert set(ACCEPTS) == set(REVIEW_STATUSES)


@pytest.mark.parametrize("status", REVIEW_STATUSES[:-1])
def test_before_publication_content_is_open_and_the_action_plan_closed(status: str) -> None:
    for write in (Write.setup, Write.status, Write.evidence, Write.rating, Write.moderation, Write.findings):
        assert accepts(status, write)
    assert not accepts(status, Write.action_plan)
    assert not accepts(status, Write.correction)


def test_publication_closes_content_and_opens_the_action_plan_corrections_and_retention() -> None:
    published = REVIEW_STATUSES[-1]
    assert {w for w in Write if accepts(published, w)} == {
        Write.action_plan,
        Write.correction,
        Write.retention,
    }


def _review_with_lead(status: str = "fieldwork") -> tuple[Review, object]:
    admin = make_user(admin=True)
    return make_review(admin=admin, status=status), admin


def test_record_checks_audits_and_bumps_the_revision(db) -> None:
    review, admin = _review_with_lead()
    changes.register_personal_fields("test_note", "story")
    with session_scope() as s:
        row = s.get_one(Review, review.id)
        before = row.revision
        ctx = scope_for(s, row, s.get_one(type(admin), admin.id))
        changes.record(
            s,
            ctx,
            write=Write.evidence,
            entity="test_note",
            entity_id="n1",
            action="update",
            before={"title": "a", "story": "Mrs B fell at home"},
            after={"title": "b", "story": "Mrs B fell in the garden"},
        )
        assert row.revision == before + 1
    with session_scope() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "test_note")).one()
    assert event.user_id == admin.id and event.review_id == review.id
    assert event.changes == {"title": ["a", "b"]}
    assert event.personal == {"story": ["Mrs B fell at home", "Mrs B fell in the garden"]}


def _record_new_partner(session, review: Review) -> None:  # type: ignore[no-untyped-def]
    changes.record(
        session,
        anonymous_context(review, "test"),
        write=Write.setup,
        entity="organisation",
        entity_id=0,
        action="create",
    )


def test_a_published_review_refuses_content_and_stores_nothing(db) -> None:
    review, admin = _review_with_lead("published")
    with pytest.raises(ReadOnly, match="published"), session_scope() as s:
        row = s.get_one(Review, review.id)
        s.add(Organisation(review_id=review.id, name="Late partner", org_type="other"))
        _record_new_partner(s, row)
    with session_scope() as s:
        assert s.exec(select(Organisation).where(Organisation.name == "Late partner")).first() is None


def test_a_batch_is_one_audit_row_and_one_revision(db) -> None:
    review, _ = _review_with_lead()
    with session_scope() as s:
        row = s.get_one(Review, review.id)
        before = row.revision
        ctx = anonymous_context(row, "survey respondent")
        with changes.batch(s, ctx, write=Write.evidence, entity="organisation", action="import") as batch:
            for n in range(3):
                org = Organisation(review_id=review.id, name=f"Partner {n}", org_type="other")
                s.add(org)
                s.flush()
                batch.add(org.id)
        assert row.revision == before + 1
    with session_scope() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert len(events) == 1
    assert events[0].actor == "survey respondent" and events[0].user_id is None
    assert events[0].changes["count"] == [None, 3]


def test_a_request_that_changes_content_without_the_recorder_is_refused(db) -> None:
    review, _ = _review_with_lead()
    with pytest.raises(changes.UnrecordedChange, match="organisation"), session_scope(request=True) as s:
        s.add(Organisation(review_id=review.id, name="Unrecorded", org_type="other"))
    with session_scope() as s:
        assert s.exec(select(Organisation).where(Organisation.name == "Unrecorded")).first() is None


def test_a_request_through_the_recorder_commits(db) -> None:
    review, _ = _review_with_lead()
    with session_scope(request=True) as s:
        row = s.get_one(Review, review.id)
        s.add(Organisation(review_id=review.id, name="Recorded", org_type="other"))
        _record_new_partner(s, row)
    with session_scope() as s:
        assert s.exec(select(Organisation).where(Organisation.name == "Recorded")).first() is not None


def test_a_revision_bump_alone_is_not_a_change_of_content(db) -> None:
    review, _ = _review_with_lead()
    with session_scope(request=True) as s:
        changes.touch(s, s.get_one(Review, review.id))
