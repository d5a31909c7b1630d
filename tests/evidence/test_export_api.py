"""Evidence export: CSV (streamed) and Excel, readable names, formula guard, clean round trip."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from app.core.db import session_scope
from app.evidence import exporting
from app.evidence.exporting import guard_cell, unguard_cell
from app.evidence.models import Evidence, EvidenceVersion
from tests.factories import add_member, add_organisation, auth, make_evidence, make_review

pytestmark = pytest.mark.anyio

HEADERS = [
    "ID",
    "Title",
    "Narrative",
    "Lines of enquiry",
    "Domains",
    "Category",
    "Source type",
    "Pathway stages",
    "Organisations",
    "Polarity",
    "Collected on",
    "Collected by",
    "Quote",
    "Tags",
    "Version",
    "Updated at",
]


def export_url(review_id: int, kind: str) -> str:
    return f"/api/v1/reviews/{review_id}/evidence/export.{kind}"


@pytest.fixture
def stocked(db):  # type: ignore[no-untyped-def]
    """A review with partners and three items of evidence, one of them deleted."""
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    council = add_organisation(review, "Northshire County Council", "local_authority")
    trust = add_organisation(review, "Northshire Hospitals, NHS Trust", "nhs_trust")
    detailed = make_evidence(
        review,
        reviewer,
        title="Discharge to assess works at weekends",
        narrative="Seen at the Saturday bed meeting.\n\nThe council's team joined by phone.",
        lines=["LG1", "SV1"],
        stages=["step-down", "crisis"],
        organisations=[trust.id, council.id],
        category="observation",
        source_type="observation",
        polarity="strength",
        collected_on=dt.date(2024, 5, 4),
        quote="We sorted it before lunch.",
        tags=["weekend", "discharge"],
    )
    risky = make_evidence(
        review,
        reviewer,
        title='=HYPERLINK("http://example.com","click")',
        narrative="- waits over 7 days\n- no social worker",
        lines=["WF1"],
        category="outcomes",
        source_type="data-profile",
        polarity="concern",
        collected_on=dt.date(2024, 5, 3),
        quote="+44 is the number they gave",
        tags=["@risk"],
    )
    deleted = make_evidence(
        review, reviewer, title="Entered twice by mistake", collected_on=dt.date(2024, 5, 1)
    )
    with session_scope() as s:
        from app.core.timeutil import utcnow

        row = s.get(Evidence, deleted.id)
        row.deleted_at = utcnow()
        s.add(row)
    return {"review": review, "reviewer": reviewer, "detailed": detailed, "risky": risky, "deleted": deleted}


def read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "a byte-order mark, so Excel reads the file as UTF-8"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_csv_export_has_every_live_item_in_readable_words(client, stocked) -> None:
    review, reviewer = stocked["review"], stocked["reviewer"]
    response = await client.get(export_url(review.id, "csv"), headers=auth(reviewer))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="evidence-review-of-northshire-'
    )
    rows = read_csv(response.content)
    assert list(rows[0]) == HEADERS
    assert [r["ID"] for r in rows] == [stocked["detailed"].id, stocked["risky"].id], (
        "newest first, no deleted"
    )
    first = rows[0]
    assert first["Lines of enquiry"] == "SV1; LG1", "framework order"
    assert first["Domains"] == "A shared vision and purpose; Leadership and governance"
    assert first["Category"] == "Observation"
    assert first["Source type"] == "Observation"
    assert first["Pathway stages"] == "Care and support in a crisis; Step-down, discharge and recovery"
    assert first["Organisations"] == "Northshire County Council; Northshire Hospitals, NHS Trust"
    assert first["Polarity"] == "strength"
    assert first["Collected on"] == "2024-05-04"
    assert first["Collected by"] == reviewer.display_name
    assert first["Narrative"] == "Seen at the Saturday bed meeting.\n\nThe council's team joined by phone."
    assert first["Quote"] == "We sorted it before lunch."
    assert first["Tags"] == "discharge; weekend"
    assert first["Version"] == "1"
    assert dt.datetime.fromisoformat(first["Updated at"]).tzinfo is not None


async def test_cells_that_a_spreadsheet_would_run_are_guarded(client, stocked) -> None:
    review, reviewer = stocked["review"], stocked["reviewer"]
    rows = read_csv((await client.get(export_url(review.id, "csv"), headers=auth(reviewer))).content)
    risky = rows[1]
    assert risky["Title"] == '\'=HYPERLINK("http://example.com","click")'
    assert risky["Narrative"] == "'- waits over 7 days\n- no social worker"
    assert risky["Quote"] == "'+44 is the number they gave"
    assert risky["Tags"] == "'@risk"

    workbook = load_workbook(
        io.BytesIO((await client.get(export_url(review.id, "xlsx"), headers=auth(reviewer))).content)
    )
    sheet = workbook.active
    title = sheet.cell(row=3, column=2)
    assert title.value == '\'=HYPERLINK("http://example.com","click")'
    assert title.data_type == "s", "stored as text, never as a formula"


def test_guard_and_unguard_are_inverse() -> None:
    for text in ["=1+1", "+44", "-5 beds", "@here", "\tindent", "\rx", "plain", "", "'quoted", "'=kept"]:
        assert unguard_cell(guard_cell(text)) == text
        assert not guard_cell(text).startswith(exporting.FORMULA_TRIGGERS)


async def test_xlsx_export_has_a_bold_frozen_header_widths_and_real_dates(client, stocked) -> None:
    review, reviewer = stocked["review"], stocked["reviewer"]
    response = await client.get(export_url(review.id, "xlsx"), headers=auth(reviewer))
    assert response.status_code == 200
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"].startswith("attachment;")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet.title == "Evidence"
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width == 70
    assert sheet.max_row == 3
    assert sheet.cell(row=2, column=4).value == "SV1; LG1"
    collected = sheet.cell(row=2, column=11)
    assert collected.value == dt.datetime(2024, 5, 4)
    assert collected.number_format == "yyyy-mm-dd"
    assert sheet.cell(row=2, column=15).value == 1


async def test_export_reads_in_batches_without_repeating_or_skipping(client, stocked, monkeypatch) -> None:
    review, reviewer = stocked["review"], stocked["reviewer"]
    for n in range(5):
        make_evidence(review, reviewer, title=f"Same day {n}", collected_on=dt.date(2024, 5, 2))
    monkeypatch.setattr(exporting, "BATCH", 2)
    rows = read_csv((await client.get(export_url(review.id, "csv"), headers=auth(reviewer))).content)
    assert len(rows) == 7
    assert len({r["ID"] for r in rows}) == 7
    assert [r["Collected on"] for r in rows] == sorted((r["Collected on"] for r in rows), reverse=True)


async def test_an_exported_csv_imports_back_unchanged(client, stocked) -> None:
    review, reviewer = stocked["review"], stocked["reviewer"]
    exported = (await client.get(export_url(review.id, "csv"), headers=auth(reviewer))).content
    before = version_counts()

    checked = await client.post(
        f"/api/v1/reviews/{review.id}/evidence/import",
        files={"file": ("export.csv", exported, "text/csv")},
        data={"dry_run": "true"},
        headers=auth(reviewer),
    )
    assert checked.status_code == 200, checked.text
    report = checked.json()
    assert report["problems"] == []
    assert (report["rows"], report["unchanged"], report["would_import"]) == (2, 2, 0)
    assert set(report["ignored_columns"]) == {"Domains", "Version", "Updated at"}

    imported = await client.post(
        f"/api/v1/reviews/{review.id}/evidence/import",
        files={"file": ("export.csv", exported, "text/csv")},
        headers=auth(reviewer),
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"] is True
    assert version_counts() == before


async def test_an_exported_workbook_imports_back_unchanged(client, stocked) -> None:
    review, reviewer = stocked["review"], stocked["reviewer"]
    exported = (await client.get(export_url(review.id, "xlsx"), headers=auth(reviewer))).content
    before = version_counts()
    imported = await client.post(
        f"/api/v1/reviews/{review.id}/evidence/import",
        files={"file": ("export.xlsx", exported, "application/octet-stream")},
        headers=auth(reviewer),
    )
    assert imported.status_code == 200, imported.text
    assert (imported.json()["unchanged"], imported.json()["problems"]) == (2, [])
    assert version_counts() == before


async def test_who_may_export(client, stocked) -> None:
    review = stocked["review"]
    observer = add_member(review, "observer")
    assessor = add_member(review, "self_assessor")
    assert (await client.get(export_url(review.id, "csv"), headers=auth(observer))).status_code == 200
    assert (await client.get(export_url(review.id, "xlsx"), headers=auth(assessor))).status_code == 403


async def test_an_empty_review_exports_just_the_header(client, db) -> None:
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    rows = (await client.get(export_url(review.id, "csv"), headers=auth(lead))).content
    assert rows.decode("utf-8-sig").strip() == ",".join(HEADERS)


def version_counts() -> tuple[int, int, list[int]]:
    with session_scope(read_only=True) as s:
        items = s.exec(select(func.count()).select_from(Evidence)).one()
        versions = s.exec(select(func.count()).select_from(EvidenceVersion)).one()
        numbers = sorted(s.exec(select(Evidence.version)).all())
    return items, versions, numbers
