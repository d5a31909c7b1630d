"""What an uploaded file really is: judged by its content, checked against its name.

A file is accepted only when its name ends in an allowed extension AND its bytes look
like that kind of file. The name alone is the client's claim; the content decides the
type we store and serve, so a program or web page renamed `.pdf` never reaches another
reviewer's browser as a "PDF".

Pure functions over a seekable binary stream: no database, no web (a ZIP's unpacked size is
judged against the settings' limits by `app.core.zipsafe`).
"""

from __future__ import annotations

import codecs
import struct
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from typing import BinaryIO

from app.core.zipsafe import ArchiveRefused, check_zip

# How much of the start of a file the signature checks look at.
_HEAD_BYTES = 4096
_TEXT_CHUNK = 64 * 1024
# Small members read from inside a ZIP to tell its kind; more than this is not a real one.
_ZIP_MEMBER_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    """One accepted kind of file, by extension."""

    extension: str  # without the dot, lower case
    content: str  # the content kind its bytes must sniff as (a key of CONTENT_NAMES)
    content_type: str  # what we store and serve, decided here and never taken from the client
    group: str  # how the hint groups it for people


_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_POWERPOINT = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

ACCEPTED: dict[str, FileType] = {
    t.extension: t
    for t in (
        FileType("pdf", "pdf", "application/pdf", "documents"),
        FileType("docx", "docx", _WORD, "documents"),
        FileType("xlsx", "xlsx", _EXCEL, "documents"),
        FileType("pptx", "pptx", _POWERPOINT, "documents"),
        FileType("doc", "doc", "application/msword", "documents"),
        FileType("xls", "xls", "application/vnd.ms-excel", "documents"),
        FileType("ppt", "ppt", "application/vnd.ms-powerpoint", "documents"),
        FileType("odt", "odt", "application/vnd.oasis.opendocument.text", "documents"),
        FileType("ods", "ods", "application/vnd.oasis.opendocument.spreadsheet", "documents"),
        FileType("odp", "odp", "application/vnd.oasis.opendocument.presentation", "documents"),
        FileType("png", "png", "image/png", "images"),
        FileType("jpg", "jpeg", "image/jpeg", "images"),
        FileType("jpeg", "jpeg", "image/jpeg", "images"),
        FileType("gif", "gif", "image/gif", "images"),
        FileType("webp", "webp", "image/webp", "images"),
        FileType("txt", "text", "text/plain; charset=utf-8", "text"),
        FileType("csv", "text", "text/csv; charset=utf-8", "text"),
        FileType("md", "text", "text/markdown; charset=utf-8", "text"),
        FileType("mp3", "mp3", "audio/mpeg", "audio"),
        FileType("m4a", "mp4", "audio/mp4", "audio"),
        FileType("mp4", "mp4", "video/mp4", "audio"),
        FileType("wav", "wav", "audio/wav", "audio"),
        FileType("ogg", "ogg", "audio/ogg", "audio"),
        FileType("oga", "ogg", "audio/ogg", "audio"),
        FileType("opus", "ogg", "audio/ogg", "audio"),
        FileType("webm", "webm", "audio/webm", "audio"),
    )
}

