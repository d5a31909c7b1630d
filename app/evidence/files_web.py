"""Web pages for evidence files: the spreadsheet import page, and attaching or removing files
from the evidence detail page (whose template includes `evidence_files/upload_form.html`).

Forms post here; success redirects (Post/Redirect/Get) to a page that says what happened.
When the service refuses, the page is shown again with the error summary at the top.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.accounts.permissions import Action
from app.core.config import get_settings
from app.core.deps import SessionDep
from app.core.errors import DomainError, Invalid
from app.evidence import attachments, importing
from app.evidence import service as evidence_service
from app.evidence.files_schemas import ImportReport
from app.evidence.filetypes import accept_attribute, accepted_summary
from app.reviews.access import ReviewScope
from app.reviews.deps import review_scope
from app.web.templating import render

router = APIRouter(include_in_schema=False)

# How many problems the import page lists; the count says how many more there are.
PROBLEMS_SHOWN = 500
# A select value meaning "this field is not in the file" (a header can never be empty).
NOT_IN_FILE = "-"
MAP_PREFIX = "map_"

# What each column holds, for the people preparing a spreadsheet.
FIELD_HELP: dict[str, str] = {
    "id": "Leave empty for new items. An exported file fills it in, so importing it again updates "
    "those items instead of adding copies.",
    "title": "A short title, up to 300 characters.",
    "narrative": "What was found. Markdown is allowed.",
    "lines": "Refs such as SV1. Several go in one cell, separated by ';' or ','.",
    "category": "The name or key of one evidence category.",
    "source_type": "The name or key of one source type.",
    "polarity": "strength, concern or context.",
    "collected_on": "A date such as 2024-05-03 or 03/05/2024. Today when empty.",
    "collected_by": "A team member's name or email address. You, when empty.",
    "stages": "Names or keys of pathway stages, separated by ';'.",
    "organisations": "Names of partner organisations, separated by ';'.",
    "quote": "An anonymised quote.",
    "tags": "Short tags, separated by ';' or ','.",
}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] if message else message


def _error_context(exc: DomainError, field_ids: dict[str, str]) -> dict[str, Any]:
    """The error summary and the message beside the field, for a refusal naming `exc.field`."""
    field_id = field_ids.get(exc.field or "", "")
    message = _sentence(exc.message)
    return {
        "errors": [{"field": field_id, "message": message}],
        "field_errors": {exc.field: message} if exc.field else {},
    }


def _upload(value: object) -> UploadFile | None:
    """The uploaded file of a form field, or None when no file was chosen."""
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


# Attachments -------------------------------------------------------------------------------------


def attachment_upload_context(review_id: int, evidence_id: str) -> dict[str, Any]:
    """What `evidence_files/upload_form.html` needs, as `attachment_upload` in the page context."""
    limit = get_settings().max_attachment_bytes
    return {
        "action": f"/reviews/{review_id}/evidence/{evidence_id}/attachments",
        "accept": accept_attribute(),
        "hint": f"You can attach {accepted_summary()}. Up to {attachments.describe_size(limit)} each.",
        "max_bytes": limit,
        "max_size": attachments.describe_size(limit),
    }


def _detail_url(review_id: int, evidence_id: str) -> str:
    return f"/reviews/{review_id}/evidence/{evidence_id}"


@router.post("/reviews/{review_id}/evidence/{evidence_id}/attachments")
async def attach_file(
    request: Request,
    session: SessionDep,
    evidence_id: str,
    scope: ReviewScope = review_scope(Action.write_evidence),
) -> Response:
    form = await request.form()
    upload = _upload(form.get("file"))
    evidence_id_canonical = attachments.canonical_evidence_id(evidence_id)
    try:
        if upload is None:
            raise Invalid("choose a file to attach", field="file")
        attachments.add_attachment(
            session,
            review=scope.review,
            evidence_id=evidence_id_canonical,
            user_id=scope.user.id or 0,
            filename=upload.filename or "",
            source=upload.file,
        )
    except DomainError as exc:
        if exc.status_code not in (413, 422):
            raise
        session.rollback()
        return _upload_failed(request, session, scope, evidence_id_canonical, exc)
    return _see_other(_detail_url(scope.review.id or 0, evidence_id_canonical) + "?attached=1#attachments")


def _upload_failed(
    request: Request, session: Session, scope: ReviewScope, evidence_id: str, exc: DomainError
) -> Response:
    item = evidence_service.get_evidence(session, review=scope.review, evidence_id=evidence_id)
    return render(
        request,
        "evidence_files/upload_failed.html",
        {
            "page_title": "The file was not attached",
            "review": scope.review,
            "scope": scope,
            "active": "evidence",
            "evidence": item,
            "attachment_upload": attachment_upload_context(scope.review.id or 0, item.id),
            **_error_context(exc, {"file": "file"}),
        },
        status_code=exc.status_code,
    )


@router.get("/reviews/{review_id}/evidence/{evidence_id}/attachments/{attachment_id}/remove")
def confirm_remove_file(
    request: Request,
    session: SessionDep,
    evidence_id: str,
    attachment_id: int,
    scope: ReviewScope = review_scope(Action.write_evidence),
) -> Response:
    attachment, _ = attachments.get_attachment(
        session, review=scope.review, evidence_id=evidence_id, attachment_id=attachment_id
    )
    item = evidence_service.get_evidence(session, review=scope.review, evidence_id=evidence_id)
    return render(
        request,
        "evidence_files/confirm_remove.html",
        {
            "page_title": f"Remove {attachment.original_name}?",
            "review": scope.review,
            "scope": scope,
            "active": "evidence",
            "evidence": item,
            "attachment": attachment,
            "size": attachments.describe_size(attachment.size),
        },
    )


@router.post("/reviews/{review_id}/evidence/{evidence_id}/attachments/{attachment_id}/remove")
def remove_file(
    session: SessionDep,
    evidence_id: str,
    attachment_id: int,
    scope: ReviewScope = review_scope(Action.write_evidence),
) -> Response:
    removed = attachments.delete_attachment(
        session,
        review=scope.review,
        evidence_id=evidence_id,
        attachment_id=attachment_id,
        user_id=scope.user.id or 0,
    )
    return _see_other(_detail_url(scope.review.id or 0, removed.evidence_id) + "?file_removed=1#attachments")


# Import ------------------------------------------------------------------------------------------


def _field_rows(session: Session, scope: ReviewScope) -> list[dict[str, Any]]:
    """Each importable field with what to put in it and the headers recognised for it."""
    rules = evidence_service.evidence_rules(session, scope.review)
    required = importing.required_fields(rules, actor_id=scope.user.id or 0)
    fw = rules.framework
    allowed = {
        "category": [c.name for c in fw.evidence_categories],
        "source_type": [s.name for s in fw.source_types],
        "stages": [s.name for s in fw.pathway_stages],
        "organisations": sorted(o.name for o in rules.partners.values()),
    }
    return [
        {
            "name": name,
            "label": importing.FIELD_LABELS[name],
            "help": FIELD_HELP[name],
            "required": name in required,
            "allowed": allowed.get(name, []),
            "recognised": importing.recognised_headers(name),
        }
        for name in importing.FIELDS
    ]


def _import_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    report: ImportReport | None = None,
    columns: list[str] | None = None,
    mapping: dict[str, str] | None = None,
    staged: dict[str, str] | None = None,
    done: dict[str, int] | None = None,
    error: DomainError | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {"errors": [], "field_errors": {}}
    if error is not None:
        context = _error_context(error, {"file": "file", "mapping": "mapping"})
    elif report is not None and report.problems:
        bad_rows = len({p.row for p in report.problems})
        message = (
            f"{bad_rows} {'row has' if bad_rows == 1 else 'rows have'} problems. Nothing has been imported: "
            "fix them in your spreadsheet and check the file again."
        )
        context = {"errors": [{"field": "import-problems", "message": message}], "field_errors": {}}
    limit = get_settings().max_attachment_bytes
    return render(
        request,
        "evidence_files/import.html",
        {
            "page_title": "Import evidence from a spreadsheet",
            "review": scope.review,
            "scope": scope,
            "active": "evidence",
            "fields": _field_rows(session, scope),
            "report": report,
            "problems_shown": PROBLEMS_SHOWN,
            "columns": columns,
            "mapping": mapping or {},
            "not_in_file": NOT_IN_FILE,
            "staged": staged,
            "done": done,
            "max_rows": importing.MAX_ROWS,
            "max_bytes": limit,
            "max_size": attachments.describe_size(limit),
            "accept": accept_attribute(importing.ACCEPTED_EXTENSIONS),
            **context,
        },
        status_code=status_code,
    )


@router.get("/reviews/{review_id}/evidence/import")
def import_page(
    request: Request,
    session: SessionDep,
    imported: int | None = None,
    updated: int | None = None,
    unchanged: int | None = None,
    scope: ReviewScope = review_scope(Action.write_evidence),
) -> Response:
    done = None
    if imported is not None:
        # Numbers only come from the query string: the sentence around them is ours.
        done = {
            "created": max(imported, 0),
            "updated": max(updated or 0, 0),
            "unchanged": max(unchanged or 0, 0),
        }
    return _import_page(request, session, scope, done=done)


def _mapping_from_form(form: Any) -> tuple[dict[str, str], bool]:
    """The mapping the form sends: from the column selects after a check (explicit, `-` for "not
    in the file"), or from the text boxes before one (empty means "recognise it by name")."""
    chosen = form.get("mapping_mode") == "columns"
    mapping: dict[str, str] = {}
    for name in importing.FIELDS:
        value = form.get(MAP_PREFIX + name)
        if not isinstance(value, str):
            continue
        value = value.strip()
        if chosen:
            mapping[name] = "" if value == NOT_IN_FILE else value
        elif value:
            mapping[name] = value
    return mapping, chosen


@router.post("/reviews/{review_id}/evidence/import")
async def import_file(
    request: Request,
    session: SessionDep,
    scope: ReviewScope = review_scope(Action.write_evidence),
) -> Response:
    form = await request.form()
    dry_run = form.get("action") != "import"
    mapping, _ = _mapping_from_form(form)
    upload = _upload(form.get("file"))
    review_id = scope.review.id or 0
    staged: dict[str, str] | None = None
    try:
        if upload is not None:
            filename = attachments.clean_filename(upload.filename or "")
            incoming, file_type = attachments.receive_upload(
                filename, upload.file, accept=importing.ACCEPTED_EXTENSIONS, field=importing.FILE_FIELD
            )
            try:
                token = importing.stage_file(review_id, incoming, file_type)
            finally:
                incoming.discard()
            incoming, file_type = importing.staged_file(review_id, token)
        else:
            token = str(form.get("staged") or "")
            filename = attachments.clean_filename(str(form.get("staged_name") or ""))
            if not token:
                raise Invalid("choose the spreadsheet file to import", field=importing.FILE_FIELD)
            incoming, file_type = importing.staged_file(review_id, token)
        staged = {"token": token, "name": filename}
        report = importing.import_file(
            session,
            review=scope.review,
            user=scope.user,
            filename=filename,
            incoming=incoming,
            file_type=file_type,
            mapping=mapping,
            dry_run=dry_run,
        )
    except importing.ImportRejected as exc:
        session.rollback()
        return _import_page(
            request,
            session,
            scope,
            report=exc.report,
            columns=exc.report.columns,
            mapping=exc.report.mapping,
            staged=staged,
            status_code=422,
        )
    except DomainError as exc:
        if exc.status_code not in (413, 422):
            raise
        session.rollback()
        columns = _columns_of(review_id, staged)
        return _import_page(
            request,
            session,
            scope,
            columns=columns,
            mapping=importing.suggest_mapping(columns, mapping) if columns else mapping,
            staged=staged,
            error=exc,
            status_code=exc.status_code,
        )
    if dry_run:
        return _import_page(
            request,
            session,
            scope,
            report=report,
            columns=report.columns,
            mapping=report.mapping,
            staged=staged,
        )
    incoming.discard()  # imported: the kept copy has done its job
    return _see_other(
        f"/reviews/{review_id}/evidence/import?imported={report.created}"
        f"&updated={report.updated}&unchanged={report.unchanged + report.duplicates}"
    )


def _columns_of(review_id: int, staged: dict[str, str] | None) -> list[str] | None:
    """The headers of a kept file, to offer in the column selects after a mapping problem."""
    if staged is None:
        return None
    try:
        incoming, file_type = importing.staged_file(review_id, staged["token"])
        return importing.read_headers(incoming, file_type)
    except DomainError:
        return None
