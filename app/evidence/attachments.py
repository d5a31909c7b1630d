"""Files attached to evidence: stored once by content, checked by content, soft-deleted.

The bytes live on disk under `settings.attachments_dir`, named by their SHA-256 and sharded
into two levels of folders (`ab/cd/abcd...`); the database keeps who attached what, when,
under which name and with which content type. The client's file name is metadata only: it
never becomes part of a path, and the served content type comes from the content check in
`filetypes`, never from the client.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.errors import Conflict, Invalid, NotFound, TooLarge
from app.core.timeutil import utcnow
from app.evidence import filetypes
from app.evidence.models import Attachment, Evidence
from app.evidence.service import writer_id
from app.reviews import changes
from app.reviews.access import WriteContext
from app.reviews.changes import Write
from app.reviews.models import Review

ENTITY = "attachment"
_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
FILE_FIELD = "file"


# ---------------------------------------------------------------------------------------------
# Storage: content-addressed files on disk. The seam where an object store can replace the disk.
# ---------------------------------------------------------------------------------------------


@dataclass
class IncomingFile:
    """An upload copied to a temporary file beside the store, hashed and measured on the way."""

    path: Path
    sha256: str
    size: int

    def open(self) -> BinaryIO:
        return self.path.open("rb")

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class BlobStore:
    """Files named by their SHA-256 under one root folder."""

    def __init__(self, root: Path):
        self.root = root

    def path_for(self, sha256: str) -> Path:
        """Where the content with this digest lives (whether or not it is stored yet)."""
        if not _SHA256.match(sha256):
            raise ValueError("not a SHA-256 digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def receive(self, source: BinaryIO, *, limit: int, field: str = FILE_FIELD) -> IncomingFile:
        """Copy `source` to a temporary file in the store's folder, stopping as soon as it
        passes `limit` bytes (TooLarge naming `field`; nothing is left behind)."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        path = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := source.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(
                            f"the file is larger than the limit of {describe_size(limit)}", field=field
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return IncomingFile(path, digest.hexdigest(), size)

    def keep(self, incoming: IncomingFile) -> Path:
        """Move an incoming file into place under its digest. Identical content is stored once:
        when it is already there, the new copy is dropped. The rename is atomic, so a reader
        never sees a half-written file."""
        target = self.path_for(incoming.sha256)
        if target.exists():
            incoming.discard()
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming.path, target)
        return target


def store() -> BlobStore:
    """The attachment store configured for this process."""
    return BlobStore(get_settings().attachments_dir)


def describe_size(size: int) -> str:
    """A size for people: '20 MB', '512 KB', '900 bytes'."""
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return f"{value:.0f} MB" if value == int(value) or value >= 10 else f"{value:.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def receive_upload(
    filename: str,
    source: BinaryIO,
    *,
    accept: Collection[str] | None = None,
    field: str = FILE_FIELD,
) -> tuple[IncomingFile, filetypes.FileType]:
    """Copy an upload beside the store within the size limit and check its type by content.

    Returns the incoming file (still temporary: the caller keeps or discards it) and its
    accepted type. Raises TooLarge or Invalid naming `field`, leaving nothing on disk.
    """
    limit = get_settings().max_attachment_bytes
    incoming = store().receive(source, limit=limit, field=field)
    try:
        if incoming.size == 0:
            raise Invalid("the file is empty: choose the file again", field=field)
        with incoming.open() as stream:
            file_type = filetypes.identify(filename, stream, accept=accept)
    except filetypes.UnacceptableFile as exc:
        incoming.discard()
        raise Invalid(str(exc), field=field) from exc
    except BaseException:
        incoming.discard()
        raise
    return incoming, file_type


# ---------------------------------------------------------------------------------------------
# File names: kept as metadata, made safe for display and for Content-Disposition.
# ---------------------------------------------------------------------------------------------


def clean_filename(filename: str, *, fallback_extension: str = "") -> str:
    """The client's file name reduced to a safe display name: the last path part only, no
    control or format characters, no quotes, at most 255 characters (extension kept)."""
    base = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in '"<>|*?:')
    base = " ".join(base.split()).strip(" .")
    if not base:
        base = "attachment" + (f".{fallback_extension}" if fallback_extension else "")
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 255 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 16 else base[:255]
    return base


