import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models_base import created_at_field, json_field, uid_field

RATER_GROUPS = ("self_assessment", "review_team")


class Rating(SQLModel, table=True):
    """One person's rating of one line of enquiry (self-assessment or review team)."""

    __table_args__ = (UniqueConstraint("review_id", "ref", "rater_id"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    review_id: int = Field(foreign_key="review.id", index=True)
    ref: str = Field(max_length=8)
    rater_id: int = Field(foreign_key="user.id", index=True)
    group: str = Field(max_length=20)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    value: int
    rationale: str = ""
    cited_evidence: list[str] = json_field(list)
    updated_at: datetime = created_at_field()


class ModeratedRating(SQLModel, table=True):
    """The lead's final rating of a line; `version` detects concurrent edits."""

    __tablename__ = "moderated_rating"
    __table_args__ = (UniqueConstraint("review_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    review_id: int = Field(foreign_key="review.id", index=True)
    ref: str = Field(max_length=8)
    value: int
    rationale: str
    cited_evidence: list[str] = json_field(list)
    version: int = 1
    updated_by_id: int = Field(foreign_key="user.id")
    updated_at: datetime = created_at_field()


class ResultOverride(SQLModel, table=True):
    """A lead's override of a computed domain or overall result, with its justification."""

    __tablename__ = "result_override"
    __table_args__ = (UniqueConstraint("review_id", "scope", "domain_key"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    review_id: int = Field(foreign_key="review.id", index=True)
    scope: str = Field(max_length=10)  # domain | overall
    domain_key: str = Field(default="", max_length=64)
    level: int
    justification: str
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = created_at_field()
