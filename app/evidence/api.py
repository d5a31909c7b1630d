"""JSON routes for evidence, its history and coverage: parse, call the service, shape the answer."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response, status
from starlette.convertors import Convertor, register_url_convertor

from app.accounts.permissions import Action
from app.core.deps import SessionDep
from app.core.errors import Forbidden, Invalid
from app.evidence import service
from app.evidence.schemas import (
    CoveragePublic,
    EvidenceCreate,
    EvidenceFilters,
    EvidenceHistory,
    EvidencePage,
    EvidencePublic,
    EvidenceUpdate,
)
from app.reviews.access import ReviewScope
from app.reviews.deps import ReadEvidence, RestoreEvidence, WriteEvidence


class EvidenceIdConvertor(Convertor[str]):
    """Matches what could be a UUID (hex digits, hyphens, braces) and nothing else.

    Words such as `import`, `new` or `export.csv` beside an item's id in a path are other
    routes, so they must not be taken for an id; a malformed id still reaches the service,
    which refuses it naming the field.
    """

    regex = r"[0-9A-Fa-f{}\-]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("evidence_id", EvidenceIdConvertor())

router = APIRouter(prefix="/api/v1/reviews/{review_id}", tags=["evidence"])
ITEM = "/evidence/{evidence_id:evidence_id}"

_IF_MATCH = re.compile(r'^\s*(?:W/)?"?v?(\d+)"?\s*$')


def parse_if_match(value: str | None) -> int | None:
    """The version number in an If-Match header (`"v3"`, `v3` or `3`), or None when absent."""
    if value is None or value.strip() in ("", "*"):
        return None
    found = _IF_MATCH.match(value)
    if not found:
        raise Invalid('send the version you last read, as ETag gave it, such as "v3"', field="If-Match")
    return int(found.group(1))


def _can_see_deleted(scope: ReviewScope) -> bool:
    # Only those who can restore an item see it once deleted.
    return scope.can(Action.restore_evidence)


def _item_response(response: Response, item: EvidencePublic, created: bool, location: str) -> EvidencePublic:
    response.headers["ETag"] = item.etag
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = location
    return item


@router.get("/evidence", response_model=EvidencePage, summary="List evidence with filters")
def list_evidence(
    session: SessionDep,
    filters: Annotated[EvidenceFilters, Query()],
    scope: ReadEvidence,
) -> EvidencePage:
    if filters.include_deleted and not _can_see_deleted(scope):
        raise Forbidden("only the review lead can list deleted evidence", field="include_deleted")
    return service.list_evidence(session, review=scope.review, filters=filters)


@router.post(
    "/evidence",
    response_model=EvidencePublic,
    status_code=status.HTTP_200_OK,
    responses={201: {"description": "Created"}, 409: {"description": "The id is taken by different content"}},
    summary="Add evidence (a retry with the same id and content returns the stored item)",
)
def create_evidence(
    session: SessionDep,
    response: Response,
    body: Annotated[EvidenceCreate, Body()],
    scope: WriteEvidence,
) -> EvidencePublic:
    item, created = service.create_evidence(session, ctx=scope, data=body, evidence_id=body.id)
    return _item_response(response, item, created, f"/api/v1/reviews/{scope.review.id}/evidence/{item.id}")


@router.get(ITEM, response_model=EvidencePublic, summary="One item of evidence")
def get_evidence(
    session: SessionDep,
    response: Response,
    evidence_id: str,
    scope: ReadEvidence,
) -> EvidencePublic:
    item = service.get_evidence(
        session, review=scope.review, evidence_id=evidence_id, include_deleted=_can_see_deleted(scope)
    )
    response.headers["ETag"] = item.etag
    return item


@router.put(
    ITEM,
    response_model=EvidencePublic,
    responses={201: {"description": "Created"}, 409: {"description": "Stale If-Match, or id used elsewhere"}},
    summary="Create or replace an item by its client-chosen id (idempotent)",
)
def put_evidence(
    session: SessionDep,
    response: Response,
    evidence_id: str,
    body: Annotated[EvidenceUpdate, Body()],
    scope: WriteEvidence,
    if_match: Annotated[str | None, Header(description='The ETag you last read, such as "v3".')] = None,
) -> EvidencePublic:
    item, created = service.put_evidence(
        session,
        ctx=scope,
        evidence_id=evidence_id,
        data=body,
        reason=body.reason,
        if_match=parse_if_match(if_match),
    )
    return _item_response(response, item, created, f"/api/v1/reviews/{scope.review.id}/evidence/{item.id}")


@router.delete(
    ITEM, status_code=status.HTTP_204_NO_CONTENT, summary="Delete an item (the lead can restore it)"
)
def delete_evidence(
    session: SessionDep,
    evidence_id: str,
    scope: WriteEvidence,
    reason: Annotated[str, Query(max_length=2000, description="Why it was deleted.")] = "",
) -> Response:
    service.delete_evidence(session, ctx=scope, evidence_id=evidence_id, reason=reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(ITEM + "/restore", response_model=EvidencePublic, summary="Restore a deleted item")
def restore_evidence(
    session: SessionDep,
    response: Response,
    evidence_id: str,
    scope: RestoreEvidence,
    reason: Annotated[str, Query(max_length=2000, description="Why it was restored.")] = "",
) -> EvidencePublic:
    item = service.restore_evidence(session, ctx=scope, evidence_id=evidence_id, reason=reason)
    response.headers["ETag"] = item.etag
    return item


@router.get(ITEM + "/history", response_model=EvidenceHistory, summary="Previous versions of an item")
def evidence_history(session: SessionDep, evidence_id: str, scope: ReadEvidence) -> EvidenceHistory:
    return service.evidence_history(
        session, review=scope.review, evidence_id=evidence_id, include_deleted=_can_see_deleted(scope)
    )


@router.get("/coverage", response_model=CoveragePublic, summary="Evidence coverage of every line of enquiry")
def coverage(session: SessionDep, scope: ReadEvidence) -> CoveragePublic:
    return service.review_coverage(session, scope.review)
