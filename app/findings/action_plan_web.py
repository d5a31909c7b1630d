"""Web pages: the system action plan of a published review, its actions and progress notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.accounts.permissions import Action
from app.core.deps import RowId, SessionDep
from app.core.text import plain_excerpt
from app.findings import action_plan, checks, recommendations
from app.findings.models import ACTION_STATUSES
from app.findings.web import findings_tab_page, form_number
from app.reviews.access import ReviewScope
from app.reviews.deps import ReadReview, WriteActionPlan
from app.web.kit import FormErrors, attempt, form_date, read_form, see_other, text_fields

router = APIRouter(include_in_schema=False)

STATUS_HINTS = {
    "not_started": "No work has begun.",
    "in_progress": "Work is under way.",
    "done": "The action is complete.",
    "blocked": "Something outside the owner's control stops progress.",
}
ACTION_FORM_FIELDS = ("recommendation_id", "text", "owner_organisation_id", "status", "due_date")


def _status_options() -> list[tuple[str, str, str]]:
    return [(s, action_plan.STATUS_LABELS[s], STATUS_HINTS[s]) for s in ACTION_STATUSES]


def _values(form: FormData, errors: FormErrors, scope: ReviewScope) -> dict[str, Any]:
    fields = text_fields(form)
    values: dict[str, Any] = {
        "recommendation_id": form_number(fields.get("recommendation_id")),
        "text": fields.get("text", ""),
        "due_date": form_date(fields, "due_date", errors),
    }
    if "status" in fields:
        values["status"] = fields["status"]
    # A self-assessor's actions are their organisation's: the form does not offer a choice.
    if action_plan.acting_organisation(scope) is None:
        values["owner_organisation_id"] = form_number(fields.get("owner_organisation_id"))
    return values


def _typed(form: FormData, values: Mapping[str, Any]) -> dict[str, Any]:
    """What was typed, to show again: the date as typed, even when it could not be read."""
    return {**values, "due_date": text_fields(form).get("due_date", "")}


def _plan_context(session: Session, scope: ReviewScope) -> dict[str, Any]:
    review = scope.review
    actions = action_plan.list_actions(session, review=review)
    partners = checks.partner_organisations(session, review=review)
    own = action_plan.acting_organisation(scope)
    recs = (
        recommendations.list_recommendations(session, review=review) if scope.can(Action.read_ratings) else []
    )
    return {
        "published": scope.published,
        "actions": action_plan.present_actions(session, review=review, actions=actions),
        "may_update": {a.id for a in actions if action_plan.may_update_action(scope, a)},
        "can_add": scope.can(Action.write_action_plan),
        "own_organisation": next((o for o in partners if o.id == own), None),
        "partner_options": [(o.id, o.name) for o in partners],
        "recommendation_options": [(r.id, f"{r.number}. {plain_excerpt(r.text, 90)}") for r in recs],
        "status_options": _status_options(),
        "status_pairs": [(value, label) for value, label, _ in _status_options()],
    }


def _plan_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    add_values: Mapping[str, Any] | None = None,
    note_values: Mapping[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    context = {
        **_plan_context(session, scope),
        "add_values": add_values or {},
        "note_values": note_values or {},
    }
    return findings_tab_page(
        request, scope, "findings/action_plan.html", "Action plan", context, errors=errors
    )


@router.get("/reviews/{review_id}/action-plan")
def action_plan_page(request: Request, session: SessionDep, scope: ReadReview) -> Response:
    """The system action plan: every member reads it once the review is published."""
    return _plan_page(request, session, scope)


@router.post("/reviews/{review_id}/action-plan")
async def create_action(request: Request, session: SessionDep, scope: WriteActionPlan) -> Response:
    form = await read_form(request)
    errors = FormErrors(ACTION_FORM_FIELDS)
    values = _values(form, errors, scope)
    saved = None
    if not errors:
        saved = attempt(session, errors, lambda: action_plan.create_action(session, ctx=scope, **values))
    if saved is None:
        return _plan_page(request, session, scope, add_values=_typed(form, values), errors=errors)
    return see_other(f"/reviews/{scope.review.id}/action-plan?done=action-added#action-{saved.id}")


def _action_form(
    request: Request,
    session: Session,
    scope: ReviewScope,
    action_id: RowId,
    *,
    values: Mapping[str, Any],
    errors: FormErrors | None = None,
) -> Response:
    action = action_plan.get_action(session, review=scope.review, action_id=action_id)
    context = {
        **_plan_context(session, scope),
        "action": action_plan.present_actions(session, review=scope.review, actions=[action])[0],
        "values": values,
    }
    return findings_tab_page(
        request, scope, "findings/action_form.html", "Change an action", context, errors=errors
    )


@router.get("/reviews/{review_id}/action-plan/{action_id}/edit")
def edit_action_page(
    request: Request,
    session: SessionDep,
    action_id: RowId,
    scope: WriteActionPlan,
) -> Response:
    action = action_plan.get_action(session, review=scope.review, action_id=action_id)
    action_plan.ensure_may_update_action(scope, action)
    values = {name: getattr(action, name) for name in ACTION_FORM_FIELDS}
    return _action_form(request, session, scope, action_id, values=values)


@router.post("/reviews/{review_id}/action-plan/{action_id}/edit")
async def edit_action(
    request: Request,
    session: SessionDep,
    action_id: RowId,
    scope: WriteActionPlan,
) -> Response:
    form = await read_form(request)
    errors = FormErrors(ACTION_FORM_FIELDS)
    values = _values(form, errors, scope)
    if not errors:
        attempt(
            session,
            errors,
            lambda: action_plan.update_action(session, ctx=scope, action_id=action_id, changes=values),
        )
    if errors:
        return _action_form(request, session, scope, action_id, values=_typed(form, values), errors=errors)
    return see_other(f"/reviews/{scope.review.id}/action-plan?done=action-saved#action-{action_id}")


@router.post("/reviews/{review_id}/action-plan/{action_id}/progress")
async def add_progress(
    request: Request,
    session: SessionDep,
    action_id: RowId,
    scope: WriteActionPlan,
) -> Response:
    """A progress note from the form under each action; it sets the action's status."""
    fields = text_fields(await read_form(request))
    # Each action's form names its fields after the action, so ids stay unique on the page.
    errors = FormErrors(
        ("note", "status"), ids={"note": f"note-{action_id}", "status": f"status-{action_id}"}
    )
    note, status = fields.get(f"note-{action_id}", ""), fields.get(f"status-{action_id}", "")
    attempt(
        session,
        errors,
        lambda: action_plan.add_action_note(
            session, ctx=scope, action_id=action_id, note=note, status=status
        ),
    )
    if errors:
        note_values = {"action_id": action_id, "note": note, "status": status}
        return _plan_page(request, session, scope, note_values=note_values, errors=errors)
    return see_other(f"/reviews/{scope.review.id}/action-plan?done=progress-saved#action-{action_id}")
