"""Test data the review tests need from other areas, written straight to the tables.

Evidence and ratings have services of their own; these tests only need rows that refer to a
review, a line of enquiry or an organisation, so they are inserted directly.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from sqlmodel import select

from app.accounts.models import User
from app.core.audit import AuditEvent
from app.core.db import session_scope
from tests.factories import add_evidence_row

# Evidence as the review tests want it by default: an observation, neither strength nor concern.
add_evidence = partial(
    add_evidence_row,
    refs=(),
    title="Observed the daily discharge meeting",
    narrative="",
    source_type="observation",
    category="observation",
    polarity="context",
    collected_on=dt.date(2025, 3, 10),
)


def audit_rows(review_id: int, entity: str, action: str | None = None) -> list[AuditEvent]:
    """The review's audit rows for one kind of record, oldest first."""
    with session_scope() as s:
        query = select(AuditEvent).where(AuditEvent.review_id == review_id, AuditEvent.entity == entity)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(s.exec(query.order_by(AuditEvent.id)))


def browser_session(client, user: User) -> str:  # type: ignore[no-untyped-def]
    """Sign `user` in on `client` with a web session cookie; returns the CSRF value forms carry."""
    from datetime import timedelta

    from app.accounts.deps import SESSION_COOKIE
    from app.accounts.service import issue_token

    with session_scope() as s:
        issued = issue_token(s, user=user, kind="session", lifetime=timedelta(hours=1))
        csrf = issued.record.csrf_secret
    client.cookies.set(SESSION_COOKIE, issued.token)
    client.headers["accept"] = "text/html,application/xhtml+xml"  # as a browser asks for pages
    return csrf
