"""Request and response shapes of the report API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.reports.options import DEFAULT_TEMPLATE_SET


class ReportRequest(BaseModel):
    """What to export."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["pdf", "html"] = Field(
        default="pdf", description="pdf, or html for a standalone web page"
    )
    variant: Literal["pdf/ua-1", "pdf/a-3b"] = Field(
        default="pdf/ua-1",
        description="pdf/ua-1: accessible tagged PDF; pdf/a-3b: archive PDF with scores.json attached",
    )
    template_set: str = Field(
        default=DEFAULT_TEMPLATE_SET, max_length=64, description="the name of a report template set"
    )


class ReportRenderPublic(BaseModel):
    id: int
    format: str
    variant: str
    template_set: str
    sha256: str
    size: int
    pages: int
    published: bool
    created_at: datetime
    download_url: str


class ReportJobLinks(BaseModel):
    self: str
    download: str | None = None


class ReportJobPublic(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    format: str
    variant: str
    template_set: str
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    render: ReportRenderPublic | None
    links: ReportJobLinks


class TemplateSetPublic(BaseModel):
    name: str
    builtin: bool
