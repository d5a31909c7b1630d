"""Response shapes for evidence files: attachments and bulk imports."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from app.core.models_base import aware
from app.evidence.models import Attachment


class AttachmentPublic(BaseModel):
    """One file attached to an item of evidence."""

    id: int
    evidence_id: str
    name: str = Field(description="The file's name as uploaded (display only).")
    size: int = Field(description="Bytes.")
    content_type: str = Field(description="Decided from the file's content, not the uploader's claim.")
    sha256: str
    uploaded_by_id: int
    uploaded_at: dt.datetime
    deleted: bool
    url: str = Field(description="Where to download it.")

    @classmethod
    def of(cls, attachment: Attachment, *, review_id: int) -> AttachmentPublic:
        return cls(
            id=attachment.id or 0,
            evidence_id=attachment.evidence_id,
            name=attachment.original_name,
            size=attachment.size,
            content_type=attachment.content_type,
            sha256=attachment.sha256,
            uploaded_by_id=attachment.uploaded_by_id,
            uploaded_at=aware(attachment.uploaded_at),  # type: ignore[arg-type]
            deleted=attachment.deleted_at is not None,
            url=attachment_url(review_id, attachment.evidence_id, attachment.id or 0),
        )


def attachment_url(review_id: int, evidence_id: str, attachment_id: int) -> str:
    """The download route of an attachment."""
    return f"/api/v1/reviews/{review_id}/evidence/{evidence_id}/attachments/{attachment_id}"


class ImportProblem(BaseModel):
    """One thing wrong with one row, located as the user sees their spreadsheet."""

    row: int = Field(description="Row number in the spreadsheet (the header is row 1).")
    column: str = Field(description="The file's column header ('' when the field has no column).")
    field: str = Field(description="Our field name.")
    message: str


class ImportReport(BaseModel):
    """What an import did, or (for a dry run) would do."""

    file_name: str
    dry_run: bool
    rows: int = Field(description="Rows of evidence in the file (blank rows not counted).")
    valid_rows: int
    would_import: int = Field(description="Rows that would be (or were) stored: new or changed items.")
    created: int
    updated: int
    unchanged: int = Field(description="Rows whose item is already stored with the same content.")
    duplicates: int = Field(description="Rows repeating an earlier row of the file exactly; skipped.")
    imported: bool = Field(description="True when the rows were stored (never for a dry run).")
    problems: list[ImportProblem]
    mapping: dict[str, str] = Field(description="Our field -> the file's column, as used.")
    ignored_columns: list[str] = Field(description="The file's columns that nothing was taken from.")
    columns: list[str] = Field(description="Every column header found in the file.")
