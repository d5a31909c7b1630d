"""Reading the audit trail of one review (the trail itself is written by app.core.audit).

Review leads and administrators browse it page by page, filtered by kind of record and by
person; the API gives the same pages as JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.core.audit import AuditEvent
from app.core.errors import Invalid
from app.core.models_base import aware

MAX_PAGE = 200
DEFAULT_PAGE = 50


@dataclass
class AuditEntry:
    """One audit row with the acting person's name, ready to show."""

    id: int
    at: datetime
    user_id: int | None
    user_name: str | None
    actor: str  # who acted when no account did, such as a survey respondent
    entity: str
    entity_id: str
    action: str
    changes: dict[str, list[Any]]
    reason: str


@dataclass
class AuditPage:
    total: int
    limit: int
    offset: int
    items: list[AuditEntry]

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def review_audit(
    session: Session,
    *,
    review_id: int,
    entity: str | None = None,
    user_id: int | None = None,
    limit: int = DEFAULT_PAGE,
    offset: int = 0,
) -> AuditPage:
    """The review's audit rows, newest first, optionally only one kind of record or one person."""
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"must be from 1 to {MAX_PAGE}", field="limit")
    if offset < 0:
        raise Invalid("must be 0 or more", field="offset")
    conditions = [AuditEvent.review_id == review_id]
    if entity:
        conditions.append(AuditEvent.entity == entity)
    if user_id is not None:
        conditions.append(AuditEvent.user_id == user_id)
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    rows = session.exec(
        select(AuditEvent, User.display_name)
        .join(User, col(User.id) == col(AuditEvent.user_id), isouter=True)
        .where(*conditions)
        # Rows written in one unit of work share a timestamp; the id keeps their order stable.
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    )
    items = [
        AuditEntry(
            id=event.id or 0,
            at=aware(event.at) or event.at,
            user_id=event.user_id,
            user_name=name,
            actor=event.actor,
            entity=event.entity,
            entity_id=event.entity_id,
            action=event.action,
            changes=event.changes or {},
            reason=event.reason,
        )
        for event, name in rows
    ]
    return AuditPage(total=total, limit=limit, offset=offset, items=items)


@dataclass
class AuditFilters:
    """What a review's trail can be filtered by: the kinds of record and the people in it."""

    entities: list[str]
    users: list[tuple[int, str]]


def audit_filters(session: Session, *, review_id: int) -> AuditFilters:
    entities = session.exec(
        select(AuditEvent.entity)
        .where(AuditEvent.review_id == review_id)
        .distinct()
        .order_by(AuditEvent.entity)
    )
    users = session.exec(
        select(User.id, User.display_name)
        .where(col(User.id).in_(select(AuditEvent.user_id).where(AuditEvent.review_id == review_id)))
        .order_by(func.lower(User.display_name))
    )
    return AuditFilters(entities=list(entities), users=[(uid or 0, name) for uid, name in users])


def describe_value(value: Any, limit: int = 200) -> str:
    """A stored before or after value as short plain words for the audit page."""
    if value is None or value == "" or value == [] or value == {}:
        return "(empty)"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        text = ", ".join(describe_value(v, limit) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