# What the content looks like, in words, for every kind `sniff` can report: accepted ones
# and the ones people most often send by mistake (or on purpose).
CONTENT_NAMES: dict[str, str] = {
    "pdf": "a PDF document",
    "docx": "a Word document",
    "xlsx": "an Excel workbook",
    "pptx": "a PowerPoint presentation",
    "doc": "a Word 97-2003 document",
    "xls": "an Excel 97-2003 workbook",
    "ppt": "a PowerPoint 97-2003 presentation",
    "odt": "an OpenDocument text document",
    "ods": "an OpenDocument spreadsheet",
    "odp": "an OpenDocument presentation",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "webp": "a WebP image",
    "text": "plain text",
    "mp3": "an MP3 audio file",
    "mp4": "an MP4 or M4A audio or video file",
    "wav": "a WAV audio file",
    "ogg": "an Ogg audio file",
    "webm": "a WebM audio or video file",
    # Refused kinds.
    "empty": "an empty file",
    "windows-program": "a Windows program",
    "linux-program": "a Linux program",
    "mac-program": "a macOS program",
    "script": "a script",
    "html": "a web page (HTML)",
    "svg": "an SVG image (which can carry scripts)",
    "xml": "an XML document",
    "macro-office": "a macro-enabled Office document",
    "office-97-other": "an Office 97-2003 file of a kind we do not accept",
    "opendocument-other": "an OpenDocument file of a kind we do not accept",
    "zip": "a ZIP archive",
    "damaged-zip": "a damaged ZIP archive",
    "gzip": "a gzip archive",
    "rar": "a RAR archive",
    "7z": "a 7-Zip archive",
    "heif": "a HEIC or AVIF image (save it as JPEG first)",
    "tiff": "a TIFF image",
    "bmp": "a BMP image",
    "rtf": "a Rich Text (RTF) document",
    "unknown": "data of an unrecognised kind",
}

# Markup stays refused even under a text name: it is what a browser would run.
_MARKUP = ("html", "svg")

_GROUP_WORDS = (
    ("documents", "documents"),
    ("images", "images"),
    ("text", "text"),
    ("audio", "audio"),
)


class UnacceptableFile(ValueError):
    """The file's name or content is not an accepted kind; the message says why, in plain words."""


def extension_of(filename: str) -> str:
    """The lower-case extension of a file name without the dot ('' when there is none)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if "." not in base.lstrip("."):
        return ""
    return base.rsplit(".", 1)[-1].lower()


def accepted_types(accept: Collection[str] | None = None) -> list[FileType]:
    """The accepted file types, optionally narrowed to some extensions, in a stable order."""
    return [t for ext, t in ACCEPTED.items() if accept is None or ext in accept]


def accepted_summary(accept: Collection[str] | None = None) -> str:
    """The accepted extensions for people, grouped: 'documents (.pdf, .docx...), images (...)'."""
    types = accepted_types(accept)
    parts = []
    for group, words in _GROUP_WORDS:
        exts = [f".{t.extension}" for t in types if t.group == group]
        if exts:
            parts.append(f"{words} ({', '.join(exts)})")
    return ", ".join(parts)


def accept_attribute(accept: Collection[str] | None = None) -> str:
    """The value for an HTML file input's `accept` attribute."""
    return ",".join(f".{t.extension}" for t in accepted_types(accept))


def identify(filename: str, stream: BinaryIO, *, accept: Collection[str] | None = None) -> FileType:
    """The accepted type of a file whose name and content agree; raise UnacceptableFile otherwise.

    `accept` narrows the allowed extensions (an import takes only spreadsheets, say).
    The stream is left positioned at its start.
    """
    ext = extension_of(filename)
    allowed = accepted_types(accept)
    if not ext:
        raise UnacceptableFile(
            f"the file name has no extension, so its type is unclear: send {accepted_summary(accept)}"
        )
    expected = ACCEPTED.get(ext)
    if expected is None or expected not in allowed:
        raise UnacceptableFile(f"files ending .{ext} are not accepted: send {accepted_summary(accept)}")
    kind = sniff(stream)
    if expected.content == "text" and kind not in ("text", *_MARKUP) and _by_text(stream) == "text":
        # Words that happen to begin like a signature ("ID3 notes", "MZ ward"...) are still
        # text: real binaries of those kinds hold NUL bytes or invalid UTF-8.
        kind = "text"
    stream.seek(0)
    if kind != expected.content:
        raise UnacceptableFile(
            f"the name ends .{ext} but the content looks like {CONTENT_NAMES[kind]}, "
            f"not {CONTENT_NAMES[expected.content]}"
        )
    return expected


def sniff(stream: BinaryIO) -> str:
    """The kind of content in the stream (a key of CONTENT_NAMES), judged by its bytes only."""
    stream.seek(0)
    head = stream.read(_HEAD_BYTES)
    stream.seek(0)
    try:
        if not head:
            return "empty"
        return _by_signature(head) or _by_container(stream, head) or _by_text(stream)
    finally:
        stream.seek(0)


