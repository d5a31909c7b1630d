"""Test data for the findings tests: a review with a team, partners and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from factories import add_member, add_organisation, make_review, make_user
from sqlmodel import select

from app.accounts.models import User
from app.core.db import session_scope
from app.core.timeutil import utcnow
from app.reviews.models import Organisation, Review
from tests.factories import add_evidence_row

# Evidence as the findings tests want it by default: an interview, staff and leaders' words.
add_evidence = partial(
    add_evidence_row, narrative="Notes.", source_type="interview", category="staff-leaders"
)


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
