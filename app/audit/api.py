"""JSON API for a review's audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditActor, AuditEntryPublic, AuditPagePublic
from app.core.deps import MAX_ROW_ID, SessionDep
from app.reviews.deps import ReadAudit

router = APIRouter(prefix="/api/v1")


@router.get(
    "/reviews/{review_id}/audit",
    tags=["audit"],
    summary="The review's audit trail, newest first (review lead and administrators)",
)
def review_audit(
    session: SessionDep,
    scope: ReadAudit,
    entity: Annotated[str | None, Query(max_length=40, description="Only this kind of record")] = None,
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ROW_ID, description="Only changes by this user")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = service.DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
) -> AuditPagePublic:
    page = service.review_audit(
        session, review_id=scope.review.id or 0, entity=entity, user_id=user_id, limit=limit, offset=offset
    )
    return AuditPagePublic(
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        items=[
            AuditEntryPublic(
                id=item.id,
                at=item.at,
                user=AuditActor(id=item.user_id, display_name=item.user_name or "")
                if item.user_id is not None
                else None,
                actor=item.actor,
                entity=item.entity,
                entity_id=item.entity_id,
                action=item.action,
                changes=item.changes,
                reason=item.reason,
            )
            for item in page.items
        ],
    )
