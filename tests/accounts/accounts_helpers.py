"""Helpers shared by the accounts tests."""

from __future__ import annotations

from sqlmodel import col, select

from app.accounts.models import AuditEvent
from app.core.db import session_scope


def audit_rows(entity: str | None = None, **where: object) -> list[AuditEvent]:
    """Audit rows in the order written, optionally for one entity and matching column values."""
    with session_scope(read_only=True) as s:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        if entity is not None:
            query = query.where(AuditEvent.entity == entity)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(s.exec(query))