# Kinds known by their first bytes alone, in two tables either side of the kinds that need a closer
# look (containers named further in, MP3 frames): the order of the checks is kept as it was tested.
_LEADING_MAGIC: tuple[tuple[tuple[bytes, ...], str], ...] = (
    ((b"%PDF-",), "pdf"),
    ((b"\x89PNG\r\n\x1a\n",), "png"),
    ((b"\xff\xd8\xff",), "jpeg"),
    ((b"GIF87a", b"GIF89a"), "gif"),
    ((b"OggS",), "ogg"),
)
_TRAILING_MAGIC: tuple[tuple[tuple[bytes, ...], str], ...] = (
    ((b"MZ",), "windows-program"),
    ((b"\x7fELF",), "linux-program"),
    ((b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"), "mac-program"),
    ((b"\xca\xfe\xba\xbe",), "mac-program"),  # also Java classes; refused either way
    ((b"#!",), "script"),
    ((b"\x1f\x8b",), "gzip"),
    ((b"Rar!\x1a\x07",), "rar"),
    ((b"7z\xbc\xaf\x27\x1c",), "7z"),
    ((b"II*\x00", b"MM\x00*"), "tiff"),
    ((b"{\\rtf",), "rtf"),
)


def _by_magic(head: bytes, table: tuple[tuple[tuple[bytes, ...], str], ...]) -> str | None:
    return next((kind for prefixes, kind in table if head.startswith(prefixes)), None)


def _by_signature(head: bytes) -> str | None:
    """Kinds recognisable from their first bytes alone."""
    if found := _by_magic(head, _LEADING_MAGIC):
        return found
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"WEBP": "webp", b"WAVE": "wav"}.get(head[8:12], "unknown")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _matroska(head)
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _iso_media(head[8:12])
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return "mp3"
    if found := _by_magic(head, _TRAILING_MAGIC):
        return found
    if head.startswith(b"BM") and len(head) >= 14 and struct.unpack_from("<I", head, 2)[0] > 14:
        return "bmp"
    return _markup(head)


def _matroska(head: bytes) -> str:
    # The EBML header names the document type; WebM is a Matroska profile, both allowed for .webm.
    return "webm" if b"webm" in head[:64] or b"matroska" in head[:64] else "unknown"


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}


