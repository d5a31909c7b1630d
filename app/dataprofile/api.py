"""JSON API for a review's data profile."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.core.deps import SessionDep
from app.dataprofile import service
from app.dataprofile.schemas import IndicatorPublic, IndicatorValueIn, StoredValue
from app.reviews.deps import ReadEvidence, WriteEvidence

router = APIRouter(prefix="/api/v1/reviews/{review_id}/indicators", tags=["data profile"])


def indicator_public(row: service.IndicatorRow) -> IndicatorPublic:
    indicator = row.indicator
    return IndicatorPublic(
        key=indicator.key,
        name=indicator.name,
        definition=indicator.definition,
        unit=indicator.unit,
        better=indicator.better,
        source=indicator.source,
        risk_threshold=indicator.risk_threshold,
        value=StoredValue.model_validate(row.value, from_attributes=True) if row.value else None,
        comparisons=row.comparisons,
        risk=row.risk,
    )


@router.get("", summary="Every indicator of the review's framework, with the figures entered")
def list_indicators(session: SessionDep, scope: ReadEvidence) -> list[IndicatorPublic]:
    return [indicator_public(row) for row in service.profile(session, scope.review)]


@router.put("/{indicator_key}", summary="Enter or replace the figure for one indicator")
def put_indicator(
    indicator_key: str,
    body: IndicatorValueIn,
    session: SessionDep,
    scope: WriteEvidence,
) -> IndicatorPublic:
    row = service.set_value(session, ctx=scope, indicator_key=indicator_key, **body.model_dump())
    return indicator_public(row)


@router.delete("/{indicator_key}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove one figure")
def delete_indicator(indicator_key: str, session: SessionDep, scope: WriteEvidence) -> Response:
    service.delete_value(session, ctx=scope, indicator_key=indicator_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
