"""Shared column helpers for the SQLModel tables."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Uuid
from sqlmodel import Column, Field, SQLModel

from app.core.timeutil import utcnow

# Named constraints let SQLite batch migrations find and alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


def datetime_field(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, **kw))


def json_field(default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    from datetime import UTC

    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def uid_field() -> Any:
    """A stable identity beside the integer id, the same on every machine a record travels to
    (bundles, sync between instances, the device outbox)."""
    return Field(default_factory=uuid.uuid4, sa_column=Column(Uuid, nullable=False, unique=True))
