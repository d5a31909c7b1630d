"""Small but genuine samples of every kind of file the attachment checks know, built in code."""

from __future__ import annotations

import io
import struct
import wave
import zipfile
import zlib

PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    b"\xff\xdb\x00\x43\x00" + bytes(range(64)) + b"\xff\xd9"
)
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
HTML_PAGE = b"<!DOCTYPE html>\n<html><body><script>alert('hi')</script></body></html>\n"
TEXT = b"Interview notes: discharge delays at the weekend, carers not told.\n"


def png(width: int = 1, height: int = 1) -> bytes:
    """A valid PNG of white pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def webp() -> bytes:
    """A RIFF/WEBP container holding a lossless 1x1 bitstream."""
    vp8l = b"\x2f\x00\x00\x00\x00\x88\x88\x08"
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wav(seconds: float = 0.01) -> bytes:
    """A real WAV file written by the standard library's wave module."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * int(8000 * seconds))
    return out.getvalue()


def mp3_with_id3() -> bytes:
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    return tag + mp3_frames()


def mp3_frames() -> bytes:
    """MPEG-1 layer III frames, 128 kbit/s, 44.1 kHz (417 bytes each)."""
    return (b"\xff\xfb\x90\x64" + b"\x00" * 413) * 3


def m4a() -> bytes:
    ftyp = b"ftypM4A \x00\x00\x00\x00M4A mp42isom"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", 8) + b"free"


def heic() -> bytes:
    ftyp = b"ftypheic\x00\x00\x00\x00mif1heic"
    return struct.pack(">I", len(ftyp) + 4) + ftyp


def ogg() -> bytes:
    return b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e\x01vorbis" + b"\x00" * 22


def webm() -> bytes:
    # EBML header with DocType "webm", then the start of a Segment.
    doctype = b"\x42\x82\x84webm"
    header_body = b"\x42\x86\x81\x01" + b"\x42\xf7\x81\x01" + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header_body)]) + header_body + b"\x18\x53\x80\x67\x01"


_OOXML_TYPES = {
    "docx": ("wordprocessingml.document", "word/document.xml"),
    "xlsx": ("spreadsheetml.sheet", "xl/workbook.xml"),
    "pptx": ("presentationml.presentation", "ppt/presentation.xml"),
}


def ooxml(kind: str, *, macro: bool = False) -> bytes:
    """A minimal Office Open XML package of `kind` (docx, xlsx or pptx)."""
    family, part = _OOXML_TYPES[kind]
    main = f"application/vnd.openxmlformats-officedocument.{family}.main+xml"
    if macro:
        main = "application/vnd.ms-word.document.macroEnabled.main+xml"
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main}"/></Types>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr(part, "<root/>")
    return out.getvalue()


def opendocument(kind: str) -> bytes:
    """A minimal OpenDocument package: `text`, `spreadsheet` or `presentation`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), f"application/vnd.oasis.opendocument.{kind}")
        z.writestr("content.xml", "<office:document-content/>")
        z.writestr("META-INF/manifest.xml", "<manifest/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "hello")
    return out.getvalue()


def ole2(*streams: str) -> bytes:
    """An OLE2 compound file (Office 97-2003 container) whose root holds the named empty streams.

    Sector 0 holds the allocation table, sector 1 the directory (four 128-byte entries).
    """
    assert len(streams) <= 3
    free, end, fat_sect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # directory starts at sector 1
    struct.pack_into("<III", header, 56, 4096, end, 0)
    struct.pack_into("<II", header, 68, end, 0)
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sect, end, *([free] * 126))

    def entry(name: str, kind: int, left: int, right: int, child: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, left, right, child)
        struct.pack_into("<II", raw, 116, end, 0)
        return bytes(raw)

    entries = [entry("Root Entry", 5, free, free, 1 if streams else free)]
    for index, name in enumerate(streams, start=1):
        # A simple chain through the right-sibling links is a valid (degenerate) tree.
        right = index + 1 if index < len(streams) else free
        entries.append(entry(name, 2, free, right, free))
    while len(entries) < 4:
        entries.append(entry("", 0, free, free, free))
    return bytes(header) + fat + b"".join(entries)


def xlsx_workbook(rows: list[list[object]], title: str = "Evidence") -> bytes:
    """A real workbook written by openpyxl, first sheet holding `rows`."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
