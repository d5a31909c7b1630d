"""Web pages: findings, recommendations and the action plan of a review.

Forms post back here. When the service accepts, the browser is sent on (Post/Redirect/Get)
to the list with a notice; when it refuses, the same form comes back with the error
summary, the message beside the field and everything the person typed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.accounts.permissions import Action, Role
from app.core.deps import SessionDep
from app.core.errors import Conflict, Invalid, InvalidMany
from app.core.text import plain_excerpt, render_markdown
from app.findings import service
from app.findings.models import ACTION_STATUSES, FINDING_KINDS, PRIORITIES
from app.findings.schemas import FindingPublic
from app.reviews.access import ReviewScope
from app.reviews.changes import review_framework
from app.reviews.deps import review_scope
from app.web.templating import render

router = APIRouter(include_in_schema=False)

# Messages shown after a redirect, chosen by a fixed key so a link cannot put words on the page.
NOTICES = {
    "finding-added": "The finding has been added.",
    "finding-saved": "The finding has been saved.",
    "finding-moved": "The finding has been moved.",
    "finding-deleted": "The finding has been deleted.",
    "recommendation-added": "The recommendation has been added.",
    "recommendation-saved": "The recommendation has been saved.",
    "recommendation-moved": "The recommendation has been moved; the others have been renumbered.",
    "recommendation-deleted": "The recommendation has been deleted; the others have been renumbered.",
    "action-added": "The action has been added to the plan.",
    "action-saved": "The action has been saved.",
    "progress-saved": "The progress note has been saved.",
}
POLARITY_WORDS = {"strength": "Strength", "concern": "Concern", "context": "Context"}
PRIORITY_WORDS = {"high": "High", "medium": "Medium", "low": "Low"}
PRIORITY_HINTS = {
    "high": "Act on this first: it affects people's safety or outcomes now.",
    "medium": "Plan to act on this within the year.",
    "low": "Worth doing when the higher priorities are under way.",
}
STATUS_HINTS = {
    "not_started": "No work has begun.",
    "in_progress": "Work is under way.",
    "done": "The action is complete.",
    "blocked": "Something outside the owner's control stops progress.",
}
FINDING_FORM_FIELDS = ("kind", "domain_key", "stage", "text", "cited_evidence")
RECOMMENDATION_FORM_FIELDS = (
    "text",
    "domain_key",
    "owner_organisation_ids",
    "priority",
    "target_date",
    "number",
)
ACTION_FORM_FIELDS = ("recommendation_id", "text", "owner_organisation_id", "status", "due_date")


@dataclass
class Problems:
    """What was wrong with a submitted form: the error summary and the message beside each field.

    `ids` maps a field name the service uses to the id of the input on the page, for forms
    repeated on one page (the progress form of each action)."""

    fields: tuple[str, ...]
    ids: Mapping[str, str] = field(default_factory=dict)
    summary: list[dict[str, str]] = field(default_factory=list)
    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str | None, message: str) -> None:
        message = message[:1].upper() + message[1:]
        target = self.ids.get(name or "", name or "") if name in self.fields else ""
        if target and target in self.by_field:
            return
        self.summary.append({"field": target, "message": message})
        if target:
            self.by_field[target] = message

    def __bool__(self) -> bool:
        return bool(self.summary)

    def context(self) -> dict[str, Any]:
        return {"errors": self.summary, "field_errors": self.by_field}


def _attempt(session: Session, problems: Problems, call: Callable[[], Any]) -> Any:
    """Run a service call; when it refuses the input, undo what it began and note why for the page.

    Refusals that are not about the input (not allowed, not found, read-only) go on to the
    app's error page."""
    try:
        return call()
    except InvalidMany as exc:
        session.rollback()
        for error in exc.errors:
            problems.add(str(error.get("field") or ""), str(error.get("message") or ""))
        return None
    except (Invalid, Conflict) as exc:
        session.rollback()
        problems.add(exc.field, exc.message)
        return None


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _date(form: Mapping[str, Any], name: str, problems: Problems) -> dt.date | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        problems.add(name, "enter a real date, such as 2026-09-30")
        return None


