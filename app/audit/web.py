"""The audit trail page of one review: who changed what, newest first."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.audit import service
from app.core.deps import SessionDep
from app.reviews.deps import ReadAudit
from app.web.kit import review_page

router = APIRouter(include_in_schema=False)


@router.get("/reviews/{review_id}/audit", response_class=HTMLResponse)
def review_audit_page(
    request: Request,
    session: SessionDep,
    scope: ReadAudit,
    entity: Annotated[str, Query(max_length=40)] = "",
    user_id: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Who changed what in this review, newest first, filtered by kind of record and by person."""
    review_id = scope.review.id or 0
    person = int(user_id) if user_id.isdigit() else None
    limit = service.DEFAULT_PAGE
    trail = service.review_audit(
        session,
        review_id=review_id,
        entity=entity or None,
        user_id=person,
        limit=limit,
        offset=(page - 1) * limit,
    )
    filters = {key: value for key, value in (("entity", entity), ("user_id", user_id)) if value}

    def page_link(number: int) -> str:
        return "?" + urlencode({**filters, "page": number})

    return review_page(
        request,
        scope,
        "audit/review.html",
        active="audit",
        title="Audit trail",
        trail=trail,
        page=page,
        filters=service.audit_filters(session, review_id=review_id),
        entity=entity,
        user_id=user_id,
        describe=service.describe_value,
        previous_link=page_link(page - 1) if trail.has_previous else None,
        next_link=page_link(page + 1) if trail.has_next else None,
        first_shown=trail.offset + 1,
        last_shown=trail.offset + len(trail.items),
    )
