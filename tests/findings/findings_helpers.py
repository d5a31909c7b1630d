"""Test data for the findings tests: a review with a team, partners and evidence."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from factories import add_member, add_organisation, make_review, make_user
from sqlmodel import select

from app.accounts.models import User
from app.core.db import session_scope
from app.core.timeutil import utcnow
from app.evidence.models import Evidence, EvidenceLine, EvidenceStage
from app.reviews.models import Organisation, Review


def add_evidence(
    review: Review,
    collector: User,
    *,
    refs: tuple[str, ...] = ("SV1",),
    stages: tuple[str, ...] = (),
    title: str = "Interview with the director of adult social care",
    polarity: str = "strength",
    deleted: bool = False,
) -> str:
    """One evidence item stored through the models (the evidence rules are tested elsewhere)."""
    evidence_id = str(uuid.uuid4())
    with session_scope() as s:
        s.add(
            Evidence(
                id=evidence_id,
                review_id=review.id,
                title=title,
                narrative="Notes.",
                source_type="interview",
                category="staff-leaders",
                polarity=polarity,
                collected_on=date(2026, 3, 2),
                collected_by_id=collector.id,
                content_hash=uuid.uuid4().hex,
                deleted_at=utcnow() if deleted else None,
                deleted_by_id=collector.id if deleted else None,
            )
        )
        s.flush()
        s.add_all(EvidenceLine(evidence_id=evidence_id, ref=ref) for ref in refs)
        s.add_all(EvidenceStage(evidence_id=evidence_id, stage=stage) for stage in stages)
    return evidence_id


def set_status(review: Review, status: str) -> None:
    with session_scope() as s:
        row = s.get(Review, review.id)
        assert row is not None
        row.status = status
        if status == "published":
            row.published_at = utcnow()
        s.add(row)


@dataclass
class Team:
    """A review in reporting with one person per role and two partner organisations."""

    review: Review
    lead: User
    reviewer: User
    writer: User
    observer: User
    council: Organisation
    trust: Organisation
    council_assessor: User
    trust_assessor: User
    outsider: User


def make_team(status: str = "reporting") -> Team:
    review = make_review(status=status)
    council = add_organisation(review, "Northshire County Council", "local_authority")
    trust = add_organisation(review, "Northshire Hospitals NHS Foundation Trust", "nhs_trust")
    return Team(
        review=review,
        lead=add_member(review, "lead"),
        reviewer=add_member(review, "reviewer"),
        writer=add_member(review, "report_writer"),
        observer=add_member(review, "observer"),
        council=council,
        trust=trust,
        council_assessor=add_member(review, "self_assessor", organisation=council),
        trust_assessor=add_member(review, "self_assessor", organisation=trust),
        outsider=make_user(),
    )


def audit_rows(review: Review, entity: str) -> list[tuple[int | None, str, str, dict]]:
    """(user, action, entity id, changes) of the audit rows for one kind of entity, oldest first."""
    from app.core.audit import AuditEvent

    with session_scope() as s:
        rows = s.exec(
            select(AuditEvent)
            .where(AuditEvent.review_id == review.id, AuditEvent.entity == entity)
            .order_by(AuditEvent.id)
        )
        return [(r.user_id, r.action, r.entity_id, r.changes) for r in rows]


def web_session(user: User) -> tuple[dict[str, str], str]:
    """A signed-in browser session: the cookie to send and the CSRF secret its forms carry."""
    from datetime import timedelta

    from app.accounts import service as accounts
    from app.accounts.deps import SESSION_COOKIE

    with session_scope() as s:
        issued = accounts.issue_token(s, user=user, kind="session", lifetime=timedelta(hours=1))
        return {SESSION_COOKIE: issued.token}, issued.record.csrf_secret