# Typographic punctuation people's file names often hold, and its plain ASCII form.
_ASCII_PUNCTUATION = str.maketrans(
    {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u2026": "..."}
)


def ascii_filename(filename: str) -> str:
    """A plain-ASCII stand-in for a file name, for clients that ignore `filename*`."""
    characters = []
    for ch in unicodedata.normalize("NFKD", clean_filename(filename).translate(_ASCII_PUNCTUATION)):
        if ch.isascii():
            characters.append(ch)
        elif unicodedata.category(ch) != "Mn":  # accents fall away; other letters become "_"
            characters.append("_")
    text = re.sub(r"[^A-Za-z0-9 ._()+,'&!\[\]-]", "_", "".join(characters))
    return " ".join(text.split()) or "attachment"


def content_disposition(filename: str) -> str:
    """An `attachment` disposition: an ASCII fallback name plus the exact name as RFC 5987 filename*."""
    name = clean_filename(filename)
    return f"attachment; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


# ---------------------------------------------------------------------------------------------
# Use cases.
# ---------------------------------------------------------------------------------------------


def canonical_evidence_id(evidence_id: str) -> str:
    """Evidence ids are UUIDs kept in canonical lower-case form; anything else is not found."""
    try:
        return str(uuid.UUID(str(evidence_id)))
    except ValueError as exc:
        raise NotFound("evidence not found") from exc


def _evidence(session: Session, review: Review, evidence_id: str, *, see_deleted: bool) -> Evidence:
    evidence = session.get(Evidence, canonical_evidence_id(evidence_id))
    if evidence is None or evidence.review_id != review.id:
        raise NotFound("evidence not found")
    if evidence.deleted_at is not None and not see_deleted:
        # A deleted item hides its files too, from everyone but the lead.
        raise NotFound("evidence not found")
    return evidence


def add_attachment(
    session: Session,
    *,
    ctx: WriteContext,
    evidence_id: str,
    filename: str,
    source: BinaryIO,
) -> Attachment:
    """Attach an uploaded file to an evidence item.

    The upload is copied within the size limit, checked by content against its name, then
    stored under its SHA-256 (once, however many times it is attached). Recorded as a change to
    the review. Raises TooLarge / Invalid naming `file`, NotFound for unknown evidence and
    Conflict for deleted evidence.
    """
    evidence = _evidence(session, ctx.review, evidence_id, see_deleted=True)
    if evidence.deleted_at is not None:
        raise Conflict("this evidence has been deleted: restore it before attaching files")
    # Refuse a write the review no longer takes before the upload is read and kept.
    changes.check_accepts(ctx.review, Write.evidence)
    incoming, file_type = receive_upload(filename, source)
    store().keep(incoming)
    attachment = Attachment(
        evidence_id=evidence.id,
        sha256=incoming.sha256,
        size=incoming.size,
        content_type=file_type.content_type,
        original_name=clean_filename(filename, fallback_extension=file_type.extension),
        uploaded_by_id=writer_id(ctx),
    )
    session.add(attachment)
    session.flush()
    _record(session, ctx, attachment, action="create", before=None)
    return attachment


def _record(
    session: Session, ctx: WriteContext, attachment: Attachment, *, action: str, before: dict[str, Any] | None
) -> None:
    changes.record(
        session,
        ctx,
        write=Write.evidence,
        entity=ENTITY,
        entity_id=attachment.id,
        action=action,
        before=before,
        after=changes.snapshot(attachment),
    )


def list_attachments(
    session: Session,
    *,
    review: Review,
    evidence_id: str,
    see_deleted: bool = False,
    include_deleted_files: bool = False,
) -> list[Attachment]:
    """The files attached to one evidence item, oldest first. `see_deleted` (the lead) reaches
    the files of deleted evidence; `include_deleted_files` also lists removed files."""
    evidence = _evidence(session, review, evidence_id, see_deleted=see_deleted)
    query = select(Attachment).where(Attachment.evidence_id == evidence.id)
    if not include_deleted_files:
        query = query.where(col(Attachment.deleted_at).is_(None))
    return list(session.exec(query.order_by(col(Attachment.uploaded_at), col(Attachment.id))))


def get_attachment(
    session: Session, *, review: Review, evidence_id: str, attachment_id: int, see_deleted: bool = False
) -> tuple[Attachment, Path]:
    """One attachment and the path of its bytes on disk."""
    evidence = _evidence(session, review, evidence_id, see_deleted=see_deleted)
    attachment = session.get(Attachment, attachment_id)
    if (
        attachment is None
        or attachment.evidence_id != evidence.id
        or (attachment.deleted_at is not None and not see_deleted)
    ):
        raise NotFound("attachment not found")
    path = store().path_for(attachment.sha256)
    if not path.is_file():
        raise NotFound("the attachment's file is missing from the store; ask an administrator")
    return attachment, path


def delete_attachment(
    session: Session, *, ctx: WriteContext, evidence_id: str, attachment_id: int
) -> Attachment:
    """Soft-delete an attachment: it disappears from lists and downloads, the bytes stay on disk
    (other attachments may share them, and the audit trail can still account for it)."""
    evidence = _evidence(session, ctx.review, evidence_id, see_deleted=False)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.evidence_id != evidence.id or attachment.deleted_at is not None:
        raise NotFound("attachment not found")
    before = changes.snapshot(attachment)
    attachment.deleted_at = utcnow()
    attachment.deleted_by_id = writer_id(ctx)
    session.add(attachment)
    _record(session, ctx, attachment, action="delete", before=before)
    return attachment
