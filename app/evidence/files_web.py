"""Web pages for evidence files: the spreadsheet import page, and attaching or removing files
from the evidence detail page (whose template includes `evidence_files/upload_form.html`).

Forms post here; success redirects (Post/Redirect/Get) to a page that says what happened.
When the service refuses, the page is shown again with the error summary at the top.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.core.config import get_settings
from app.core.deps import RowId, SessionDep
from app.core.errors import DomainError, Invalid, TooLarge
from app.evidence import attachments, importing
from app.evidence import service as evidence_service
from app.evidence.files_schemas import ImportReport
from app.evidence.filetypes import accept_attribute, accepted_summary
from app.evidence.importing import FILE_FIELD, MAPPING_FIELD
from app.evidence.models import Attachment
from app.reviews.access import ReviewScope
from app.reviews.deps import WriteEvidence
from app.web.kit import FormErrors, attempt, read_form, review_page, see_other

router = APIRouter(include_in_schema=False)

T = TypeVar("T")

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


def _attempt_upload(session: Session, errors: FormErrors, call: Callable[[], T]) -> tuple[T | None, int]:
    """`attempt` for a form that sends a file: a file over the size limit goes back to the form
    too. Returns the call's result, or None with the status the refused form answers."""
    try:
        result = attempt(session, errors, call)
    except TooLarge as exc:  # attempt has already undone what the call began
        errors.add_error(exc)
        return None, exc.status_code
    return result, 422


def _upload(value: object) -> UploadFile | None:
    """The uploaded file of a form field, or None when no file was chosen."""
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


# Attachments -------------------------------------------------------------------------------------


def attachment_upload_context(review_id: RowId, evidence_id: str) -> dict[str, Any]:
    """What `evidence_files/upload_form.html` needs, as `attachment_upload` in the page context."""
    limit = get_settings().max_attachment_bytes
    return {
        "action": f"/reviews/{review_id}/evidence/{evidence_id}/attachments",
        "accept": accept_attribute(),
        "hint": f"You can attach {accepted_summary()}. Up to {attachments.describe_size(limit)} each.",
        "max_bytes": limit,
        "max_size": attachments.describe_size(limit),
    }


def _detail_url(review_id: RowId, evidence_id: str) -> str:
    return f"/reviews/{review_id}/evidence/{evidence_id}"


@router.post("/reviews/{review_id}/evidence/{evidence_id}/attachments")
async def attach_file(
    request: Request,
    session: SessionDep,
    evidence_id: str,
    scope: WriteEvidence,
) -> Response:
    form = await read_form(request)
    upload = _upload(form.get(FILE_FIELD))
    evidence_id_canonical = attachments.canonical_evidence_id(evidence_id)

    def attach() -> Attachment:
        if upload is None:
            raise Invalid("choose a file to attach", field=FILE_FIELD)
        return attachments.add_attachment(
            session,
            ctx=scope,
            evidence_id=evidence_id_canonical,
            filename=upload.filename or "",
            source=upload.file,
        )

    errors = FormErrors(fields=(FILE_FIELD,))
    attached, status_code = _attempt_upload(session, errors, attach)
    if attached is None:
        return _upload_failed(request, session, scope, evidence_id_canonical, errors, status_code)
    return see_other(_detail_url(scope.review.id or 0, evidence_id_canonical) + "?attached=1#attachments")


def _upload_failed(
    request: Request,
    session: Session,
    scope: ReviewScope,
    evidence_id: str,
    errors: FormErrors,
    status_code: int,
) -> Response:
    item = evidence_service.get_evidence(session, review=scope.review, evidence_id=evidence_id)
    return review_page(
        request,
        scope,
        "evidence_files/upload_failed.html",
        active="evidence",
        title="The file was not attached",
        evidence=item,
        attachment_upload=attachment_upload_context(scope.review.id or 0, item.id),
        errors=errors,
        status_code=status_code,
    )


@router.get("/reviews/{review_id}/evidence/{evidence_id}/attachments/{attachment_id}/remove")
def confirm_remove_file(
    request: Request,
    session: SessionDep,
    evidence_id: str,
    attachment_id: RowId,
    scope: WriteEvidence,
) -> Response:
    attachment, _ = attachments.get_attachment(
        session, review=scope.review, evidence_id=evidence_id, attachment_id=attachment_id
    )
    item = evidence_service.get_evidence(session, review=scope.review, evidence_id=evidence_id)
    return review_page(
        request,
        scope,
        "evidence_files/confirm_remove.html",
        active="evidence",
        title=f"Remove {attachment.original_name}?",
        evidence=item,
        attachment=attachment,
        size=attachments.describe_size(attachment.size),
    )


