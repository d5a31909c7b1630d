"""The audit trail: every write to review data records who, when, what and the change."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, SQLModel

from app.accounts.models import AuditEvent


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
) -> AuditEvent:
    """Add one audit row in the caller's unit of work (so it commits with the change or not at all)."""
    event = AuditEvent(
        user_id=user_id,
        review_id=review_id,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        changes=diff(before or {}, after or {}),
        reason=reason or "",
    )
    session.add(event)
    return event
