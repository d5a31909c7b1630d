"""Test data for the ratings tests: reviews with self-assessors, a team and evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from factories import add_member, add_organisation, make_review, make_user
from sqlmodel import select

from app.accounts import service as accounts
from app.accounts.deps import SESSION_COOKIE
from app.accounts.models import User
from app.core.audit import AuditEvent
from app.core.db import session_scope
from app.reviews.models import Organisation, Review
from tests.factories import add_evidence_row

add_evidence = add_evidence_row


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
