"""Evidence pages: the list with filters, the entry and edit form, the detail page with its
history, delete and restore, and the coverage matrix.

The entry form carries an id made when the page is drawn, and saves through the same
idempotent `put_evidence` as the API: sending the form twice (a double tap, a retry after the
Wi-Fi dropped) stores the item once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.accounts.permissions import Action
from app.core.deps import SessionDep
from app.core.errors import Conflict, Invalid
from app.core.text import plain_excerpt, render_markdown
from app.core.timeutil import utcnow
from app.evidence import service
from app.evidence.api import ITEM  # noqa: F401 - registers the evidence id path convertor
from app.evidence.files_web import attachment_upload_context
from app.evidence.rules import POLARITIES, EvidenceRules, latest_date
from app.evidence.schemas import EvidenceFilters, EvidencePublic, EvidenceUpdate
from app.reviews import changes
from app.reviews.access import ReviewScope
from app.reviews.deps import ReadEvidence, RestoreEvidence, WriteEvidence
from app.web.kit import FormErrors, attempt, many, read_form, review_page, see_other, text_fields
from app.web.words import ORG_TYPE_WORDS

router = APIRouter(include_in_schema=False)

PAGES = "/reviews/{review_id}"
ITEM_PAGE = PAGES + "/evidence/{evidence_id:evidence_id}"
PER_PAGE = 25

POLARITY_WORDS = {"strength": "Strength", "concern": "Concern", "context": "Context"}
POLARITY_HINTS = {
    "strength": "Something that works well for older people or between partners.",
    "concern": "Something that goes wrong, or a risk.",
    "context": "Background that explains the picture, neither good nor bad.",
}

# Messages shown after a redirect, chosen by a fixed key so a link cannot put words on the page.
NOTICES = {
    "added": "Evidence added.",
    "saved": "Your changes have been saved.",
    "restored": "The evidence has been restored.",
    "deleted": "The evidence has been deleted. The review lead can restore it if needed.",
    "attached": "The file has been attached.",
    "file_removed": "The file has been removed.",
}

# The form's fields, in the order of the form (each input's id is its name).
FORM_FIELDS = (
    "title",
    "narrative",
    "quote",
    "polarity",
    "category",
    "source_type",
    "lines",
    "stages",
    "organisations",
    "collected_on",
    "collected_by",
    "tags",
    "reason",
)
# The fields that hold several values (checkboxes).
LIST_FIELDS = ("lines", "stages", "organisations")

# Words for the history's "what changed" line.
FIELD_WORDS = {
    "title": "title",
    "narrative": "narrative",
    "quote": "quote",
    "polarity": "strength, concern or context",
    "category": "evidence category",
    "source_type": "source",
    "lines": "lines of enquiry",
    "stages": "pathway stages",
    "organisations": "organisations",
    "collected_on": "date collected",
    "collected_by": "who collected it",
    "tags": "tags",
}


FormDep = Annotated[FormData, Depends(read_form)]


def _notice(request: Request) -> str | None:
    for key, text in NOTICES.items():
        if request.query_params.get("notice") == key or request.query_params.get(key) == "1":
            return text
    return None


# The form ------------------------------------------------------------------------------------------


def _blank_values() -> dict[str, Any]:
    return {name: [] if name in LIST_FIELDS else "" for name in FORM_FIELDS}


def _form_values(form: FormData) -> dict[str, Any]:
    """The form's fields as the page shows them again (strings, and lists for the checkboxes)."""
    text = text_fields(form)
    values: dict[str, Any] = {name: text.get(name, "") for name in FORM_FIELDS}
    values.update({name: many(form, name) for name in LIST_FIELDS})
    return values


def _values_of(item: EvidencePublic) -> dict[str, Any]:
    """A stored item as the form shows it: ids as the strings the inputs hold, tags in one box."""
    content = _content_of(item)
    return {
        **content,
        "organisations": [str(org_id) for org_id in content["organisations"]],
        "collected_by": str(content["collected_by"]),
        "tags": ", ".join(item.tags),
        "reason": "",
    }


_PARSE_MESSAGES = {
    "collected_on": "enter the date as day, month and year, such as 21/11/2025",
    "collected_by": "choose who collected the evidence",
    "organisations": "choose organisations from the list",
}


