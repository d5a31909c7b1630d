"""Issue 11, defect 3: a ZIP-based upload that unpacks to far more than it holds is refused
before anything inside it is parsed: on import, on attachment upload, and on a staged file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

import tests.evidence.file_samples as samples
from app.core.config import get_settings
from app.core.errors import Invalid
from app.core.zipsafe import ArchiveRefused, ZipLimits, check_zip
from app.evidence import importing
from app.evidence.filetypes import ACCEPTED
from tests.factories import add_member, auth, make_evidence, make_review

pytestmark = pytest.mark.anyio

MB = 1024 * 1024


def inflated(package: bytes, part: str, extra_bytes: int) -> bytes:
    """`package` with `part` (added or replaced) holding about `extra_bytes` of repetitive XML,
    which packs to almost nothing."""
    padding = "<si><t>lol</t></si>" * (extra_bytes // 19)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in source.namelist():
            if name != part:
                z.writestr(name, source.read(name))
        z.writestr(part, f"<sst>{padding}</sst>")
    return out.getvalue()


def workbook_with_big_strings(extra_bytes: int) -> bytes:
    book = samples.xlsx_workbook([["Title", "Narrative"], ["Discharge delays", "Seen at the ward"]])
    return inflated(book, "xl/sharedStrings.xml", extra_bytes)


def packed(parts: dict[str, bytes]) -> zipfile.ZipFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


LIMITS = ZipLimits(max_total_bytes=4 * MB, max_members=10, max_ratio=100)


def test_check_zip_judges_total_parts_and_ratio() -> None:
    check_zip(packed({"a.xml": b"<a/>" * 1000, "b.bin": bytes(range(256)) * 100}), LIMITS)
    with pytest.raises(ArchiveRefused, match="more than the 4 MB allowed"):
        check_zip(packed({"big.xml": b"<x/>" * (5 * MB // 4)}), LIMITS)
    with pytest.raises(ArchiveRefused, match="more than the 10 allowed"):
        check_zip(packed({f"part{n}.xml": b"<x/>" for n in range(11)}), LIMITS)
    with pytest.raises(ArchiveRefused, match="times its packed size"):
        check_zip(packed({"bomb.xml": b"\0" * (3 * MB)}), LIMITS)


@pytest.fixture
def site(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    return {"review": review, "reviewer": reviewer, "item": make_evidence(review, reviewer)}


async def test_an_xlsx_import_that_unpacks_too_far_is_refused_unread(client, site, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "max_unzipped_bytes", 2 * MB)
    workbook = workbook_with_big_strings(3 * MB)
    assert len(workbook) < 100_000
    response = await client.post(
        f"/api/v1/reviews/{site['review'].id}/evidence/import",
        files={"file": ("evidence.xlsx", workbook, "application/octet-stream")},
        data={"dry_run": "true"},
        headers=auth(site["reviewer"]),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "file"
    assert "unpacks to" in response.json()["detail"]


async def test_a_zip_bomb_import_is_refused_by_its_ratio_at_the_default_size_limit(client, site) -> None:
    workbook = workbook_with_big_strings(20 * MB)  # under 50 MB unpacked, but hundreds of times its size
    response = await client.post(
        f"/api/v1/reviews/{site['review'].id}/evidence/import",
        files={"file": ("evidence.xlsx", workbook, "application/octet-stream")},
        data={"dry_run": "true"},
        headers=auth(site["reviewer"]),
    )
    assert response.status_code == 422, response.text
    assert "times its packed size" in response.json()["detail"]


async def test_a_docx_attachment_that_unpacks_too_far_is_refused(client, site, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "max_unzipped_bytes", 2 * MB)
    document = inflated(samples.ooxml("docx"), "word/document.xml", 3 * MB)
    response = await client.post(
        f"/api/v1/reviews/{site['review'].id}/evidence/{site['item'].id}/attachments",
        files={"file": ("minutes.docx", document, "application/octet-stream")},
        headers=auth(site["reviewer"]),
    )
    assert response.status_code == 422, response.text
    assert "unpacks to" in response.json()["detail"]
    ordinary = await client.post(
        f"/api/v1/reviews/{site['review'].id}/evidence/{site['item'].id}/attachments",
        files={"file": ("minutes.docx", samples.ooxml("docx"), "application/octet-stream")},
        headers=auth(site["reviewer"]),
    )
    assert ordinary.status_code == 201, ordinary.text


def test_a_workbook_read_again_from_disk_is_checked_too(tmp_path: Path, monkeypatch, db) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(get_settings(), "max_unzipped_bytes", 2 * MB)
    staged = tmp_path / "staged"
    staged.write_bytes(workbook_with_big_strings(3 * MB))
    with pytest.raises(Invalid, match="unpacks to"):
        importing.read_table(staged, ACCEPTED["xlsx"])
