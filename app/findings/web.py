"""Web pages: the findings of a review, and what the findings, recommendations and action plan
pages share (their notices, page frame and form readers).

Forms post back here. When the service accepts, the browser is sent on (Post/Redirect/Get)
to the list with a notice; when it refuses, the same form comes back with the error
summary, the message beside the field and everything the person typed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.accounts.permissions import Action
from app.core.deps import RowId, SessionDep
from app.core.text import plain_excerpt, render_markdown
from app.findings import findings, recommendations
from app.findings.models import FINDING_KINDS, Finding
from app.findings.schemas import FindingPublic
from app.reviews.access import ReviewScope
from app.reviews.changes import review_framework
from app.reviews.deps import ReadRatings, WriteFindings
from app.web.kit import FormErrors, attempt, many, read_form, review_page, see_other, text_fields

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
FINDING_FORM_FIELDS = ("kind", "domain_key", "stage", "text", "cited_evidence")


# What the findings, recommendations and action plan pages share ------------------------------


def findings_tab_page(
    request: Request,
    scope: ReviewScope,
    template: str,
    page_title: str,
    context: Mapping[str, Any],
    *,
    errors: FormErrors | None = None,
) -> Response:
    """A findings, recommendations or action plan page, with their notices and Markdown helpers."""
    return review_page(
        request,
        scope,
        template,
        active="findings",
        title=page_title,
        notices=NOTICES,
        errors=errors,
        markdown=render_markdown,
        excerpt=plain_excerpt,
        **context,
    )


def confirm_delete_page(
    request: Request, scope: ReviewScope, *, what: str, item: Any, title: str
) -> Response:
    """Ask before deleting a finding or a recommendation (`what`, which also names its pages),
    shown as presented; going back returns to it on the findings page."""
    context = {
        "what": what,
        "item": item,
        "action_url": f"/reviews/{scope.review.id}/{what}s/{item.id}/delete",
        "back_url": f"/reviews/{scope.review.id}/findings#{what}-{item.id}",
    }
    return findings_tab_page(request, scope, "findings/confirm_delete.html", title, context)


def form_number(raw: object) -> int | None:
    """A chosen id or place from a select or radio; None when none was chosen."""
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else None


def moved_place(form: FormData, current: int) -> int:
    """The place one up or one down from `current`, as the move buttons ask."""
    step = -1 if text_fields(form).get("direction") == "up" else 1
    return max(1, current + step)


def framework_options(session: Session, scope: ReviewScope) -> dict[str, Any]:
    """The domains, stages and kinds of finding the forms offer, from the review's framework."""
    fw = review_framework(session, scope.review)
    return {
        "framework": fw,
        "domain_options": [(d.key, d.name) for d in fw.domains],
        "stage_options": [(s.key, s.name) for s in fw.pathway_stages],
        "kind_options": [(k, findings.KIND_LABELS[k]) for k in FINDING_KINDS],
    }


# The findings page -----------------------------------------------------------------------------


def _groups(shown: list[FindingPublic], keys: list[str], attr: str) -> dict[str, dict[str, list]]:
    grouped: dict[str, dict[str, list]] = {key: {kind: [] for kind in FINDING_KINDS} for key in keys}
    for finding in shown:
        key = getattr(finding, attr)
        if key in grouped:
            grouped[key][finding.kind].append(finding)
    return grouped


@router.get("/reviews/{review_id}/findings")
def findings_page(
    request: Request,
    session: SessionDep,
    scope: ReadRatings,
    domain_key: str = "",
    stage: str = "",
    kind: str = "",
) -> Response:
    """Findings by domain and by pathway stage, then the numbered recommendations."""
    review = scope.review
    options = framework_options(session, scope)
    fw = options["framework"]
    everything = findings.list_findings(session, review=review)
    errors = FormErrors(("domain_key", "stage", "kind"))
    filtered = bool(domain_key or stage or kind)
    shown: list | None = everything
    if filtered:
        shown = attempt(
            session,
            errors,
            lambda: findings.list_findings(
                session, review=review, domain_key=domain_key, stage=stage, kind=kind
            ),
        )
        if shown is None:
            shown, filtered = everything, False
    listed = findings.present_findings(session, review=review, findings=shown or [])
    group_sizes = Counter((f.domain_key, f.stage, f.kind) for f in everything)
    recs = recommendations.list_recommendations(session, review=review)
    context = {
        **options,
        "findings": listed,
        "filtered": filtered,
        "filters": {"domain_key": domain_key, "stage": stage, "kind": kind},
        "by_domain": _groups(listed, [d.key for d in fw.domains], "domain_key"),
        "by_stage": _groups(listed, [s.key for s in fw.pathway_stages], "stage"),
        "last_in_group": {f.id for f in listed if f.position >= group_sizes[(f.domain_key, f.stage, f.kind)]},
        "recommendations": recommendations.present_recommendations(
            session, review=review, recommendations=recs
        ),
        "can_write": scope.can(Action.write_findings),
    }
    return findings_tab_page(
        request, scope, "findings/index.html", "Findings and recommendations", context, errors=errors
    )


# Adding and editing a finding -------------------------------------------------------------------


def _finding_values(form: FormData) -> dict[str, Any]:
    fields = text_fields(form)
    return {
        "kind": fields.get("kind", ""),
        "domain_key": fields.get("domain_key", ""),
        "stage": fields.get("stage", ""),
        "text": fields.get("text", ""),
        "cited_evidence": [v.strip().lower() for v in many(form, "cited_evidence")],
    }


