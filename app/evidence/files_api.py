"""JSON routes for evidence files: attachments, bulk import and export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from fastapi.responses import FileResponse, StreamingResponse

from app.accounts.permissions import Action
from app.core.db import session_scope
from app.core.deps import RowId, SessionDep
from app.core.errors import Forbidden
from app.evidence import attachments, exporting, importing
from app.evidence.files_schemas import AttachmentPublic, ImportReport
from app.reviews.access import ReviewScope
from app.reviews.deps import ReadEvidence, WriteEvidence
from app.reviews.models import Review

router = APIRouter(prefix="/api/v1/reviews/{review_id}/evidence", tags=["evidence files"])
ATTACHMENTS = "/{evidence_id}/attachments"

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Downloads are never rendered by the browser as a page of ours: no scripts, no plugins.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-cache",
}


def sees_deleted(scope: ReviewScope) -> bool:
    """Deleted evidence and files stay visible to those who can restore evidence (the lead)."""
    return scope.can(Action.restore_evidence)


@router.post(
    ATTACHMENTS,
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentPublic,
    responses={413: {"description": "Larger than the size limit"}, 422: {"description": "Type not accepted"}},
    summary="Attach a file to an item of evidence",
)
def upload_attachment(
    session: SessionDep,
    response: Response,
    evidence_id: str,
    file: Annotated[UploadFile, File(description="The file: a document, image, text or audio recording.")],
    scope: WriteEvidence,
) -> AttachmentPublic:
    attachment = attachments.add_attachment(
        session,
        ctx=scope,
        evidence_id=evidence_id,
        filename=file.filename or "",
        source=file.file,
    )
    public = AttachmentPublic.of(attachment, review_id=scope.review.id or 0)
    response.headers["Location"] = public.url
    return public


@router.get(ATTACHMENTS, response_model=list[AttachmentPublic], summary="Files attached to an item")
def list_attachments(
    session: SessionDep,
    evidence_id: str,
    scope: ReadEvidence,
    include_deleted: Annotated[bool, Query(description="Also deleted files (review lead only).")] = False,
) -> list[AttachmentPublic]:
    if include_deleted and not sees_deleted(scope):
        raise Forbidden("only the review lead can see deleted files", field="include_deleted")
    found = attachments.list_attachments(
        session,
        review=scope.review,
        evidence_id=evidence_id,
        see_deleted=sees_deleted(scope),
        include_deleted_files=include_deleted,
    )
    return [AttachmentPublic.of(a, review_id=scope.review.id or 0) for a in found]


@router.get(
    ATTACHMENTS + "/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"description": "The file's bytes, as a download"}},
    summary="Download an attached file",
)
def download_attachment(
    session: SessionDep,
    evidence_id: str,
    attachment_id: RowId,
    scope: ReadEvidence,
) -> FileResponse:
    attachment, path = attachments.get_attachment(
        session,
        review=scope.review,
        evidence_id=evidence_id,
        attachment_id=attachment_id,
        see_deleted=sees_deleted(scope),
    )
    return FileResponse(
        path,
        media_type=attachment.content_type,
        headers={
            **DOWNLOAD_HEADERS,
            "Content-Disposition": attachments.content_disposition(attachment.original_name),
        },
    )


@router.delete(
    ATTACHMENTS + "/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an attached file (kept in the audit trail)",
)
def delete_attachment(
    session: SessionDep,
    evidence_id: str,
    attachment_id: RowId,
    scope: WriteEvidence,
) -> Response:
    attachments.delete_attachment(
        session,
        ctx=scope,
        evidence_id=evidence_id,
        attachment_id=attachment_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/import",
    response_model=ImportReport,
    responses={422: {"description": "Problems found: nothing imported; the body lists every one"}},
    summary="Import evidence from a CSV or Excel file (all rows or none)",
)
def import_evidence(
    session: SessionDep,
    file: Annotated[
        UploadFile, File(description="CSV (UTF-8) or Excel (.xlsx); the first row names the columns.")
    ],
    scope: WriteEvidence,
    mapping: Annotated[
        str,
        Form(
            description='JSON object of our field -> your column header, e.g. {"lines": "KLOE"}. '
            "Columns named like a field are found without it."
        ),
    ] = "",
    dry_run: Annotated[bool, Form(description="Check every row and report; store nothing.")] = False,
) -> ImportReport:
    return importing.import_evidence(
        session,
        ctx=scope,
        filename=file.filename or "",
        source=file.file,
        mapping=importing.parse_mapping(mapping),
        dry_run=dry_run,
    )


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "Every live item, one row each"}},
    summary="Export evidence as CSV",
)
def export_csv(scope: ReadEvidence) -> StreamingResponse:
    # The request's session is closed when this returns; the stream reads batch by batch in
    # a read-only session of its own for as long as the body takes to send.
    review_id = scope.review.id

    def chunks() -> Iterator[bytes]:
        with session_scope(read_only=True) as session:
            review = session.get(Review, review_id)
            if review is None:
                return  # deleted while the download started: an empty body, not a broken stream
            yield from exporting.csv_chunks(exporting.export_rows(session, review=review))

    name = exporting.export_filename(scope.review, "csv")
    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={**DOWNLOAD_HEADERS, "Content-Disposition": attachments.content_disposition(name)},
    )


@router.get(
    "/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {}}, "description": "Every live item, one row each"}},
    summary="Export evidence as an Excel workbook",
)
def export_xlsx(session: SessionDep, scope: ReadEvidence) -> Response:
    rows = exporting.export_rows(session, review=scope.review)
    body = exporting.xlsx_bytes(rows, title=f"Evidence: {scope.review.title}")
    name = exporting.export_filename(scope.review, "xlsx")
    return Response(
        body,
        media_type=XLSX_TYPE,
        headers={**DOWNLOAD_HEADERS, "Content-Disposition": attachments.content_disposition(name)},
    )
