"""Ratings API: own ratings, the anonymous spread, moderation, overrides and results."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status
from sqlmodel import Session

from app.accounts.permissions import Action
from app.core.deps import SessionDep
from app.core.errors import Invalid
from app.ratings import moderation as moderating
from app.ratings import results, service
from app.ratings.models import Rating
from app.ratings.schemas import (
    LevelCountPublic,
    LineSpreadPublic,
    ModeratedPublic,
    ModeratedWrite,
    ModerationSaved,
    OrganisationRef,
    OverridePublic,
    OverrideWrite,
    Person,
    RatingPublic,
    RatingWithRater,
    RatingWrite,
    ReasonBody,
    SelfAssessmentState,
    SpreadPublic,
)
from app.reviews.access import ReviewScope
from app.reviews.changes import review_framework
from app.reviews.deps import ManageReview, Moderate, ReadRatings, ReadReview, review_scope_any

router = APIRouter(prefix="/api/v1/reviews/{review_id}", tags=["ratings"])

_ETAG = re.compile(r'^\s*(?:W/)?"?v(\d+)"?\s*$')


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version the client read, from If-Match ("v3") or the body; they must agree."""
    header_version: int | None = None
    if if_match is not None and if_match.strip() != "*":
        found = _ETAG.match(if_match)
        if found is None:
            raise Invalid('send the ETag you read, such as "v3"', field="If-Match")
        header_version = int(found.group(1))
    if header_version is not None and body_version is not None and header_version != body_version:
        raise Invalid("If-Match and version name different versions: send one", field="version")
    return header_version if header_version is not None else body_version


def _rating_public(rating: Rating, label: str) -> RatingPublic:
    assert rating.id is not None
    return RatingPublic(
        id=rating.id,
        ref=rating.ref,
        group=rating.group,
        value=rating.value,
        value_label=label,
        rationale=rating.rationale,
        cited_evidence=list(rating.cited_evidence),
        organisation_id=rating.organisation_id,
        updated_at=rating.updated_at,
    )


def _label(scope: ReviewScope, session: SessionDep) -> Callable[[int], str]:
    """The scale's word for a rating value in this review's framework."""
    return review_framework(session, scope.review).scale.label


def _moderated_public(ref: str, state: moderating.ModeratedState) -> ModeratedPublic:
    return ModeratedPublic(
        ref=ref,
        value=state.value,
        label=state.label,
        rationale=state.rationale,
        cited_evidence=state.cited_evidence,
        version=state.version,
        updated_by=Person(id=state.updated_by_id, name=state.updated_by),
        updated_at=state.updated_at,
    )


@router.put(
    "/ratings/{ref}",
    summary="Store the caller's own rating of a line (self-assessment or review team, from their role)",
)
def put_rating(
    ref: str,
    body: RatingWrite,
    session: SessionDep,
    scope: ReviewScope = review_scope_any(Action.rate_self, Action.rate_team),
) -> RatingPublic:
    rating = service.save_rating(session, ctx=scope, ref=ref, **body.model_dump())
    return _rating_public(rating, _label(scope, session)(rating.value))


@router.get("/ratings/mine", summary="The caller's own ratings")
def my_ratings(session: SessionDep, scope: ReadReview) -> list[RatingPublic]:
    label = _label(scope, session)
    return [_rating_public(r, label(r.value)) for r in service.own_ratings(session, scope=scope)]


@router.get(
    "/ratings/spread",
    summary="The anonymous spread of self-assessment ratings per line (self-assessors: after closing)",
)
def spread(
    session: SessionDep, scope: ReviewScope = review_scope_any(Action.read_ratings, Action.rate_self)
) -> SpreadPublic:
    lines = service.self_assessment_spread(session, scope=scope)
    return SpreadPublic(
        self_assessment_closed=scope.review.self_assessment_closed,
        lines=[
            LineSpreadPublic(
                ref=line.ref,
                domain_key=line.domain_key,
                question=line.question,
                n=line.n,
                counts=[LevelCountPublic(value=c.value, label=c.label, count=c.count) for c in line.counts],
                median=line.median,
                flag=line.flag,
                rule=line.rule,
            )
            for line in lines
        ],
    )


@router.get("/ratings", summary="Every rating with who gave it and for which organisation")
def all_ratings(session: SessionDep, scope: ReadRatings) -> list[RatingWithRater]:
    label = _label(scope, session)
    out = []
    for row in service.ratings_with_raters(session, review=scope.review):
        rating = row.rating
        org = (
            OrganisationRef(
                id=rating.organisation_id, name=row.organisation_name or "", org_type=row.organisation_type
            )
            if rating.organisation_id is not None
            else None
        )
        out.append(
            RatingWithRater(
                **_rating_public(rating, label(rating.value)).model_dump(),
                rater=Person(id=rating.rater_id, name=row.rater_name),
                organisation=org,
            )
        )
    return out