def _finding_form(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    values: Mapping[str, Any],
    finding_id: int | None,
    evidence_domain: str,
    errors: FormErrors | None = None,
) -> Response:
    options = framework_options(session, scope)
    fw = options["framework"]
    chosen = set(values.get("cited_evidence") or [])
    if evidence_domain not in {d.key for d in fw.domains}:
        evidence_domain = ""
    evidence = findings.citable_evidence(session, review=scope.review)
    # Without script the filter is applied here; chosen items always stay in view.
    shown = [
        (item, bool(evidence_domain) and evidence_domain not in item.domains and item.id not in chosen)
        for item in evidence
    ]
    context = {
        **options,
        "values": values,
        "chosen": chosen,
        "finding_id": finding_id,
        "evidence": shown,
        "evidence_domain": evidence_domain,
        "evidence_shown": sum(1 for _, hidden in shown if not hidden),
        "source_names": {s.key: s.name for s in fw.source_types},
        "polarity_words": POLARITY_WORDS,
    }
    title = "Edit a finding" if finding_id else "Add a finding"
    return findings_tab_page(request, scope, "findings/finding_form.html", title, context, errors=errors)


@router.get("/reviews/{review_id}/findings/new")
def new_finding_page(
    request: Request,
    session: SessionDep,
    scope: WriteFindings,
    domain_key: str = "",
    stage: str = "",
    kind: str = "",
) -> Response:
    values = {"kind": kind, "domain_key": domain_key, "stage": stage, "text": "", "cited_evidence": []}
    return _finding_form(request, session, scope, values=values, finding_id=None, evidence_domain=domain_key)


async def _save_finding(
    request: Request, session: Session, scope: ReviewScope, finding_id: int | None
) -> Response:
    form = await read_form(request)
    values = _finding_values(form)
    evidence_domain = text_fields(form).get("evidence_domain", "")
    if "show_evidence" in form:
        # The filter button of the evidence list (without script): show the form again, unsaved.
        return _finding_form(
            request, session, scope, values=values, finding_id=finding_id, evidence_domain=evidence_domain
        )
    errors = FormErrors(FINDING_FORM_FIELDS)
    if finding_id is None:
        saved = attempt(session, errors, lambda: findings.create_finding(session, ctx=scope, **values))
    else:
        saved = attempt(
            session,
            errors,
            lambda: findings.update_finding(session, ctx=scope, finding_id=finding_id, changes=values),
        )
    if saved is None:
        return _finding_form(
            request,
            session,
            scope,
            values=values,
            finding_id=finding_id,
            evidence_domain=evidence_domain,
            errors=errors,
        )
    done = "finding-added" if finding_id is None else "finding-saved"
    return see_other(f"/reviews/{scope.review.id}/findings?done={done}#finding-{saved.id}")


@router.post("/reviews/{review_id}/findings/new")
async def create_finding(request: Request, session: SessionDep, scope: WriteFindings) -> Response:
    return await _save_finding(request, session, scope, None)


def _finding(session: SessionDep, finding_id: RowId, scope: WriteFindings) -> Finding:
    """The finding a page is about; 404 when it is not one of this review's."""
    return findings.get_finding(session, review=scope.review, finding_id=finding_id)


# The finding in the path, for its pages (found once the person may write findings).
ThisFinding = Annotated[Finding, Depends(_finding)]


@router.get("/reviews/{review_id}/findings/{finding_id}/edit")
def edit_finding_page(
    request: Request, session: SessionDep, finding_id: RowId, finding: ThisFinding, scope: WriteFindings
) -> Response:
    values = {name: getattr(finding, name) for name in FINDING_FORM_FIELDS}
    return _finding_form(
        request, session, scope, values=values, finding_id=finding_id, evidence_domain=finding.domain_key
    )


@router.post("/reviews/{review_id}/findings/{finding_id}/edit")
async def edit_finding(
    request: Request, session: SessionDep, finding_id: RowId, finding: ThisFinding, scope: WriteFindings
) -> Response:
    """Save the edit form (`finding` is asked for so that an unknown one is a 404 before the form)."""
    return await _save_finding(request, session, scope, finding_id)


@router.post("/reviews/{review_id}/findings/{finding_id}/move")
async def move_finding(
    request: Request, session: SessionDep, finding_id: RowId, finding: ThisFinding, scope: WriteFindings
) -> Response:
    """Move a finding one place up or down within its group."""
    place = moved_place(await read_form(request), finding.position)
    findings.update_finding(session, ctx=scope, finding_id=finding_id, changes={"position": place})
    return see_other(f"/reviews/{scope.review.id}/findings?done=finding-moved#finding-{finding_id}")


@router.get("/reviews/{review_id}/findings/{finding_id}/delete")
def delete_finding_page(
    request: Request, session: SessionDep, finding: ThisFinding, scope: WriteFindings
) -> Response:
    return confirm_delete_page(
        request,
        scope,
        what="finding",
        item=findings.present_findings(session, review=scope.review, findings=[finding])[0],
        title="Delete this finding?",
    )


@router.post("/reviews/{review_id}/findings/{finding_id}/delete")
def delete_finding(session: SessionDep, finding_id: RowId, scope: WriteFindings) -> Response:
    findings.delete_finding(session, ctx=scope, finding_id=finding_id)
    return see_other(f"/reviews/{scope.review.id}/findings?done=finding-deleted#findings-by-domain")
