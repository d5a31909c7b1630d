import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.core.models_base import created_at_field, datetime_field, json_field, uid_field

FINDING_KINDS = ("strength", "improvement")
PRIORITIES = ("high", "medium", "low")
ACTION_STATUSES = ("not_started", "in_progress", "done", "blocked")


class Finding(SQLModel, table=True):
    """A strength or area for improvement, for a domain and/or a pathway stage."""

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    review_id: int = Field(foreign_key="review.id", index=True)
    domain_key: str = Field(default="", max_length=64)
    stage: str = Field(default="", max_length=64)
    kind: str = Field(max_length=12)
    text: str
    cited_evidence: list[str] = json_field(list)
    # Order within its group (same domain, stage and kind), counted from 1.
    position: int = 0
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime | None = datetime_field()


class Recommendation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    review_id: int = Field(foreign_key="review.id", index=True)
    # 1, 2, 3... in the order the report lists them; kept without gaps.
    number: int
    text: str
    domain_key: str = Field(default="", max_length=64)
    owner_organisation_ids: list[int] = json_field(list)
    priority: str = Field(default="medium", max_length=10)
    target_date: date | None = None
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime | None = datetime_field()


class ActionItem(SQLModel, table=True):
    """An action of the system action plan, made after publication."""

    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    review_id: int = Field(foreign_key="review.id", index=True)
    recommendation_id: int | None = Field(default=None, foreign_key="recommendation.id")
    text: str
    owner_organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    status: str = Field(default="not_started", max_length=12)
    due_date: date | None = None
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = created_at_field()
    updated_at: datetime | None = datetime_field()


class ActionNote(SQLModel, table=True):
    """A progress note on an action, with the status it set."""

    __tablename__ = "action_note"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    action_item_id: int = Field(foreign_key="action_item.id", index=True)
    note: str
    status: str = Field(max_length=12)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: datetime = created_at_field()
