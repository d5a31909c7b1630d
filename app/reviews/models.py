import uuid
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models_base import created_at_field, datetime_field, json_field, uid_field

REVIEW_KINDS = ("external_review", "peer_review", "self_assessment", "progress_review")
REVIEW_STATUSES = ("planning", "fieldwork", "moderation", "reporting", "published")
ORGANISATION_TYPES = (
    "nhs_trust",
    "icb",
    "local_authority",
    "primary_care",
    "care_provider",
    "voluntary_sector",
    "healthwatch",
    "other",
)


class Review(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    title: str = Field(max_length=300)
    place: str = Field(max_length=200)
    icb: str = Field(default="", max_length=200)
    councils: list[str] = json_field(list)
    kind: str = Field(max_length=20)
    framework_key: str = Field(max_length=64)
    framework_version: str = Field(max_length=32)
    fieldwork_start: date | None = None
    fieldwork_end: date | None = None
    status: str = Field(default="planning", max_length=20, index=True)
    self_assessment_closed: bool = False
    # Report text written by the report writers.
    people_experience: str = Field(default="")
    summary: str = Field(default="")
    scope_note: str = Field(default="")
    created_at: datetime = created_at_field()
    updated_at: datetime | None = datetime_field()
    published_at: datetime | None = datetime_field()
    # Bumped on every change to the review's content; part of the report cache key.
    revision: int = 0


class Organisation(SQLModel, table=True):
    """A partner organisation of one review."""

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    review_id: int = Field(foreign_key="review.id", index=True)
    name: str = Field(max_length=200)
    org_type: str = Field(max_length=20)
    created_at: datetime = created_at_field()


class Membership(SQLModel, table=True):
    """A person's role in one review: the review team and the self-assessors."""

    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    review_id: int = Field(foreign_key="review.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(max_length=20)  # lead | reviewer | self_assessor | report_writer | observer
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: datetime = created_at_field()
