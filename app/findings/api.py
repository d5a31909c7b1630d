"""JSON API for findings, recommendations and the action plan of a review."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from app.core.deps import RowId, SessionDep
from app.findings import action_plan, findings, recommendations
from app.findings.models import ActionItem, Finding, Recommendation
from app.findings.schemas import (
    ActionCreate,
    ActionNoteCreate,
    ActionPublic,
    ActionUpdate,
    FindingCreate,
    FindingPublic,
    FindingUpdate,
    RecommendationCreate,
    RecommendationPublic,
    RecommendationUpdate,
)
from app.reviews.access import ReviewScope
from app.reviews.deps import ReadRatings, ReadReview, WriteActionPlan, WriteFindings

router = APIRouter(prefix="/api/v1/reviews/{review_id}", tags=["findings"])


def _shown_finding(session: Session, scope: ReviewScope, finding: Finding) -> FindingPublic:
    return findings.present_findings(session, review=scope.review, findings=[finding])[0]


def _shown_recommendation(session: Session, scope: ReviewScope, rec: Recommendation) -> RecommendationPublic:
    return recommendations.present_recommendations(session, review=scope.review, recommendations=[rec])[0]


def _shown_action(session: Session, scope: ReviewScope, action: ActionItem) -> ActionPublic:
    return action_plan.present_actions(session, review=scope.review, actions=[action])[0]


# Findings


@router.get("/findings", summary="List findings (filter by domain, stage or kind)")
def list_findings(
    session: SessionDep,
    scope: ReadRatings,
    domain_key: str | None = None,
    stage: str | None = None,
    kind: str | None = None,
) -> list[FindingPublic]:
    found = findings.list_findings(
        session, review=scope.review, domain_key=domain_key, stage=stage, kind=kind
    )
    return findings.present_findings(session, review=scope.review, findings=found)


@router.post(
    "/findings", status_code=status.HTTP_201_CREATED, summary="Add a strength or area for improvement"
)
def create_finding(body: FindingCreate, session: SessionDep, scope: WriteFindings) -> FindingPublic:
    finding = findings.create_finding(session, ctx=scope, **body.model_dump())
    return _shown_finding(session, scope, finding)


@router.get("/findings/{finding_id}", summary="One finding")
def get_finding(finding_id: RowId, session: SessionDep, scope: ReadRatings) -> FindingPublic:
    finding = findings.get_finding(session, review=scope.review, finding_id=finding_id)
    return _shown_finding(session, scope, finding)


@router.patch("/findings/{finding_id}", summary="Change a finding, or move it within its group")
def update_finding(
    finding_id: RowId,
    body: FindingUpdate,
    session: SessionDep,
    scope: WriteFindings,
) -> FindingPublic:
    finding = findings.update_finding(
        session,
        ctx=scope,
        finding_id=finding_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return _shown_finding(session, scope, finding)


@router.delete("/findings/{finding_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a finding")
def delete_finding(finding_id: RowId, session: SessionDep, scope: WriteFindings) -> Response:
    findings.delete_finding(session, ctx=scope, finding_id=finding_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Recommendations


@router.get("/recommendations", summary="List recommendations in number order")
def list_recommendations(session: SessionDep, scope: ReadRatings) -> list[RecommendationPublic]:
    recs = recommendations.list_recommendations(session, review=scope.review)
    return recommendations.present_recommendations(session, review=scope.review, recommendations=recs)


@router.post("/recommendations", status_code=status.HTTP_201_CREATED, summary="Add a recommendation")
def create_recommendation(
    body: RecommendationCreate, session: SessionDep, scope: WriteFindings
) -> RecommendationPublic:
    rec = recommendations.create_recommendation(session, ctx=scope, **body.model_dump())
    return _shown_recommendation(session, scope, rec)


@router.get("/recommendations/{recommendation_id}", summary="One recommendation")
def get_recommendation(
    recommendation_id: RowId, session: SessionDep, scope: ReadRatings
) -> RecommendationPublic:
    rec = recommendations.get_recommendation(
        session, review=scope.review, recommendation_id=recommendation_id
    )
    return _shown_recommendation(session, scope, rec)


@router.patch("/recommendations/{recommendation_id}", summary="Change a recommendation, or renumber it")
def update_recommendation(
    recommendation_id: RowId,
    body: RecommendationUpdate,
    session: SessionDep,
    scope: WriteFindings,
) -> RecommendationPublic:
    rec = recommendations.update_recommendation(
        session,
        ctx=scope,
        recommendation_id=recommendation_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return _shown_recommendation(session, scope, rec)


@router.delete(
    "/recommendations/{recommendation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a recommendation (the rest renumber)",
)
def delete_recommendation(recommendation_id: RowId, session: SessionDep, scope: WriteFindings) -> Response:
    recommendations.delete_recommendation(session, ctx=scope, recommendation_id=recommendation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# The action plan (written after publication; read by every member)


@router.get("/actions", summary="The system action plan")
def list_actions(session: SessionDep, scope: ReadReview) -> list[ActionPublic]:
    actions = action_plan.list_actions(session, review=scope.review)
    return action_plan.present_actions(session, review=scope.review, actions=actions)


@router.post("/actions", status_code=status.HTTP_201_CREATED, summary="Add an action to the plan")
def create_action(body: ActionCreate, session: SessionDep, scope: WriteActionPlan) -> ActionPublic:
    action = action_plan.create_action(session, ctx=scope, **body.model_dump())
    return _shown_action(session, scope, action)


@router.get("/actions/{action_id}", summary="One action with its progress notes")
def get_action(action_id: RowId, session: SessionDep, scope: ReadReview) -> ActionPublic:
    action = action_plan.get_action(session, review=scope.review, action_id=action_id)
    return _shown_action(session, scope, action)


@router.patch("/actions/{action_id}", summary="Change an action's status, due date, owner or text")
def update_action(
    action_id: RowId,
    body: ActionUpdate,
    session: SessionDep,
    scope: WriteActionPlan,
) -> ActionPublic:
    action = action_plan.update_action(
        session, ctx=scope, action_id=action_id, changes=body.model_dump(exclude_unset=True)
    )
    return _shown_action(session, scope, action)


@router.post(
    "/actions/{action_id}/notes",
    status_code=status.HTTP_201_CREATED,
    summary="Record progress on an action (the note sets its status and is kept as history)",
)
def add_action_note(
    action_id: RowId,
    body: ActionNoteCreate,
    session: SessionDep,
    scope: WriteActionPlan,
) -> ActionPublic:
    action_plan.add_action_note(session, ctx=scope, action_id=action_id, note=body.note, status=body.status)
    action = action_plan.get_action(session, review=scope.review, action_id=action_id)
    return _shown_action(session, scope, action)