def _number(raw: object) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _page(
    request: Request,
    scope: ReviewScope,
    template: str,
    page_title: str,
    *,
    status_code: int = 200,
    **ctx: Any,
) -> Response:
    return render(
        request,
        template,
        {
            "review": scope.review,
            "scope": scope,
            "active": "findings",
            "page_title": page_title,
            "flash": NOTICES.get(request.query_params.get("done", "")),
            "markdown": render_markdown,
            "excerpt": plain_excerpt,
            "errors": [],
            "field_errors": {},
            **ctx,
        },
        status_code=status_code,
    )


def _framework_options(session: Session, scope: ReviewScope) -> dict[str, Any]:
    fw = review_framework(session, scope.review)
    return {
        "framework": fw,
        "domain_options": [(d.key, d.name) for d in fw.domains],
        "stage_options": [(s.key, s.name) for s in fw.pathway_stages],
        "kind_options": [(k, service.KIND_LABELS[k]) for k in FINDING_KINDS],
    }


# The findings page -----------------------------------------------------------------------------


def _groups(findings: list[FindingPublic], keys: list[str], attr: str) -> dict[str, dict[str, list]]:
    grouped: dict[str, dict[str, list]] = {key: {kind: [] for kind in FINDING_KINDS} for key in keys}
    for finding in findings:
        key = getattr(finding, attr)
        if key in grouped:
            grouped[key][finding.kind].append(finding)
    return grouped


@router.get("/reviews/{review_id}/findings")
def findings_page(
    request: Request,
    session: SessionDep,
    domain_key: str = "",
    stage: str = "",
    kind: str = "",
    scope: ReviewScope = review_scope(Action.read_ratings),
) -> Response:
    """Findings by domain and by pathway stage, then the numbered recommendations."""
    review = scope.review
    options = _framework_options(session, scope)
    fw = options["framework"]
    everything = service.list_findings(session, review=review)
    problems = Problems(("domain_key", "stage", "kind"))
    filtered = bool(domain_key or stage or kind)
    shown = everything
    if filtered:
        shown = _attempt(
            session,
            problems,
            lambda: service.list_findings(
                session, review=review, domain_key=domain_key, stage=stage, kind=kind
            ),
        )
        if shown is None:
            shown, filtered = everything, False
    findings = service.present_findings(session, review=review, findings=shown)
    group_sizes = Counter((f.domain_key, f.stage, f.kind) for f in everything)
    recommendations = service.present_recommendations(
        session, review=review, recommendations=service.list_recommendations(session, review=review)
    )
    return _page(
        request,
        scope,
        "findings/index.html",
        "Findings and recommendations",
        status_code=422 if problems else 200,
        **options,
        findings=findings,
        filtered=filtered,
        filters={"domain_key": domain_key, "stage": stage, "kind": kind},
        by_domain=_groups(findings, [d.key for d in fw.domains], "domain_key"),
        by_stage=_groups(findings, [s.key for s in fw.pathway_stages], "stage"),
        last_in_group={f.id for f in findings if f.position >= group_sizes[(f.domain_key, f.stage, f.kind)]},
        recommendations=recommendations,
        can_write=scope.can(Action.write_findings),
        **problems.context(),
    )


# Adding and editing a finding -------------------------------------------------------------------


def _finding_values(form: FormData) -> dict[str, Any]:
    return {
        "kind": _text(form, "kind"),
        "domain_key": _text(form, "domain_key"),
        "stage": _text(form, "stage"),
        "text": _text(form, "text"),
        "cited_evidence": [v.strip().lower() for v in form.getlist("cited_evidence") if isinstance(v, str)],
    }