def _set_closed(
    session: Session, scope: ReviewScope, closed: bool, body: ReasonBody | None
) -> SelfAssessmentState:
    review = service.set_self_assessment_closed(
        session, ctx=scope, closed=closed, reason=body.reason if body else ""
    )
    return SelfAssessmentState(self_assessment_closed=review.self_assessment_closed)


@router.post("/self-assessment/close", summary="Close the self-assessment: ratings freeze, the spread opens")
def close_self_assessment(
    session: SessionDep,
    scope: ManageReview,
    body: ReasonBody | None = None,
) -> SelfAssessmentState:
    return _set_closed(session, scope, True, body)


@router.post("/self-assessment/reopen", summary="Reopen the self-assessment for changes")
def reopen_self_assessment(
    session: SessionDep,
    scope: ManageReview,
    body: ReasonBody | None = None,
) -> SelfAssessmentState:
    return _set_closed(session, scope, False, body)


@router.get(
    "/moderation/{ref}",
    summary="Everything to moderate a line: ratings, spread, gap, evidence, hint, readiness, current rating",
)
def moderation(ref: str, response: Response, session: SessionDep, scope: ReadRatings) -> dict[str, Any]:
    view = moderating.moderation_view(session, review=scope.review, ref=ref)
    response.headers["ETag"] = etag(view.version)
    score = asdict(view.score)
    return {
        "ref": view.line.ref,
        "question": view.line.question,
        "prompts": list(view.line.prompts),
        "domain": {"key": view.domain.key, "name": view.domain.name},
        "scale": [
            {"value": level.value, "label": level.label, "rubric": view.line.rubric.get(level.value, "")}
            for level in view.framework.scale.levels
        ],
        "ratings": [
            {
                "ref": row.rating.ref,
                "group": row.rating.group,
                "value": row.rating.value,
                "rationale": row.rating.rationale,
                "cited_evidence": list(row.rating.cited_evidence),
                "rater": {"id": row.rating.rater_id, "name": row.rater_name},
                "organisation": row.organisation_name,
                "organisation_type": row.organisation_type,
                "updated_at": row.rating.updated_at.isoformat(),
            }
            for row in view.ratings
        ],
        "self_assessment": score["self_assessment"],
        "review_team": score["review_team"],
        "split": view.score.self_assessment.split or view.score.review_team.split,
        "self_assessment_median": view.score.self_assessment.median,
        "gap": view.score.gap,
        "gap_rule": view.score.gap_rule,
        "org_gaps": score["org_gaps"],
        "evidence": [asdict(item) for item in view.evidence],
        "coverage": score["coverage"],
        "suggestion": score["suggestion"],
        "readiness": {**asdict(view.readiness), "of": view.readiness_of},
        "moderated": asdict(view.moderated) if view.moderated else None,
        "version": view.version,
        "previous_ref": view.previous_ref,
        "next_ref": view.next_ref,
    }


@router.put(
    "/moderated/{ref}",
    summary='Set the moderated rating of a line (send If-Match: "v{version}" of what you read to change one)',
)
def put_moderated(
    ref: str,
    body: ModeratedWrite,
    response: Response,
    session: SessionDep,
    scope: Moderate,
    if_match: Annotated[str | None, Header()] = None,
) -> ModerationSaved:
    outcome = moderating.moderate(
        session,
        ctx=scope,
        ref=ref,
        expected_version=expected_version(if_match, body.version),
        **body.model_dump(exclude={"version"}),
    )
    response.headers["ETag"] = etag(outcome.moderated.version)
    if outcome.created:
        response.status_code = status.HTTP_201_CREATED
    return ModerationSaved(moderated=_moderated_public(ref, outcome.moderated), warnings=outcome.warnings)


@router.get("/overrides", summary="The lead's overrides of computed results, with justifications")
def list_overrides(session: SessionDep, scope: ReadRatings) -> list[OverridePublic]:
    return moderating.list_overrides(session, review=scope.review)


@router.put("/overrides", summary="Override a domain or the overall result, with a written justification")
def put_override(body: OverrideWrite, session: SessionDep, scope: Moderate) -> OverridePublic:
    moderating.set_override(
        session,
        ctx=scope,
        result_scope=body.scope,
        domain_key=body.domain_key,
        level=body.level,
        justification=body.justification,
        reason=body.reason,
    )
    states = moderating.list_overrides(session, review=scope.review)
    key = body.domain_key.strip() if body.scope == "domain" else ""
    return next(s for s in states if s.scope == body.scope and s.domain_key == key)


@router.delete(
    "/overrides",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an override (?scope=domain&domain_key=... or ?scope=overall)",
)
def delete_override(
    scope_name: Annotated[str, Query(alias="scope")],
    session: SessionDep,
    scope: Moderate,
    domain_key: str = "",
    reason: str = "",
) -> Response:
    moderating.delete_override(
        session, ctx=scope, result_scope=scope_name, domain_key=domain_key, reason=reason
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/scores", summary="Results: every line, domain and the overall result, with the rule behind each"
)
def scores(session: SessionDep, scope: ReadRatings) -> dict[str, Any]:
    return results.review_scores(session, scope.review).to_dict()
