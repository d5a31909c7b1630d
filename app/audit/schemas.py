"""Response shapes for the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditActor(BaseModel):
    id: int
    display_name: str


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    user: AuditActor | None = Field(description="Who made the change; null for the system itself")
    actor: str = Field(
        default="",
        description="Who acted when no account did (a survey respondent, say); a role, never a name",
    )
    entity: str
    entity_id: str
    action: str
    changes: dict[str, list[Any]] = Field(description="{field: [before, after]}")
    reason: str


class AuditPagePublic(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AuditEntryPublic]