def _finding_form(
    request: Request,
    session: SessionDep,
    scope: ReviewScope,
    *,
    values: Mapping[str, Any],
    finding_id: int | None,
    evidence_domain: str,
    problems: Problems | None = None,
) -> Response:
    options = _framework_options(session, scope)
    fw = options["framework"]
    chosen = set(values.get("cited_evidence") or [])
    if evidence_domain not in {d.key for d in fw.domains}:
        evidence_domain = ""
    evidence = service.citable_evidence(session, review=scope.review)
    # Without script the filter is applied here; chosen items always stay in view.
    shown = [
        (item, bool(evidence_domain) and evidence_domain not in item.domains and item.id not in chosen)
        for item in evidence
    ]
    return _page(
        request,
        scope,
        "findings/finding_form.html",
        "Edit a finding" if finding_id else "Add a finding",
        status_code=422 if problems else 200,
        **options,
        values=values,
        chosen=chosen,
        finding_id=finding_id,
        evidence=shown,
        evidence_domain=evidence_domain,
        evidence_shown=sum(1 for _, hidden in shown if not hidden),
        source_names={s.key: s.name for s in fw.source_types},
        polarity_words=POLARITY_WORDS,
        **(problems.context() if problems else {}),
    )


@router.get("/reviews/{review_id}/findings/new")
def new_finding_page(
    request: Request,
    session: SessionDep,
    domain_key: str = "",
    stage: str = "",
    kind: str = "",
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    values = {"kind": kind, "domain_key": domain_key, "stage": stage, "text": "", "cited_evidence": []}
    return _finding_form(request, session, scope, values=values, finding_id=None, evidence_domain=domain_key)


async def _save_finding(
    request: Request, session: Session, scope: ReviewScope, finding_id: int | None
) -> Response:
    form = await request.form()
    values = _finding_values(form)
    evidence_domain = _text(form, "evidence_domain")
    if "show_evidence" in form:
        # The filter button of the evidence list (without script): show the form again, unsaved.
        return _finding_form(
            request, session, scope, values=values, finding_id=finding_id, evidence_domain=evidence_domain
        )
    problems = Problems(FINDING_FORM_FIELDS)
    review, user_id = scope.review, scope.user.id
    if finding_id is None:
        saved = _attempt(
            session,
            problems,
            lambda: service.create_finding(session, review=review, user_id=user_id, **values),
        )
    else:
        saved = _attempt(
            session,
            problems,
            lambda: service.update_finding(
                session, review=review, user_id=user_id, finding_id=finding_id, changes=values
            ),
        )
    if problems:
        return _finding_form(
            request,
            session,
            scope,
            values=values,
            finding_id=finding_id,
            evidence_domain=evidence_domain,
            problems=problems,
        )
    done = "finding-added" if finding_id is None else "finding-saved"
    return _see_other(f"/reviews/{review.id}/findings?done={done}#finding-{saved.id}")


@router.post("/reviews/{review_id}/findings/new")
async def create_finding(
    request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.write_findings)
) -> Response:
    return await _save_finding(request, session, scope, None)


