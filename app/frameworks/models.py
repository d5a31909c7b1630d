from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models_base import created_at_field, json_field


class FrameworkVersion(SQLModel, table=True):
    """One loaded version of a framework; never changed once stored."""

    __tablename__ = "framework_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, index=True)
    version: str = Field(max_length=32)
    title: str = Field(max_length=300)
    content: dict[str, Any] = json_field(dict)
    content_hash: str = Field(max_length=64)
    source_file: str = Field(default="", max_length=500)
    loaded_at: datetime = created_at_field()