def _form_errors() -> FormErrors:
    return FormErrors(fields=FORM_FIELDS)


def _in_form_order(errors: FormErrors) -> FormErrors:
    """The summary lists problems in the order the fields appear on the form (the rules check
    them in their own order); a problem with no field of the form comes first."""
    order = {name: position for position, name in enumerate(FORM_FIELDS)}
    errors.summary.sort(key=lambda problem: order.get(problem["field"], -1))
    return errors


def _parse(values: dict[str, Any], errors: FormErrors) -> EvidenceUpdate | None:
    """The form as the service's input; type problems (a tampered form) noted as field problems."""
    if not values["collected_on"]:
        errors.add("collected_on", "enter the date the evidence was collected")
    try:
        data = EvidenceUpdate.model_validate(
            {
                **values,
                "collected_on": values["collected_on"] or None,
                "collected_by": values["collected_by"] or None,
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            errors.add(field, _PARSE_MESSAGES.get(field, error["msg"]))
        return None
    return None if errors else data


def _form_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    evidence_id: str,
    values: dict[str, Any],
    item: EvidencePublic | None = None,
    version: int | None = None,
    errors: FormErrors | None = None,
    status_code: int | None = None,
) -> Response:
    rules = service.evidence_rules(session, scope.review)
    team = dict(rules.team)
    team.setdefault(scope.user.id or 0, scope.user.display_name)
    if item is not None:
        team.setdefault(item.collected_by.id, item.collected_by.name)
    editing = item is not None
    base = f"/reviews/{scope.review.id}/evidence"
    response = review_page(
        request,
        scope,
        "evidence/form.html",
        active="evidence",
        title=f"Edit: {item.title}" if item else "Add evidence",
        framework=rules.framework,
        item=item,
        editing=editing,
        evidence_id=evidence_id,
        version=version,
        values=values,
        action=f"{base}/{evidence_id}/edit" if editing else f"{base}/new",
        success_path=f"{base}/{evidence_id}",
        options=_options(rules, team),
        polarities=[(p, POLARITY_WORDS[p], POLARITY_HINTS[p]) for p in POLARITIES],
        today=utcnow().date().isoformat(),
        latest=latest_date().isoformat(),
        errors=_in_form_order(errors or _form_errors()),
        status_code=status_code,
    )
    # The form holds a CSRF secret and a fresh id; a cached copy would reuse both.
    response.headers["Cache-Control"] = "no-store"
    return response


def _save(
    request: Request,
    session: Session,
    scope: ReviewScope,
    form: FormData,
    *,
    evidence_id: str,
    item: EvidencePublic | None,
) -> Response:
    """Save the form through the idempotent service; on any problem draw it again, values kept."""
    values = _form_values(form)
    version_text = text_fields(form).get("version", "")
    version = int(version_text) if version_text.isdigit() else None
    errors = _form_errors()
    data = _parse(values, errors)
    conflicts: list[Conflict] = []

    def save() -> tuple[EvidencePublic, bool]:
        assert data is not None
        try:
            return service.put_evidence(
                session,
                ctx=scope,
                evidence_id=evidence_id,
                data=data,
                reason=values["reason"],
                if_match=version if item is not None else None,
            )
        except Conflict as exc:
            conflicts.append(exc)  # a stale edit answers 409, as the API does
            raise

    saved = attempt(session, errors, save) if data is not None else None
    if saved is not None:
        view, created = saved
        notice = "added" if created or item is None else "saved"
        return see_other(f"/reviews/{scope.review.id}/evidence/{view.id}?notice={notice}")
    return _form_page(
        request,
        session,
        scope,
        evidence_id=evidence_id,
        values=values,
        item=item,
        version=version,
        errors=errors,
        status_code=conflicts[0].status_code if conflicts else None,
    )


@router.get(PAGES + "/evidence/new", response_class=HTMLResponse)
def new_evidence_page(request: Request, session: SessionDep, scope: WriteEvidence) -> Response:
    """A blank form with a fresh id, so resubmitting it can never store two items."""
    values = _blank_values()
    values["collected_on"] = utcnow().date().isoformat()
    values["collected_by"] = str(scope.user.id)
    return _form_page(request, session, scope, evidence_id=service.new_id(), values=values)


@router.post(PAGES + "/evidence/new", response_class=HTMLResponse)
def add_evidence(request: Request, session: SessionDep, form: FormDep, scope: WriteEvidence) -> Response:
    try:
        evidence_id = service.canonical_id(text_fields(form).get("id", ""))
    except Invalid:
        # Only a tampered form lacks a good id: start the item afresh rather than fail.
        evidence_id = service.new_id()
    return _save(request, session, scope, form, evidence_id=evidence_id, item=None)


def _item_to_change(session: SessionDep, evidence_id: str, scope: WriteEvidence) -> EvidencePublic:
    """The evidence item in the path, for a page that changes or deletes it (never a deleted one)."""
    return service.get_evidence(session, review=scope.review, evidence_id=evidence_id)


# The item in the path, found once the person may write evidence.
ItemToChange = Annotated[EvidencePublic, Depends(_item_to_change)]


@router.get(ITEM_PAGE + "/edit", response_class=HTMLResponse)
def edit_evidence_page(
    request: Request, session: SessionDep, item: ItemToChange, scope: WriteEvidence
) -> Response:
    return _form_page(
        request, session, scope, evidence_id=item.id, values=_values_of(item), item=item, version=item.version
    )


@router.post(ITEM_PAGE + "/edit", response_class=HTMLResponse)
def save_evidence(
    request: Request, session: SessionDep, form: FormDep, item: ItemToChange, scope: WriteEvidence
) -> Response:
    return _save(request, session, scope, form, evidence_id=item.id, item=item)


# The list -------------------------------------------------------------------------------------------


def _options(rules: EvidenceRules, team: Mapping[int, str] | None = None) -> dict[str, Any]:
    """(value, words) pairs for every choice on the form and the filters, in framework order."""
    framework = rules.framework
    people = team if team is not None else rules.team
    return {
        "domains": [(d.key, d.name) for d in framework.domains],
        "line_groups": [(d.name, [(line.ref, line.question) for line in d.lines]) for d in framework.domains],
        "categories": [(c.key, c.name) for c in framework.evidence_categories],
        "source_types": [(s.key, s.name) for s in framework.source_types],
        "stages": [(s.key, s.name) for s in framework.pathway_stages],
        "polarities": [(p, POLARITY_WORDS[p]) for p in POLARITIES],
        "partners": [
            (str(org.id), f"{org.name} ({ORG_TYPE_WORDS.get(org.org_type, org.org_type)})")
            for org in sorted(rules.partners.values(), key=lambda org: org.name.lower())
        ],
        "team": [(str(uid), name) for uid, name in sorted(people.items(), key=lambda pair: pair[1].lower())],
    }


@router.get(PAGES + "/evidence", response_class=HTMLResponse)
def evidence_list_page(
    request: Request,
    session: SessionDep,
    filters: Annotated[EvidenceFilters, Query()],
    scope: ReadEvidence,
) -> Response:
    can_see_deleted = scope.can(Action.restore_evidence)
    if not can_see_deleted:
        filters.include_deleted = False
    if "per_page" not in request.query_params:
        filters.per_page = PER_PAGE
    errors = FormErrors()
    try:
        found = service.list_evidence(session, review=scope.review, filters=filters)
    except Invalid as exc:
        # A filter link from an older framework version: show everything and say why.
        errors.add_error(exc)
        found = service.list_evidence(
            session, review=scope.review, filters=EvidenceFilters(per_page=PER_PAGE)
        )
    rules = service.evidence_rules(session, scope.review)
    active = filters.active()

    def page_link(number: int) -> str:
        query = {**active, "page": number}
        if "per_page" in request.query_params:
            query["per_page"] = filters.per_page
        return f"?{urlencode(query)}"

    # The list still shows (everything), so it answers 200 even when a filter was refused.
    return review_page(
        request,
        scope,
        "evidence/list.html",
        active="evidence",
        title="Evidence",
        page=found,
        filters=filters,
        active_filters=active,
        more_filters_used=any(k not in ("q",) for k in active),
        options=_options(rules),
        excerpts={item.id: plain_excerpt(item.narrative, 220) for item in found.items},
        polarity_words=POLARITY_WORDS,
        page_link=page_link,
        can_see_deleted=can_see_deleted,
        flash=_notice(request),
        errors=errors,
        status_code=200,
    )


# One item --------------------------------------------------------------------------------------------


def _content_of(item: EvidencePublic) -> dict[str, Any]:
    """The current content in the shape history snapshots have, to say what each change altered."""
    return {
        "title": item.title,
        "narrative": item.narrative,
        "quote": item.quote,
        "polarity": item.polarity,
        "category": item.category,
        "source_type": item.source_type,
        "lines": [line.ref for line in item.lines],
        "stages": [stage.key for stage in item.stages],
        "organisations": [org.id for org in item.organisations],
        "collected_on": item.collected_on.isoformat(),
        "collected_by": item.collected_by.id,
        "tags": item.tags,
    }


def _changes(history: list[Any], current: dict[str, Any]) -> dict[int, list[str]]:
    """For each previous version, the fields (in words) its replacement changed."""
    changed: dict[int, list[str]] = {}
    newer = current
    for version in history:  # newest first
        changed[version.version] = [
            words
            for field, words in FIELD_WORDS.items()
            if sorted(map(str, _as_list(version.content.get(field))))
            != sorted(map(str, _as_list(newer.get(field))))
        ]
        newer = version.content
    return changed


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@router.get(ITEM_PAGE, response_class=HTMLResponse)
def evidence_page(request: Request, session: SessionDep, evidence_id: str, scope: ReadEvidence) -> Response:
    can_restore = scope.can(Action.restore_evidence)
    item = service.get_evidence(
        session, review=scope.review, evidence_id=evidence_id, include_deleted=can_restore
    )
    history = service.evidence_history(
        session, review=scope.review, evidence_id=item.id, include_deleted=can_restore
    )
    framework = changes.review_framework(session, scope.review)
    return review_page(
        request,
        scope,
        "evidence/detail.html",
        active="evidence",
        title=item.title,
        evidence=item,
        history=history.versions,
        changes=_changes(history.versions, _content_of(item)),
        version_html={
            v.version: render_markdown(str(v.content.get("narrative", ""))) for v in history.versions
        },
        people={v.replaced_by.id: v.replaced_by.name for v in history.versions},
        framework=framework,
        polarity_words=POLARITY_WORDS,
        can_write=scope.can(Action.write_evidence) and not item.deleted,
        can_restore=can_restore and item.deleted,
        attachment_upload=attachment_upload_context(scope.review.id or 0, item.id),
        flash=_notice(request),
        saved_id=item.id if request.query_params.get("notice") in ("added", "saved") else "",
    )


@router.get(ITEM_PAGE + "/delete", response_class=HTMLResponse)
def confirm_delete_page(request: Request, item: ItemToChange, scope: WriteEvidence) -> Response:
    title = f"Delete: {item.title}"
    return review_page(
        request, scope, "evidence/confirm_delete.html", active="evidence", title=title, evidence=item
    )


@router.post(ITEM_PAGE + "/delete", response_class=HTMLResponse)
def delete_evidence(session: SessionDep, form: FormDep, evidence_id: str, scope: WriteEvidence) -> Response:
    reason = text_fields(form).get("reason", "")
    service.delete_evidence(session, ctx=scope, evidence_id=evidence_id, reason=reason[:2000])
    return see_other(f"/reviews/{scope.review.id}/evidence?notice=deleted")


@router.post(ITEM_PAGE + "/restore", response_class=HTMLResponse)
def restore_evidence(session: SessionDep, evidence_id: str, scope: RestoreEvidence) -> Response:
    item = service.restore_evidence(session, ctx=scope, evidence_id=evidence_id)
    return see_other(f"/reviews/{scope.review.id}/evidence/{item.id}?notice=restored")


# Coverage ----------------------------------------------------------------------------------------------


@router.get(PAGES + "/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, session: SessionDep, scope: ReadEvidence) -> Response:
    coverage = service.review_coverage(session, scope.review)
    framework = changes.review_framework(session, scope.review)
    return review_page(
        request,
        scope,
        "evidence/coverage.html",
        active="coverage",
        title="Evidence coverage",
        coverage=coverage,
        framework=framework,
        lines_by_domain={
            domain.key: [line for line in coverage.lines if line.domain_key == domain.key]
            for domain in coverage.domains
        },
    )