@router.get("/reviews/{review_id}/findings/{finding_id}/edit")
def edit_finding_page(
    request: Request,
    session: SessionDep,
    finding_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    finding = service.get_finding(session, review=scope.review, finding_id=finding_id)
    values = {name: getattr(finding, name) for name in FINDING_FORM_FIELDS}
    return _finding_form(
        request, session, scope, values=values, finding_id=finding_id, evidence_domain=finding.domain_key
    )


@router.post("/reviews/{review_id}/findings/{finding_id}/edit")
async def edit_finding(
    request: Request,
    session: SessionDep,
    finding_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    service.get_finding(session, review=scope.review, finding_id=finding_id)
    return await _save_finding(request, session, scope, finding_id)


@router.post("/reviews/{review_id}/findings/{finding_id}/move")
async def move_finding(
    request: Request,
    session: SessionDep,
    finding_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    """Move a finding one place up or down within its group."""
    form = await request.form()
    finding = service.get_finding(session, review=scope.review, finding_id=finding_id)
    step = -1 if _text(form, "direction") == "up" else 1
    service.update_finding(
        session,
        review=scope.review,
        user_id=scope.user.id,
        finding_id=finding_id,
        changes={"position": max(1, finding.position + step)},
    )
    return _see_other(f"/reviews/{scope.review.id}/findings?done=finding-moved#finding-{finding_id}")


@router.get("/reviews/{review_id}/findings/{finding_id}/delete")
def delete_finding_page(
    request: Request,
    session: SessionDep,
    finding_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    finding = service.get_finding(session, review=scope.review, finding_id=finding_id)
    shown = service.present_findings(session, review=scope.review, findings=[finding])[0]
    return _page(
        request,
        scope,
        "findings/confirm_delete.html",
        "Delete this finding?",
        what="finding",
        item=shown,
        action_url=f"/reviews/{scope.review.id}/findings/{finding_id}/delete",
        back_url=f"/reviews/{scope.review.id}/findings#finding-{finding_id}",
    )


@router.post("/reviews/{review_id}/findings/{finding_id}/delete")
def delete_finding(
    session: SessionDep,
    finding_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    service.delete_finding(session, review=scope.review, user_id=scope.user.id, finding_id=finding_id)
    return _see_other(f"/reviews/{scope.review.id}/findings?done=finding-deleted#findings-by-domain")


# Recommendations -------------------------------------------------------------------------------


def _recommendation_values(form: FormData, problems: Problems) -> dict[str, Any]:
    return {
        "text": _text(form, "text"),
        "domain_key": _text(form, "domain_key"),
        "owner_organisation_ids": [n for v in form.getlist("owner_organisation_ids") if (n := _number(v))],
        "priority": _text(form, "priority"),
        "target_date": _date(form, "target_date", problems),
        "number": _number(form.get("number")),
    }


def _recommendation_form(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    values: Mapping[str, Any],
    recommendation_id: int | None,
    typed: Mapping[str, str] | None = None,
    problems: Problems | None = None,
) -> Response:
    options = _framework_options(session, scope)
    count = len(service.list_recommendations(session, review=scope.review))
    partners = service.partner_organisations(session, review=scope.review)
    return _page(
        request,
        scope,
        "findings/recommendation_form.html",
        "Edit a recommendation" if recommendation_id else "Add a recommendation",
        status_code=422 if problems else 200,
        **options,
        values=values,
        typed=typed or {},
        recommendation_id=recommendation_id,
        partner_options=[(o.id, o.name) for o in partners],
        priority_options=[(p, PRIORITY_WORDS[p], PRIORITY_HINTS[p]) for p in PRIORITIES],
        number_options=[
            (n, f"Number {n}") for n in range(1, count + (1 if recommendation_id is None else 0) + 1)
        ],
        **(problems.context() if problems else {}),
    )


@router.get("/reviews/{review_id}/recommendations/new")
def new_recommendation_page(
    request: Request,
    session: SessionDep,
    domain_key: str = "",
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    values = {
        "text": "",
        "domain_key": domain_key,
        "owner_organisation_ids": [],
        "priority": "",
        "number": None,
    }
    return _recommendation_form(request, session, scope, values=values, recommendation_id=None)


async def _save_recommendation(
    request: Request, session: Session, scope: ReviewScope, recommendation_id: int | None
) -> Response:
    form = await request.form()
    problems = Problems(RECOMMENDATION_FORM_FIELDS)
    values = _recommendation_values(form, problems)
    review, user_id = scope.review, scope.user.id
    saved = None
    if not problems:
        if recommendation_id is None:
            saved = _attempt(
                session,
                problems,
                lambda: service.create_recommendation(session, review=review, user_id=user_id, **values),
            )
        else:
            saved = _attempt(
                session,
                problems,
                lambda: service.update_recommendation(
                    session,
                    review=review,
                    user_id=user_id,
                    recommendation_id=recommendation_id,
                    changes=values,
                ),
            )
    if problems or saved is None:
        return _recommendation_form(
            request,
            session,
            scope,
            values=values,
            recommendation_id=recommendation_id,
            typed={"target_date": _text(form, "target_date")},
            problems=problems,
        )
    done = "recommendation-added" if recommendation_id is None else "recommendation-saved"
    return _see_other(f"/reviews/{review.id}/findings?done={done}#recommendation-{saved.id}")


@router.post("/reviews/{review_id}/recommendations/new")
async def create_recommendation(
    request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.write_findings)
) -> Response:
    return await _save_recommendation(request, session, scope, None)


@router.get("/reviews/{review_id}/recommendations/{recommendation_id}/edit")
def edit_recommendation_page(
    request: Request,
    session: SessionDep,
    recommendation_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    rec = service.get_recommendation(session, review=scope.review, recommendation_id=recommendation_id)
    values = {name: getattr(rec, name) for name in RECOMMENDATION_FORM_FIELDS}
    return _recommendation_form(request, session, scope, values=values, recommendation_id=recommendation_id)


@router.post("/reviews/{review_id}/recommendations/{recommendation_id}/edit")
async def edit_recommendation(
    request: Request,
    session: SessionDep,
    recommendation_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    service.get_recommendation(session, review=scope.review, recommendation_id=recommendation_id)
    return await _save_recommendation(request, session, scope, recommendation_id)


@router.post("/reviews/{review_id}/recommendations/{recommendation_id}/move")
async def move_recommendation(
    request: Request,
    session: SessionDep,
    recommendation_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    """Move a recommendation one place up or down; the others renumber."""
    form = await request.form()
    rec = service.get_recommendation(session, review=scope.review, recommendation_id=recommendation_id)
    step = -1 if _text(form, "direction") == "up" else 1
    service.update_recommendation(
        session,
        review=scope.review,
        user_id=scope.user.id,
        recommendation_id=recommendation_id,
        changes={"number": max(1, rec.number + step)},
    )
    return _see_other(
        f"/reviews/{scope.review.id}/findings?done=recommendation-moved#recommendation-{recommendation_id}"
    )


@router.get("/reviews/{review_id}/recommendations/{recommendation_id}/delete")
def delete_recommendation_page(
    request: Request,
    session: SessionDep,
    recommendation_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    rec = service.get_recommendation(session, review=scope.review, recommendation_id=recommendation_id)
    shown = service.present_recommendations(session, review=scope.review, recommendations=[rec])[0]
    return _page(
        request,
        scope,
        "findings/confirm_delete.html",
        f"Delete recommendation {rec.number}?",
        what="recommendation",
        item=shown,
        action_url=f"/reviews/{scope.review.id}/recommendations/{recommendation_id}/delete",
        back_url=f"/reviews/{scope.review.id}/findings#recommendation-{recommendation_id}",
    )


@router.post("/reviews/{review_id}/recommendations/{recommendation_id}/delete")
def delete_recommendation(
    session: SessionDep,
    recommendation_id: int,
    scope: ReviewScope = review_scope(Action.write_findings),
) -> Response:
    service.delete_recommendation(
        session, review=scope.review, user_id=scope.user.id, recommendation_id=recommendation_id
    )
    return _see_other(f"/reviews/{scope.review.id}/findings?done=recommendation-deleted#recommendations")


# The action plan -------------------------------------------------------------------------------


def _status_options() -> list[tuple[str, str, str]]:
    return [(s, service.STATUS_LABELS[s], STATUS_HINTS[s]) for s in ACTION_STATUSES]


def _own_organisation(scope: ReviewScope) -> int | None:
    if scope.role is Role.self_assessor and scope.membership is not None:
        return scope.membership.organisation_id
    return None


def _action_values(form: FormData, problems: Problems, scope: ReviewScope) -> dict[str, Any]:
    values: dict[str, Any] = {
        "recommendation_id": _number(form.get("recommendation_id")),
        "text": _text(form, "text"),
        "due_date": _date(form, "due_date", problems),
    }
    if "status" in form:
        values["status"] = _text(form, "status")
    # A self-assessor's actions are their organisation's: the form does not offer a choice.
    if _own_organisation(scope) is None:
        values["owner_organisation_id"] = _number(form.get("owner_organisation_id"))
    return values


def _plan_context(session: Session, scope: ReviewScope) -> dict[str, Any]:
    review = scope.review
    actions = service.list_actions(session, review=review)
    partners = service.partner_organisations(session, review=review)
    own = _own_organisation(scope)
    recommendations = (
        service.list_recommendations(session, review=review) if scope.can(Action.read_ratings) else []
    )
    return {
        "published": scope.published,
        "actions": service.present_actions(session, review=review, actions=actions),
        "may_update": {a.id for a in actions if service.may_update_action(scope, a)},
        "can_add": scope.can(Action.write_action_plan),
        "own_organisation": next((o for o in partners if o.id == own), None),
        "partner_options": [(o.id, o.name) for o in partners],
        "recommendation_options": [
            (r.id, f"{r.number}. {plain_excerpt(r.text, 90)}") for r in recommendations
        ],
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
    problems: Problems | None = None,
) -> Response:
    return _page(
        request,
        scope,
        "findings/action_plan.html",
        "Action plan",
        status_code=422 if problems else 200,
        **_plan_context(session, scope),
        add_values=add_values or {},
        note_values=note_values or {},
        **(problems.context() if problems else {}),
    )


@router.get("/reviews/{review_id}/action-plan")
def action_plan_page(
    request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.read_review)
) -> Response:
    """The system action plan: every member reads it once the review is published."""
    return _plan_page(request, session, scope)


@router.post("/reviews/{review_id}/action-plan")
async def create_action(
    request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.write_action_plan)
) -> Response:
    form = await request.form()
    problems = Problems(ACTION_FORM_FIELDS)
    values = _action_values(form, problems, scope)
    saved = None
    if not problems:
        saved = _attempt(session, problems, lambda: service.create_action(session, scope=scope, **values))
    if problems or saved is None:
        typed = {**values, "due_date": _text(form, "due_date")}
        return _plan_page(request, session, scope, add_values=typed, problems=problems)
    return _see_other(f"/reviews/{scope.review.id}/action-plan?done=action-added#action-{saved.id}")


def _action_form(
    request: Request,
    session: Session,
    scope: ReviewScope,
    action_id: int,
    *,
    values: Mapping[str, Any],
    problems: Problems | None = None,
) -> Response:
    action = service.get_action(session, review=scope.review, action_id=action_id)
    return _page(
        request,
        scope,
        "findings/action_form.html",
        "Change an action",
        status_code=422 if problems else 200,
        **_plan_context(session, scope),
        action=service.present_actions(session, review=scope.review, actions=[action])[0],
        values=values,
        **(problems.context() if problems else {}),
    )


@router.get("/reviews/{review_id}/action-plan/{action_id}/edit")
def edit_action_page(
    request: Request,
    session: SessionDep,
    action_id: int,
    scope: ReviewScope = review_scope(Action.write_action_plan),
) -> Response:
    action = service.get_action(session, review=scope.review, action_id=action_id)
    service.ensure_may_update_action(scope, action)
    values = {name: getattr(action, name) for name in ACTION_FORM_FIELDS}
    return _action_form(request, session, scope, action_id, values=values)


@router.post("/reviews/{review_id}/action-plan/{action_id}/edit")
async def edit_action(
    request: Request,
    session: SessionDep,
    action_id: int,
    scope: ReviewScope = review_scope(Action.write_action_plan),
) -> Response:
    form = await request.form()
    problems = Problems(ACTION_FORM_FIELDS)
    values = _action_values(form, problems, scope)
    if not problems:
        _attempt(
            session,
            problems,
            lambda: service.update_action(session, scope=scope, action_id=action_id, changes=values),
        )
    if problems:
        typed = {**values, "due_date": _text(form, "due_date")}
        return _action_form(request, session, scope, action_id, values=typed, problems=problems)
    return _see_other(f"/reviews/{scope.review.id}/action-plan?done=action-saved#action-{action_id}")


@router.post("/reviews/{review_id}/action-plan/{action_id}/progress")
async def add_progress(
    request: Request,
    session: SessionDep,
    action_id: int,
    scope: ReviewScope = review_scope(Action.write_action_plan),
) -> Response:
    """A progress note from the form under each action; it sets the action's status."""
    form = await request.form()
    problems = Problems(
        ("note", "status"), ids={"note": f"note-{action_id}", "status": f"status-{action_id}"}
    )
    # Each action's form names its fields after the action, so ids stay unique on the page.
    note, status = _text(form, f"note-{action_id}"), _text(form, f"status-{action_id}")
    _attempt(
        session,
        problems,
        lambda: service.add_action_note(session, scope=scope, action_id=action_id, note=note, status=status),
    )
    if problems:
        return _plan_page(
            request,
            session,
            scope,
            note_values={"action_id": action_id, "note": note, "status": status},
            problems=problems,
        )
    return _see_other(f"/reviews/{scope.review.id}/action-plan?done=progress-saved#action-{action_id}")
