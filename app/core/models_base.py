"""Shared column helpers for the SQLModel tables."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
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


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in UTC, stored with its zone where the database keeps one and loaded aware on every
    database: SQLite keeps no zone and would hand back naive values, which the API would then
    send without their `Z`. Migrations render it as `sa.DateTime(timezone=True)`."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # A naive value is taken to be UTC already (what `utcnow` gives, less its zone).
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # PostgreSQL answers in the session's zone; the API speaks UTC.
        value = aware(value)
        return value.astimezone(UTC) if value is not None else None


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


def datetime_field(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_column=Column(UtcDateTime(), nullable=nullable, **kw))


def json_field(default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def uid_field() -> Any:
    """A stable identity beside the integer id, the same on every machine a record travels to
    (bundles, sync between instances, the device outbox)."""
    return Field(default_factory=uuid.uuid4, sa_column=Column(Uuid, nullable=False, unique=True))
