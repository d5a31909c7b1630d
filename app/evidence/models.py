import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.models_base import created_at_field, datetime_field, json_field, uid_field


class Evidence(SQLModel, table=True):
    """One item of evidence; the id is chosen by the client so retries are idempotent."""

    __table_args__ = (Index("ix_evidence_review_deleted", "review_id", "deleted_at"),)

    id: str = Field(primary_key=True, max_length=36)
    review_id: int = Field(foreign_key="review.id", index=True)
    title: str = Field(max_length=300)
    narrative: str = ""
    source_type: str = Field(max_length=64)
    category: str = Field(max_length=64)
    polarity: str = Field(max_length=10)
    collected_on: date
    collected_by_id: int = Field(foreign_key="user.id")
    quote: str = ""
    tags: list[str] = json_field(list)
    version: int = 1
    content_hash: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    deleted_at: datetime | None = datetime_field()
    deleted_by_id: int | None = Field(default=None, foreign_key="user.id")
    # Who made the latest change (the collector is who gathered it): named in stale-write messages.
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class EvidenceLine(SQLModel, table=True):
    __tablename__ = "evidence_line"

    evidence_id: str = Field(foreign_key="evidence.id", primary_key=True, max_length=36)
    ref: str = Field(primary_key=True, max_length=8, index=True)


class EvidenceStage(SQLModel, table=True):
    __tablename__ = "evidence_stage"

    evidence_id: str = Field(foreign_key="evidence.id", primary_key=True, max_length=36)
    stage: str = Field(primary_key=True, max_length=64)


class EvidenceOrganisation(SQLModel, table=True):
    __tablename__ = "evidence_organisation"

    evidence_id: str = Field(foreign_key="evidence.id", primary_key=True, max_length=36)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)


class EvidenceVersion(SQLModel, table=True):
    """A previous version of an evidence item, kept when it is replaced."""

    __tablename__ = "evidence_version"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    evidence_id: str = Field(foreign_key="evidence.id", index=True, max_length=36)
    version: int
    snapshot: dict[str, Any] = json_field(dict)
    # The free text of that version (narrative, quote: see `rules.PERSONAL_FIELDS`), apart from
    # the rest so that retention can empty it in one place.
    personal: dict[str, Any] = json_field(dict)
    reason: str = ""
    changed_by_id: int = Field(foreign_key="user.id")
    changed_at: datetime = created_at_field()


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    evidence_id: str = Field(foreign_key="evidence.id", index=True, max_length=36)
    sha256: str = Field(max_length=64)
    size: int
    content_type: str = Field(max_length=100)
    original_name: str = Field(max_length=255)
    uploaded_by_id: int = Field(foreign_key="user.id")
    uploaded_at: datetime = created_at_field()
    deleted_at: datetime | None = datetime_field()
    deleted_by_id: int | None = Field(default=None, foreign_key="user.id")
