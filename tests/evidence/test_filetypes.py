"""The content check for attachments: every accepted kind passes, disguises are named."""

from __future__ import annotations

import io

import pytest

import tests.evidence.file_samples as samples
from app.evidence.filetypes import (
    ACCEPTED,
    UnacceptableFile,
    accept_attribute,
    accepted_summary,
    extension_of,
    identify,
    sniff,
)

GOOD = [
    ("minutes.pdf", samples.PDF, "application/pdf"),
    ("photo.png", samples.png(3, 2), "image/png"),
    ("photo.JPG", samples.JPEG, "image/jpeg"),
    ("photo.jpeg", samples.JPEG, "image/jpeg"),
    ("chart.gif", samples.GIF, "image/gif"),
    ("chart.webp", samples.webp(), "image/webp"),
    ("plan.docx", samples.ooxml("docx"), ACCEPTED["docx"].content_type),
    ("flows.xlsx", samples.xlsx_workbook([["a", 1]]), ACCEPTED["xlsx"].content_type),
    ("board.pptx", samples.ooxml("pptx"), ACCEPTED["pptx"].content_type),
    ("old.doc", samples.ole2("WordDocument", "\x05SummaryInformation"), "application/msword"),
    ("old.xls", samples.ole2("\x05SummaryInformation", "Workbook"), "application/vnd.ms-excel"),
    ("old.ppt", samples.ole2("PowerPoint Document"), "application/vnd.ms-powerpoint"),
    ("notes.odt", samples.opendocument("text"), "application/vnd.oasis.opendocument.text"),
    ("data.ods", samples.opendocument("spreadsheet"), "application/vnd.oasis.opendocument.spreadsheet"),
    ("deck.odp", samples.opendocument("presentation"), "application/vnd.oasis.opendocument.presentation"),
    ("notes.txt", samples.TEXT, "text/plain; charset=utf-8"),
    ("rows.csv", b"\xef\xbb\xbfTitle,Date\nDelay,2024-01-02\n", "text/csv; charset=utf-8"),
    ("notes.md", "# Focus group\n\n- carers’ views\n".encode(), "text/markdown; charset=utf-8"),
    ("id3-word.txt", b"ID3 notes from the ward round\n", "text/plain; charset=utf-8"),
    ("interview.mp3", samples.mp3_with_id3(), "audio/mpeg"),
    ("interview2.mp3", samples.mp3_frames(), "audio/mpeg"),
    ("voice.m4a", samples.m4a(), "audio/mp4"),
    ("voice.wav", samples.wav(), "audio/wav"),
    ("voice.ogg", samples.ogg(), "audio/ogg"),
    ("voice.webm", samples.webm(), "audio/webm"),
]


@pytest.mark.parametrize(("name", "data", "content_type"), GOOD, ids=[g[0] for g in GOOD])
def test_accepted_kinds_pass_and_get_their_content_type(name: str, data: bytes, content_type: str) -> None:
    stream = io.BytesIO(data)
    assert identify(name, stream).content_type == content_type
    assert stream.tell() == 0, "the stream is left at its start for the caller to copy"


DISGUISED = [
    ("report.pdf", samples.WINDOWS_PROGRAM, "a Windows program"),
    ("report.pdf", samples.HTML_PAGE, "a web page (HTML)"),
    ("plan.docx", samples.png(), "a PNG image"),
    ("plan.docx", samples.plain_zip(), "a ZIP archive"),
    ("plan.docx", samples.ooxml("docx", macro=True), "a macro-enabled Office document"),
    ("plan.docx", samples.ooxml("xlsx"), "an Excel workbook"),
    ("photo.png", samples.JPEG, "a JPEG image"),
    ("photo.jpg", samples.heic(), "a HEIC or AVIF image"),
    ("old.doc", samples.ole2("Workbook"), "an Excel 97-2003 workbook"),
    ("old.xls", samples.ole2("Something Else"), "an Office 97-2003 file of a kind we do not accept"),
    ("notes.txt", b"first line\x00second", "data of an unrecognised kind"),
    ("notes.txt", "caf\u00e9".encode("latin-1"), "data of an unrecognised kind"),
    ("notes.txt", samples.HTML_PAGE, "a web page (HTML)"),
    ("notes.md", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "an SVG image"),
    ("voice.mp3", samples.wav(), "a WAV audio file"),
    ("voice.webm", b"\x1a\x45\xdf\xa3\x84\x42\x82\x81\x00", "data of an unrecognised kind"),
    ("voice.ogg", b"", "an empty file"),
    ("deck.odp", samples.opendocument("graphics"), "an OpenDocument file of a kind we do not accept"),
    ("damaged.xlsx", b"PK\x03\x04" + b"\x00" * 40, "a damaged ZIP archive"),
]


@pytest.mark.parametrize(("name", "data", "looks_like"), DISGUISED, ids=[f"{d[0]}-{d[2]}" for d in DISGUISED])
def test_disguised_files_are_refused_saying_what_the_content_looks_like(
    name: str, data: bytes, looks_like: str
) -> None:
    with pytest.raises(UnacceptableFile) as caught:
        identify(name, io.BytesIO(data))
    message = str(caught.value)
    assert f"the name ends .{extension_of(name)}" in message
    assert looks_like in message


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "image.svg", "archive.zip", "macro.docm"])
def test_extensions_outside_the_list_are_refused_whatever_the_content(name: str) -> None:
    with pytest.raises(UnacceptableFile, match=r"files ending \.\w+ are not accepted"):
        identify(name, io.BytesIO(samples.PDF))


def test_a_name_without_extension_is_refused() -> None:
    with pytest.raises(UnacceptableFile, match="no extension"):
        identify("README", io.BytesIO(samples.TEXT))


def test_accept_narrows_the_allowed_extensions() -> None:
    assert identify("rows.csv", io.BytesIO(b"a,b\n"), accept={"csv", "xlsx"}).extension == "csv"
    with pytest.raises(UnacceptableFile) as caught:
        identify("minutes.pdf", io.BytesIO(samples.PDF), accept={"csv", "xlsx"})
    assert "documents (.xlsx), text (.csv)" in str(caught.value)


def test_sniff_names_programs_archives_and_markup() -> None:
    assert sniff(io.BytesIO(b"\x7fELF\x02\x01\x01")) == "linux-program"
    assert sniff(io.BytesIO(b"#!/bin/sh\nrm -rf /\n")) == "script"
    assert sniff(io.BytesIO(b"\x1f\x8b\x08\x00")) == "gzip"
    assert sniff(io.BytesIO(b"  \n<HTML><body>hi</body></HTML>")) == "html"
    assert sniff(io.BytesIO(b'<?xml version="1.0"?><svg/>')) == "svg"


def test_a_damaged_office_97_file_is_not_trusted() -> None:
    truncated = samples.ole2("WordDocument")[:700]
    assert sniff(io.BytesIO(truncated)) == "unknown"


def test_extension_of_ignores_folders_and_dotfiles() -> None:
    assert extension_of("C:\\Users\\me\\Notes.PDF") == "pdf"
    assert extension_of("../../etc/passwd") == ""
    assert extension_of(".bashrc") == ""
    assert extension_of("archive.tar.gz") == "gz"


def test_hint_and_accept_attribute_cover_every_accepted_extension() -> None:
    summary = accepted_summary()
    attribute = accept_attribute()
    for ext in ACCEPTED:
        assert f".{ext}" in summary
        assert f".{ext}" in attribute.split(",")
    assert summary.startswith("documents (")
