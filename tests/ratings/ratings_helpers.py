"""Test data for the ratings tests: reviews with self-assessors, a team and evidence."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from factories import add_member, add_organisation, make_review, make_user
from sqlmodel import select

from app.accounts import service as accounts
from app.accounts.deps import SESSION_COOKIE
from app.accounts.models import User
from app.core.audit import AuditEvent
from app.core.db import session_scope
from app.core.timeutil import utcnow
from app.evidence.models import Evidence, EvidenceLine
from app.reviews.models import Organisation, Review


def add_evidence(
    review: Review,
    collector: User,
    *,
    refs: tuple[str, ...],
    title: str = "Interview with the director of adult social care",
    polarity: str = "strength",
    category: str = "voices",
    source_type: str = "peer-conversation",
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
                narrative="Notes taken during the visit.",
                source_type=source_type,
                category=category,
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
    return evidence_id


@dataclass
class Cast:
    """A review and the people in it, one of each role, plus self-assessors from two sides."""

    review: Review
    lead: User
    reviewer: User
    observer: User
    writer: User
    council_leader: User
    nhs_leader: User
    council: Organisation
    trust: Organisation
    outsider: User
    evidence: dict[str, str] = field(default_factory=dict)


def cast(framework_key: str = "peer-challenge", *, status: str = "fieldwork") -> Cast:
    """A review pinned to `framework_key` with a lead, reviewer, observer, report writer, two
    self-assessors (council and NHS trust) and a user who is not a member."""
    review = make_review(framework_key=framework_key, status=status)
    council = add_organisation(review, "Northshire County Council", "local_authority")
    trust = add_organisation(review, "Northshire Hospitals NHS Trust", "nhs_trust")
    return Cast(
        review=review,
        lead=add_member(review, "lead", user=make_user(name="Lena Lead")),
        reviewer=add_member(review, "reviewer", user=make_user(name="Ravi Reviewer")),
        observer=add_member(review, "observer", user=make_user(name="Olu Observer")),
        writer=add_member(review, "report_writer", user=make_user(name="Wren Writer")),
        council_leader=add_member(
            review, "self_assessor", user=make_user(name="Carla Council"), organisation=council
        ),
        nhs_leader=add_member(
            review, "self_assessor", user=make_user(name="Nadia Trust"), organisation=trust
        ),
        council=council,
        trust=trust,
        outsider=make_user(name="Otto Outsider"),
    )


def web_session(user: User) -> tuple[dict[str, str], str]:
    """A signed-in browser session for `user`: the cookie to send and its CSRF secret."""
    with session_scope() as s:
        issued = accounts.issue_token(s, user=user, kind="session", lifetime=timedelta(hours=1))
        return {SESSION_COOKIE: issued.token}, issued.record.csrf_secret


def audit_rows(review: Review, entity: str) -> list[AuditEvent]:
    with session_scope() as s:
        return list(
            s.exec(
                select(AuditEvent)
                .where(AuditEvent.review_id == review.id, AuditEvent.entity == entity)
                .order_by(AuditEvent.id)
            ).all()
        )


def set_closed(review: Review, closed: bool = True) -> None:
    with session_scope() as s:
        row = s.get(Review, review.id)
        assert row is not None
        row.self_assessment_closed = closed
        s.add(row)


def rate_as(user: User, review: Review, ref: str, value: int, **fields: object) -> None:
    """Store a rating through the service, as `user` would through the API."""
    from app.accounts.permissions import Action
    from app.ratings import service
    from app.reviews.access import authorize

    with session_scope() as s:
        member = s.get(User, user.id)
        assert member is not None
        try:
            scope = authorize(s, member, review.id, Action.rate_self)
        except Exception:
            scope = authorize(s, member, review.id, Action.rate_team)
        service.save_rating(s, ctx=scope, ref=ref, value=value, **fields)  # type: ignore[arg-type]


def moderate_as(user: User, review: Review, ref: str, value: int, rationale: str, cited: list[str]) -> None:
    """Store a moderated rating through the service, as the lead would."""
    from app.accounts.permissions import Action
    from app.ratings import moderation
    from app.reviews.access import authorize

    with session_scope() as s:
        member = s.get(User, user.id)
        assert member is not None
        scope = authorize(s, member, review.id, Action.moderate)
        current = moderation.current_moderated(s, review=scope.review, ref=ref)
        moderation.moderate(
            s,
            ctx=scope,
            ref=ref,
            value=value,
            rationale=rationale,
            cited_evidence=cited,
            expected_version=current.version if current else None,
        )
