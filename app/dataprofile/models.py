import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models_base import created_at_field, uid_field


class IndicatorValue(SQLModel, table=True):
    """One data profile figure for a review, with its comparators."""

    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("review_id", "indicator_key"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = uid_field()
    review_id: int = Field(foreign_key="review.id", index=True)
    indicator_key: str = Field(max_length=64)
    value: float
    period: str = Field(max_length=60)
    source: str = Field(default="", max_length=300)
    england: float | None = None
    similar_areas: float | None = None
    note: str = ""
    updated_at: datetime = created_at_field()