@router.post("/reviews/{review_id}/evidence/{evidence_id}/attachments/{attachment_id}/remove")
def remove_file(
    session: SessionDep,
    evidence_id: str,
    attachment_id: RowId,
    scope: WriteEvidence,
) -> Response:
    removed = attachments.delete_attachment(
        session, ctx=scope, evidence_id=evidence_id, attachment_id=attachment_id
    )
    return see_other(_detail_url(scope.review.id or 0, removed.evidence_id) + "?file_removed=1#attachments")


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


# Where the import page's error summary links: the file, the mapping, the list of row problems.
IMPORT_PROBLEMS = "import-problems"
IMPORT_FIELDS = (FILE_FIELD, MAPPING_FIELD, IMPORT_PROBLEMS)


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
    errors: FormErrors | None = None,
    status_code: int | None = None,
) -> Response:
    errors = errors or FormErrors(fields=IMPORT_FIELDS)
    if report is not None and report.problems:
        bad_rows = len({p.row for p in report.problems})
        errors.add(
            IMPORT_PROBLEMS,
            f"{bad_rows} {'row has' if bad_rows == 1 else 'rows have'} problems. Nothing has been imported: "
            "fix them in your spreadsheet and check the file again.",
        )
    limit = get_settings().max_attachment_bytes
    return review_page(
        request,
        scope,
        "evidence_files/import.html",
        active="evidence",
        title="Import evidence from a spreadsheet",
        fields=_field_rows(session, scope),
        report=report,
        problems_shown=PROBLEMS_SHOWN,
        columns=columns,
        mapping=mapping or {},
        not_in_file=NOT_IN_FILE,
        staged=staged,
        done=done,
        max_rows=importing.MAX_ROWS,
        max_bytes=limit,
        max_size=attachments.describe_size(limit),
        accept=accept_attribute(importing.ACCEPTED_EXTENSIONS),
        errors=errors,
        # A dry run that found problems is a successful check: the page answers 200.
        status_code=status_code if status_code is not None else 200,
    )


@router.get("/reviews/{review_id}/evidence/import")
def import_page(
    request: Request,
    session: SessionDep,
    scope: WriteEvidence,
    imported: int | None = None,
    updated: int | None = None,
    unchanged: int | None = None,
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
async def import_file(request: Request, session: SessionDep, scope: WriteEvidence) -> Response:
    form = await read_form(request)
    dry_run = form.get("action") != "import"
    mapping, _ = _mapping_from_form(form)
    upload = _upload(form.get(FILE_FIELD))
    review_id = scope.review.id or 0
    staged: dict[str, str] | None = None
    rejected: list[importing.ImportRejected] = []

    def run() -> ImportReport:
        nonlocal staged
        if upload is not None:
            filename = attachments.clean_filename(upload.filename or "")
            incoming, file_type = attachments.receive_upload(
                filename, upload.file, accept=importing.ACCEPTED_EXTENSIONS, field=FILE_FIELD
            )
            try:
                token = importing.stage_file(review_id, incoming, file_type)
            finally:
                incoming.discard()
        else:
            token = str(form.get("staged") or "")
            filename = attachments.clean_filename(str(form.get("staged_name") or ""))
            if not token:
                raise Invalid("choose the spreadsheet file to import", field=FILE_FIELD)
        incoming, file_type = importing.staged_file(review_id, token)
        staged = {"token": token, "name": filename}
        try:
            report = importing.import_file(
                session,
                ctx=scope,
                filename=filename,
                incoming=incoming,
                file_type=file_type,
                mapping=mapping,
                dry_run=dry_run,
            )
        except importing.ImportRejected as exc:
            rejected.append(exc)  # the page lists its rows' problems rather than each in the summary
            raise
        if not dry_run:
            incoming.discard()  # imported: the kept copy has done its job
        return report

    errors = FormErrors(fields=IMPORT_FIELDS)
    report, status_code = _attempt_upload(session, errors, run)
    if rejected:
        found = rejected[0].report
        return _import_page(
            request,
            session,
            scope,
            report=found,
            columns=found.columns,
            mapping=found.mapping,
            staged=staged,
            status_code=422,
        )
    if report is None:
        columns = _columns_of(review_id, staged)
        return _import_page(
            request,
            session,
            scope,
            columns=columns,
            mapping=importing.suggest_mapping(columns, mapping) if columns else mapping,
            staged=staged,
            errors=errors,
            status_code=status_code,
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
    return see_other(
        f"/reviews/{review_id}/evidence/import?imported={report.created}"
        f"&updated={report.updated}&unchanged={report.unchanged + report.duplicates}"
    )


def _columns_of(review_id: RowId, staged: dict[str, str] | None) -> list[str] | None:
    """The headers of a kept file, to offer in the column selects after a mapping problem."""
    if staged is None:
        return None
    try:
        incoming, file_type = importing.staged_file(review_id, staged["token"])
        return importing.read_headers(incoming, file_type)
    except DomainError:
        return None