def _iso_media(brand: bytes) -> str:
    return "heif" if brand in _HEIF_BRANDS else "mp4"


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, then no reserved version, layer, rate or frequency."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    bitrate = head[2] >> 4
    frequency = (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate != 0b1111 and frequency != 0b11


def _markup(head: bytes) -> str | None:
    """Web pages and other markup, which a browser might run if it were served as-is."""
    text = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe")):
        return "html"
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "svg"
    if text.startswith(b"<?xml"):
        return "html" if b"<html" in text else "xml"
    return None


def _by_container(stream: BinaryIO, head: bytes) -> str | None:
    """Kinds that are containers: ZIP (Office Open XML, OpenDocument) and OLE2 (Office 97-2003)."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(stream)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(stream)
    return None


_OOXML = (
    # (main part content type, folder its parts live in, kind)
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/", "docx"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/", "xlsx"),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "ppt/", "pptx"),
)
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}


def _zip_kind(stream: BinaryIO) -> str:
    try:
        with zipfile.ZipFile(stream) as archive:
            check_zip(archive)  # before any part is read
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                types = _read_member(archive, "[Content_Types].xml").decode("utf-8", "replace")
                if "macroEnabled" in types:
                    return "macro-office"
                for main_type, folder, kind in _OOXML:
                    if main_type in types and any(name.startswith(folder) for name in names):
                        return kind
                return "zip"
            if "mimetype" in names:
                mimetype = _read_member(archive, "mimetype").decode("ascii", "replace").strip()
                if mimetype in _ODF:
                    return _ODF[mimetype]
                if mimetype.startswith("application/vnd.oasis.opendocument"):
                    return "opendocument-other"
            return "zip"
    except ArchiveRefused as exc:
        raise UnacceptableFile(f"the file is refused unread: {exc}") from None
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError, ValueError):
        return "damaged-zip"


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(_ZIP_MEMBER_LIMIT)


# Top-level streams that say which Office 97-2003 program wrote a compound file.
_OLE_STREAMS = (("WordDocument", "doc"), ("Workbook", "xls"), ("Book", "xls"), ("PowerPoint Document", "ppt"))
_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_NOSTREAM = 0xFFFFFFFF
# Guards against loops in a damaged or hostile file.
_MAX_SECTORS_WALKED = 100_000


def _ole_kind(stream: BinaryIO) -> str:
    try:
        names = _ole_root_names(stream)
    except (struct.error, ValueError, IndexError, OSError):
        return "unknown"
    for stream_name, kind in _OLE_STREAMS:
        if stream_name in names:
            return kind
    return "office-97-other"


def _ole_root_names(stream: BinaryIO) -> set[str]:
    """Names of the root storage's children in an OLE2 compound file.

    Reads the header, the allocation table (FAT) and the directory chain, then walks the
    root entry's red-black tree of children. Only the root's own children count, so a Word
    document embedded inside a workbook does not make the workbook a Word document.
    """
    stream.seek(0)
    header = stream.read(512)
    if len(header) < 512:
        raise ValueError("short header")
    sector_size = 1 << struct.unpack_from("<H", header, 30)[0]
    if sector_size not in (512, 4096):
        raise ValueError("odd sector size")
    first_dir = struct.unpack_from("<I", header, 48)[0]
    difat = [s for s in struct.unpack_from("<109I", header, 76) if s not in (_FREESECT, _ENDOFCHAIN)]
    next_difat = struct.unpack_from("<I", header, 68)[0]

    def sector(n: int) -> bytes:
        stream.seek((n + 1) * sector_size)
        data = stream.read(sector_size)
        if len(data) < sector_size:
            raise ValueError("sector beyond the end of the file")
        return data

    per_sector = sector_size // 4
    walked = 0
    while next_difat not in (_ENDOFCHAIN, _FREESECT):
        walked += 1
        if walked > _MAX_SECTORS_WALKED:
            raise ValueError("DIFAT loop")
        entries = struct.unpack(f"<{per_sector}I", sector(next_difat))
        difat.extend(s for s in entries[:-1] if s not in (_FREESECT, _ENDOFCHAIN))
        next_difat = entries[-1]
    fat: list[int] = []
    for fat_sector in difat:
        fat.extend(struct.unpack(f"<{per_sector}I", sector(fat_sector)))

    directory = b""
    current = first_dir
    while current not in (_ENDOFCHAIN, _FREESECT):
        walked += 1
        if walked > _MAX_SECTORS_WALKED or current >= len(fat):
            raise ValueError("directory chain broken")
        directory += sector(current)
        current = fat[current]

    def entry(index: int) -> tuple[str, int, int, int]:
        raw = directory[index * 128 : (index + 1) * 128]
        if len(raw) < 128:
            raise ValueError("directory entry missing")
        length = struct.unpack_from("<H", raw, 64)[0]
        name = raw[: max(0, min(length, 64) - 2)].decode("utf-16-le", "replace")
        left, right, child = struct.unpack_from("<III", raw, 68)
        return name, left, right, child

    _, _, _, first_child = entry(0)
    names: set[str] = set()
    pending = [first_child]
    seen: set[int] = set()
    while pending:
        index = pending.pop()
        if index == _NOSTREAM or index in seen:
            continue
        seen.add(index)
        if len(seen) > _MAX_SECTORS_WALKED:
            raise ValueError("directory tree loop")
        name, left, right, _ = entry(index)
        names.add(name)
        pending.extend((left, right))
    return names


def _by_text(stream: BinaryIO) -> str:
    """Plain text: valid UTF-8 all the way through, with no NUL bytes; else unrecognised."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    stream.seek(0)
    try:
        while chunk := stream.read(_TEXT_CHUNK):
            if b"\x00" in chunk:
                return "unknown"
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "unknown"
    return "text"
