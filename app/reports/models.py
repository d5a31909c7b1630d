from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.core.models_base import created_at_field, datetime_field, json_field


class ReportRender(SQLModel, table=True):
    """A rendered report file, keyed by the hash of what went into it."""

    __tablename__ = "report_render"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    cache_key: str = Field(max_length=64, index=True)
    # Review revision + templates + options: found before gathering anything (see quick_key).
    revision_key: str = Field(default="", max_length=64, index=True)
    fmt: str = Field(max_length=10)
    variant: str = Field(default="", max_length=16)  # the PDF variant; empty for HTML
    template_set: str = Field(default="default", max_length=64)
    sha256: str = Field(max_length=64)
    size: int
    pages: int = 0
    published: bool = False
    created_at: datetime = created_at_field()


class ReportJob(SQLModel, table=True):
    """A request to render a report; the table is the queue the render thread works through."""

    __tablename__ = "report_job"

    id: str = Field(primary_key=True, max_length=36)
    review_id: int = Field(foreign_key="review.id", index=True)
    requested_by_id: int = Field(foreign_key="user.id")
    options: dict[str, Any] = json_field(dict)
    status: str = Field(default="queued", max_length=10)  # queued | running | done | failed
    render_id: int | None = Field(default=None, foreign_key="report_render.id")
    error: str = ""
    created_at: datetime = created_at_field()
    started_at: datetime | None = datetime_field()
    # Which process runs the job ("host:pid"), so a restart can tell its own dead jobs apart.
    claimed_by: str = Field(default="", max_length=120)
    finished_at: datetime | None = datetime_field()
