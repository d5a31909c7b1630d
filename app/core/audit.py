"""The audit trail: every write records who, when, what and the change.

The table lives here with the code that writes it, so every package can record a change
without importing another package. Changes to fields that hold personal data are kept in a
column of their own, so that retention can later remove them without touching the rest of the
record of who did what.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Field, Session, SQLModel

from app.core.models_base import created_at_field, json_field


class AuditEvent(SQLModel, table=True):
    """Who did what, when, with before and after values. Append-only."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at_field()
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    # Who acted when no account did (a survey respondent, the command line): a role, never a name.
    actor: str = Field(default="", max_length=60)
    review_id: int | None = Field(default=None, foreign_key="review.id", index=True)
    entity: str = Field(max_length=40, index=True)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=20)
    changes: dict[str, Any] = json_field(dict)
    # {field: [before, after]} for fields that hold personal data; emptied by retention.
    personal: dict[str, Any] = json_field(dict)
    reason: str = Field(default="", max_length=2000)


def _plain(value: Any) -> Any:
    """JSON-safe form of a column value."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


# Secrets never go into the trail.
_HIDDEN = {"password_hash", "token_hash", "csrf_secret"}


def snapshot(row: SQLModel, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The row's column values as plain data."""
    names = fields if fields is not None else type(row).model_fields.keys()
    return {name: _plain(getattr(row, name)) for name in names if name not in _HIDDEN}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [before, after]}."""
    changed: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = _plain(before.get(key)), _plain(after.get(key))
        if old != new and key not in _HIDDEN:
            changed[key] = [old, new]
    return changed


def record(
    session: Session,
    *,
    user_id: int | None,
    entity: str,
    entity_id: object,
    action: str,
    review_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
    actor: str = "",
    personal_fields: Iterable[str] = (),
) -> AuditEvent:
    """Add one audit row in the caller's unit of work (so it commits with the change or not at all).

    Review content is recorded through `app.reviews.changes.record`, which checks the review
    accepts the write and bumps its revision first; this is the layer beneath it, also used for
    accounts and frameworks, which belong to no review.
    """
    changes = diff(before or {}, after or {})
    hidden = set(personal_fields)
    event = AuditEvent(
        user_id=user_id,
        actor=actor,
        review_id=review_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        changes={k: v for k, v in changes.items() if k not in hidden},
        personal={k: v for k, v in changes.items() if k in hidden},
        reason=reason or "",
    )
    session.add(event)
    return event


def record_new(
    session: Session,
    row: SQLModel,
    *,
    user_id: int | None,
    entity: str,
    review_id: int | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Store a new row and record its creation: the row is flushed for its id, and the trail
    keeps `after` (all its columns unless given)."""
    session.add(row)
    session.flush()
    record(
        session,
        user_id=user_id,
        review_id=review_id,
        entity=entity,
        entity_id=getattr(row, "id"),  # noqa: B009 - every table here names its key `id`
        action="create",
        after=snapshot(row) if after is None else after,
    )
