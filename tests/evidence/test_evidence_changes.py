"""Evidence changes go through the one recorder: the review's state decides, the audit row and
the history keep the free text apart for retention, and the review's revision moves."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import func, update
from sqlmodel import col, select

from app.accounts.models import User
from app.core.audit import AuditEvent
from app.core.db import session_scope
from app.core.errors import ReadOnly
from app.evidence import attachments, service
from app.evidence.models import Evidence, EvidenceVersion
from app.evidence.schemas import EvidenceUpdate
from app.reviews.access import scope_for
from app.reviews.models import Review
from tests.factories import add_member, evidence_fields, make_evidence, make_review


@pytest.fixture
def fieldwork(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    return review, add_member(review, "reviewer"), add_member(review, "lead")


def put(review: Review, user: User, evidence_id: str, **fields: object) -> None:
    with session_scope() as s:
        service.put_evidence(
            s,
            ctx=scope_for(s, s.get(Review, review.id), s.get(User, user.id)),
            evidence_id=evidence_id,
            data=EvidenceUpdate(**evidence_fields(review, **fields)),
        )


def events(evidence_id: str) -> list[AuditEvent]:
    with session_scope(read_only=True) as s:
        return list(
            s.exec(
                select(AuditEvent)
                .where(AuditEvent.entity == "evidence", AuditEvent.entity_id == evidence_id)
                .order_by(col(AuditEvent.id))
            )
        )


def revision(review: Review) -> int:
    with session_scope(read_only=True) as s:
        return s.get(Review, review.id).revision


def test_narrative_and_quote_are_audited_apart_from_the_rest(fieldwork) -> None:
    review, reviewer, _ = fieldwork
    item = make_evidence(review, reviewer, title="Ward round", narrative="Mr A waited", quote="Too long")
    put(
        review, reviewer, item.id, title="Ward round, day 2", narrative="Mr A waited 3 days", quote="Too long"
    )

    create, change = events(item.id)
    assert create.personal["narrative"] == [None, "Mr A waited"] and create.personal["quote"] == [
        None,
        "Too long",
    ]
    assert "narrative" not in create.changes and "quote" not in create.changes
    assert change.changes == {"title": ["Ward round", "Ward round, day 2"], "version": [1, 2]}
    assert change.personal == {"narrative": ["Mr A waited", "Mr A waited 3 days"]}


def test_history_keeps_the_free_text_apart_and_reads_it_back(fieldwork) -> None:
    review, reviewer, _ = fieldwork
    item = make_evidence(review, reviewer, title="First", narrative="Mrs B said so", quote="I was not told")
    put(review, reviewer, item.id, title="Second", narrative="Mrs B said so", quote="I was not told")

    with session_scope(read_only=True) as s:
        [kept] = s.exec(select(EvidenceVersion).where(EvidenceVersion.evidence_id == item.id)).all()
        history = service.evidence_history(s, review=s.get(Review, review.id), evidence_id=item.id)
    assert kept.personal == {"narrative": "Mrs B said so", "quote": "I was not told"}
    assert (
        "narrative" not in kept.snapshot
        and "quote" not in kept.snapshot
        and kept.snapshot["title"] == "First"
    )
    [previous] = history.versions
    assert previous.content["title"] == "First"
    assert (previous.content["narrative"], previous.content["quote"]) == ("Mrs B said so", "I was not told")

    # Retention empties the one column; the history still reads, without the free text.
    with session_scope() as s:
        s.exec(update(EvidenceVersion).values(personal={}))  # type: ignore[call-overload]
    with session_scope(read_only=True) as s:
        [emptied] = service.evidence_history(s, review=s.get(Review, review.id), evidence_id=item.id).versions
    assert emptied.content["title"] == "First" and "narrative" not in emptied.content


def test_each_write_moves_the_revision_and_a_repeat_does_not(fieldwork) -> None:
    review, reviewer, lead = fieldwork
    evidence_id = str(uuid.uuid4())
    start = revision(review)
    put(review, reviewer, evidence_id, title="Bed meeting")
    put(review, reviewer, evidence_id, title="Bed meeting")  # a retry: nothing changes
    assert revision(review) == start + 1

    with session_scope() as s:
        ctx = scope_for(s, s.get(Review, review.id), s.get(User, reviewer.id))
        service.delete_evidence(s, ctx=ctx, evidence_id=evidence_id, reason="entered twice")
    with session_scope() as s:
        ctx = scope_for(s, s.get(Review, review.id), s.get(User, lead.id))
        service.restore_evidence(s, ctx=ctx, evidence_id=evidence_id)
    assert revision(review) == start + 3
    assert [(e.action, e.user_id) for e in events(evidence_id)] == [
        ("create", reviewer.id),
        ("delete", reviewer.id),
        ("restore", lead.id),
    ]


def test_a_published_review_takes_no_evidence_write(fieldwork) -> None:
    review, reviewer, _ = fieldwork
    item = make_evidence(review, reviewer, title="Kept")
    with session_scope() as s:
        s.get(Review, review.id).status = "published"
    start = revision(review)
    writes = [
        lambda s, ctx: service.put_evidence(
            s, ctx=ctx, evidence_id=str(uuid.uuid4()), data=EvidenceUpdate(**evidence_fields(review))
        ),
        lambda s, ctx: service.delete_evidence(s, ctx=ctx, evidence_id=item.id),
        lambda s, ctx: attachments.add_attachment(
            s, ctx=ctx, evidence_id=item.id, filename="notes.txt", source=io.BytesIO(b"Notes\n")
        ),
    ]

    for write in writes:
        # Each in its own unit of work, as a request would make it.
        with pytest.raises(ReadOnly), session_scope() as s:
            write(s, scope_for(s, s.get(Review, review.id), s.get(User, reviewer.id)))

    with session_scope(read_only=True) as s:
        assert s.exec(select(func.count()).select_from(Evidence)).one() == 1
        assert s.get(Evidence, item.id).deleted_at is None
    assert revision(review) == start and len(events(item.id)) == 1
