"""Web pages: adding, editing, moving and deleting the numbered recommendations of a review.

The recommendations are listed on the findings page (`app.findings.web`); these forms send the
browser back there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.core.deps import RowId, SessionDep
from app.findings import checks, recommendations
from app.findings.models import PRIORITIES, Recommendation
from app.findings.web import (
    confirm_delete_page,
    findings_tab_page,
    form_number,
    framework_options,
    moved_place,
)
from app.reviews.access import ReviewScope
from app.reviews.deps import WriteFindings
from app.web.kit import FormErrors, attempt, form_date, many, read_form, see_other, text_fields

router = APIRouter(include_in_schema=False)

PRIORITY_WORDS = {"high": "High", "medium": "Medium", "low": "Low"}
PRIORITY_HINTS = {
    "high": "Act on this first: it affects people's safety or outcomes now.",
    "medium": "Plan to act on this within the year.",
    "low": "Worth doing when the higher priorities are under way.",
}
RECOMMENDATION_FORM_FIELDS = (
    "text",
    "domain_key",
    "owner_organisation_ids",
    "priority",
    "target_date",
    "number",
)


def _values(form: FormData, errors: FormErrors) -> dict[str, Any]:
    fields = text_fields(form)
    return {
        "text": fields.get("text", ""),
        "domain_key": fields.get("domain_key", ""),
        "owner_organisation_ids": [n for v in many(form, "owner_organisation_ids") if (n := form_number(v))],
        "priority": fields.get("priority", ""),
        "target_date": form_date(fields, "target_date", errors),
        "number": form_number(fields.get("number")),
    }


def _form_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    values: Mapping[str, Any],
    recommendation_id: int | None,
    typed: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    count = len(recommendations.list_recommendations(session, review=scope.review))
    partners = checks.partner_organisations(session, review=scope.review)
    # A new recommendation may also go last, after the ones there are.
    places = count + (1 if recommendation_id is None else 0)
    context = {
        **framework_options(session, scope),
        "values": values,
        "typed": typed or {},
        "recommendation_id": recommendation_id,
        "partner_options": [(o.id, o.name) for o in partners],
        "priority_options": [(p, PRIORITY_WORDS[p], PRIORITY_HINTS[p]) for p in PRIORITIES],
        "number_options": [(n, f"Number {n}") for n in range(1, places + 1)],
    }
    title = "Edit a recommendation" if recommendation_id else "Add a recommendation"
    return findings_tab_page(
        request, scope, "findings/recommendation_form.html", title, context, errors=errors
    )


@router.get("/reviews/{review_id}/recommendations/new")
def new_recommendation_page(
    request: Request,
    session: SessionDep,
    scope: WriteFindings,
    domain_key: str = "",
) -> Response:
    values: dict[str, Any] = {
        "text": "",
        "domain_key": domain_key,
        "owner_organisation_ids": [],
        "priority": "",
        "number": None,
    }
    return _form_page(request, session, scope, values=values, recommendation_id=None)


async def _save(
    request: Request, session: Session, scope: ReviewScope, recommendation_id: int | None
) -> Response:
    form = await read_form(request)
    errors = FormErrors(RECOMMENDATION_FORM_FIELDS)
    values = _values(form, errors)
    saved = None
    if not errors:
        if recommendation_id is None:
            saved = attempt(
                session, errors, lambda: recommendations.create_recommendation(session, ctx=scope, **values)
            )
        else:
            saved = attempt(
                session,
                errors,
                lambda: recommendations.update_recommendation(
                    session, ctx=scope, recommendation_id=recommendation_id, changes=values
                ),
            )
    if saved is None:
        return _form_page(
            request,
            session,
            scope,
            values=values,
            recommendation_id=recommendation_id,
            typed={"target_date": text_fields(form).get("target_date", "")},
            errors=errors,
        )
    done = "recommendation-added" if recommendation_id is None else "recommendation-saved"
    return see_other(f"/reviews/{scope.review.id}/findings?done={done}#recommendation-{saved.id}")


@router.post("/reviews/{review_id}/recommendations/new")
async def create_recommendation(request: Request, session: SessionDep, scope: WriteFindings) -> Response:
    return await _save(request, session, scope, None)


def _recommendation(session: SessionDep, recommendation_id: RowId, scope: WriteFindings) -> Recommendation:
    """The recommendation a page is about; 404 when it is not one of this review's."""
    return recommendations.get_recommendation(
        session, review=scope.review, recommendation_id=recommendation_id
    )


# The recommendation in the path, for its pages (found once the person may write findings).
ThisRecommendation = Annotated[Recommendation, Depends(_recommendation)]


@router.get("/reviews/{review_id}/recommendations/{recommendation_id}/edit")
def edit_recommendation_page(
    request: Request, session: SessionDep, rec: ThisRecommendation, scope: WriteFindings
) -> Response:
    values = {name: getattr(rec, name) for name in RECOMMENDATION_FORM_FIELDS}
    return _form_page(request, session, scope, values=values, recommendation_id=rec.id)


@router.post("/reviews/{review_id}/recommendations/{recommendation_id}/edit")
async def edit_recommendation(
    request: Request, session: SessionDep, rec: ThisRecommendation, scope: WriteFindings
) -> Response:
    return await _save(request, session, scope, rec.id)


@router.post("/reviews/{review_id}/recommendations/{recommendation_id}/move")
async def move_recommendation(
    request: Request,
    session: SessionDep,
    recommendation_id: RowId,
    rec: ThisRecommendation,
    scope: WriteFindings,
) -> Response:
    """Move a recommendation one place up or down; the others renumber."""
    form = await read_form(request)
    recommendations.update_recommendation(
        session,
        ctx=scope,
        recommendation_id=recommendation_id,
        changes={"number": moved_place(form, rec.number)},
    )
    return see_other(
        f"/reviews/{scope.review.id}/findings?done=recommendation-moved#recommendation-{recommendation_id}"
    )


@router.get("/reviews/{review_id}/recommendations/{recommendation_id}/delete")
def delete_recommendation_page(
    request: Request, session: SessionDep, rec: ThisRecommendation, scope: WriteFindings
) -> Response:
    return confirm_delete_page(
        request,
        scope,
        what="recommendation",
        item=recommendations.present_recommendations(session, review=scope.review, recommendations=[rec])[0],
        title=f"Delete recommendation {rec.number}?",
    )


@router.post("/reviews/{review_id}/recommendations/{recommendation_id}/delete")
def delete_recommendation(session: SessionDep, recommendation_id: RowId, scope: WriteFindings) -> Response:
    recommendations.delete_recommendation(session, ctx=scope, recommendation_id=recommendation_id)
    return see_other(f"/reviews/{scope.review.id}/findings?done=recommendation-deleted#recommendations")
