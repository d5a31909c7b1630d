"""Bulk import: every bad row reported where the user sees it, all rows or none, idempotent."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid

import pytest
from sqlalchemy import func
from sqlmodel import select

import tests.evidence.file_samples as samples
from app.core.audit import AuditEvent
from app.core.config import get_settings
from app.core.db import session_scope
from app.evidence import importing
from app.evidence.models import Evidence, EvidenceLine, EvidenceOrganisation, EvidenceStage, EvidenceVersion
from tests.factories import add_member, add_organisation, auth, make_evidence, make_review

pytestmark = pytest.mark.anyio

# A spreadsheet as a review team keeps it: their own headers, names rather than keys, UK dates.
THEIR_HEADERS = [
    "Title",
    "Notes",
    "KLOE",
    "Source",
    "Category",
    "Type",
    "Date",
    "Stage",
    "Organisation",
    "Quote",
    "Tags",
]
THEIR_MAPPING = {
    "title": "Title",
    "narrative": "Notes",
    "lines": "KLOE",
    "source_type": "Source",
    "category": "Category",
    "polarity": "Type",
    "collected_on": "Date",
    "stages": "Stage",
    "organisations": "Organisation",
    "quote": "Quote",
    "tags": "Tags",
}
GOOD_ROWS = [
    [
        "Weekend discharges stall",
        "No social worker on Saturdays.",
        "WF1; IS1",
        "Interview",
        "Feedback from staff and leaders",
        "Concern",
        "03/05/2024",
        "Step-down, discharge and recovery",
        "Northshire County Council",
        "",
        "weekend, discharge",
    ],
    [
        "Shared vision agreed",
        "Board minutes show one plan.",
        "sv1",
        "document-review",
        "processes",
        "strength",
        "2024-05-02",
        "staying-well; crisis",
        "Northshire County Council; Northshire Hospitals, NHS Trust",
        "",
        "",
    ],
    [
        "Carers not told of discharge",
        "",
        "LC1",
        "Focus group",
        "People's experience",
        "concern",
        "1 May 2024",
        "",
        "",
        "Nobody rang me.",
        "carers",
    ],
]


def csv_bytes(headers: list[str], rows: list[list[str]], *, bom: bool = False, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


@pytest.fixture
def site(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    reviewer = add_member(review, "reviewer")
    council = add_organisation(review, "Northshire County Council", "local_authority")
    trust = add_organisation(review, "Northshire Hospitals, NHS Trust", "nhs_trust")
    return {"review": review, "lead": lead, "reviewer": reviewer, "council": council, "trust": trust}


async def post_import(
    client, site, data: bytes, *, name="evidence.csv", mapping=None, dry_run=False, user=None
):  # type: ignore[no-untyped-def]
    form = {"dry_run": "true" if dry_run else "false"}
    if mapping is not None:
        form["mapping"] = json.dumps(mapping)
    return await client.post(
        f"/api/v1/reviews/{site['review'].id}/evidence/import",
        files={"file": (name, data, "text/csv")},
        data=form,
        headers=auth(user or site["reviewer"]),
    )


def counts() -> dict[str, int]:
    tables = (Evidence, EvidenceLine, EvidenceStage, EvidenceOrganisation, EvidenceVersion)
    with session_scope(read_only=True) as s:
        found = {t.__name__: s.exec(select(func.count()).select_from(t)).one() for t in tables}
        found["audit"] = s.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity.in_(["evidence", "evidence_import"]))
        ).one()
    return found


async def test_a_good_file_imports_every_row_with_names_resolved(client, site) -> None:
    data = csv_bytes(THEIR_HEADERS, GOOD_ROWS, bom=True)
    response = await post_import(client, site, data, mapping=THEIR_MAPPING)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["created"], report["imported"], report["problems"]) == (3, 3, True, [])

    listing = await client.get(
        f"/api/v1/reviews/{site['review'].id}/evidence",
        params={"per_page": 50},
        headers=auth(site["reviewer"]),
    )
    items = {i["title"]: i for i in listing.json()["items"]}
    first = items["Weekend discharges stall"]
    assert [line["ref"] for line in first["lines"]] == ["WF1", "IS1"]
    assert (first["source_type"], first["category"], first["polarity"]) == (
        "interview",
        "staff-leaders",
        "concern",
    )
    assert first["collected_on"] == "2024-05-03"
    assert [s["key"] for s in first["stages"]] == ["step-down"]
    assert [o["id"] for o in first["organisations"]] == [site["council"].id]
    assert first["tags"] == ["discharge", "weekend"]
    assert first["collected_by"]["id"] == site["reviewer"].id, (
        "the importer collected it unless a column says"
    )
    second = items["Shared vision agreed"]
    assert [s["key"] for s in second["stages"]] == ["staying-well", "crisis"]
    assert {o["name"] for o in second["organisations"]} == {
        "Northshire County Council",
        "Northshire Hospitals, NHS Trust",
    }
    assert items["Carers not told of discharge"]["collected_on"] == "2024-05-01"
    assert items["Carers not told of discharge"]["quote"] == "Nobody rang me."


async def test_importing_the_same_file_again_stores_nothing_new(client, site) -> None:
    data = csv_bytes(THEIR_HEADERS, GOOD_ROWS)
    first = await post_import(client, site, data, mapping=THEIR_MAPPING)
    assert first.json()["created"] == 3
    after_first = counts()
    again = await post_import(client, site, data, mapping=THEIR_MAPPING)
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["unchanged"], again.json()["would_import"]) == (0, 3, 0)
    # The first import is one change to the review; the second changes nothing but is still audited.
    assert after_first["audit"] == 1
    assert counts() == {**after_first, "audit": after_first["audit"] + 1}, "only the import itself is audited"


async def test_a_dry_run_reports_every_bad_row_and_stores_nothing(client, site) -> None:
    rows = [list(r) for r in GOOD_ROWS] + [list(GOOD_ROWS[0]) for _ in range(4)]
    rows[3][0], rows[3][2] = "Unknown line", "ZZ9"
    rows[4][0], rows[4][4] = "Unknown category", "Gossip"
    rows[5][0], rows[5][6] = "Bad date", "31/02/2024"
    rows[6][0] = ""
    before = counts()
    response = await post_import(
        client, site, csv_bytes(THEIR_HEADERS, rows), mapping=THEIR_MAPPING, dry_run=True
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["valid_rows"], report["would_import"], report["imported"]) == (
        7,
        3,
        3,
        False,
    )
    problems = [(p["row"], p["column"], p["field"]) for p in report["problems"]]
    assert problems == [
        (5, "KLOE", "lines"),
        (6, "Category", "category"),
        (7, "Date", "collected_on"),
        (8, "Title", "title"),
    ], "row numbers as the spreadsheet shows them: the header is row 1"
    messages = {p["row"]: p["message"] for p in report["problems"]}
    assert "ZZ9" in messages[5]
    assert "'Gossip' is not an evidence category" in messages[6]
    assert "'31/02/2024' is not a date" in messages[7]
    assert messages[8] == "enter a title"
    assert counts() == before


async def test_every_problem_of_a_row_is_reported_together(client, site) -> None:
    row = list(GOOD_ROWS[0])
    row[2], row[6], row[8] = "ZZ9", "yesterday", "Nowhere Council"
    report = (
        await post_import(client, site, csv_bytes(THEIR_HEADERS, [row]), mapping=THEIR_MAPPING, dry_run=True)
    ).json()
    # Left to right as the spreadsheet reads: KLOE, then Date, then Organisation.
    assert [(p["row"], p["column"]) for p in report["problems"]] == [
        (2, "KLOE"),
        (2, "Date"),
        (2, "Organisation"),
    ]
    assert "'Nowhere Council' is not a partner organisation" in report["problems"][2]["message"]


async def test_a_real_run_with_one_bad_row_stores_nothing(client, site) -> None:
    rows = [list(r) for r in GOOD_ROWS]
    rows[1][2] = "SV1; NOPE1"
    before = counts()
    response = await post_import(client, site, csv_bytes(THEIR_HEADERS, rows), mapping=THEIR_MAPPING)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "nothing was imported: 1 row has problems"
    assert [(e["row"], e["column"], e["field"]) for e in body["errors"]] == [(3, "KLOE", "lines")]
    assert body["report"]["would_import"] == 2
    assert counts() == before


async def test_headers_named_like_fields_need_no_mapping(client, site) -> None:
    headers = [
        "title",
        "Lines of enquiry",
        "Category",
        "Source type",
        "Polarity",
        "Collected on",
        "Pathway stages",
    ]
    rows = [
        [
            "Flow meeting",
            "RE1",
            "observation",
            "observation",
            "context",
            "2024-04-30",
            "Care and support in a crisis",
        ]
    ]
    response = await post_import(client, site, csv_bytes(headers, rows), dry_run=True)
    report = response.json()
    assert report["problems"] == [] and report["would_import"] == 1
    assert report["mapping"]["lines"] == "Lines of enquiry"
    assert report["mapping"]["stages"] == "Pathway stages"


async def test_semicolon_separated_files_from_european_excel_are_read(client, site) -> None:
    data = csv_bytes(THEIR_HEADERS, GOOD_ROWS[:1], delimiter=";")
    report = (await post_import(client, site, data, mapping=THEIR_MAPPING, dry_run=True)).json()
    assert (report["problems"], report["would_import"]) == ([], 1)


async def test_xlsx_import_reads_dates_and_row_numbers_from_the_sheet(client, site) -> None:
    rows: list[list[object]] = [list(THEIR_HEADERS)]
    for row in GOOD_ROWS:
        cells: list[object] = list(row)
        cells[6] = dt.datetime(2024, 5, 3)
        rows.append(cells)
    rows.append([None] * len(THEIR_HEADERS))  # a blank row keeps its number
    bad: list[object] = list(GOOD_ROWS[0])
    bad[6] = "not a date"
    rows.append(bad)
    workbook = samples.xlsx_workbook(rows)
    response = await post_import(
        client, site, workbook, name="evidence.xlsx", mapping=THEIR_MAPPING, dry_run=True
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["would_import"] == 3
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(6, "Date")]

    good_only = samples.xlsx_workbook(rows[:4])
    stored = await post_import(client, site, good_only, name="evidence.xlsx", mapping=THEIR_MAPPING)
    assert stored.status_code == 200 and stored.json()["created"] == 3
    with session_scope(read_only=True) as s:
        assert set(s.exec(select(Evidence.collected_on)).all()) == {dt.date(2024, 5, 3)}


async def test_given_ids_are_used_and_clashes_are_reported(client, site) -> None:
    other_review = make_review(status="fieldwork", title="Review of Southshire")
    outsider = make_evidence(other_review, add_member(other_review, "reviewer"))
    mine = str(uuid.uuid4())
    headers = ["UUID", *THEIR_HEADERS]
    rows = [
        [mine, *GOOD_ROWS[0]],
        [mine.upper(), *GOOD_ROWS[1]],
        [outsider.id, *GOOD_ROWS[2]],
        ["not-a-uuid", *GOOD_ROWS[2]],
    ]
    report = (
        await post_import(
            client, site, csv_bytes(headers, rows), mapping={**THEIR_MAPPING, "id": "UUID"}, dry_run=True
        )
    ).json()
    problems = {p["row"]: p["message"] for p in report["problems"]}
    assert set(problems) == {3, 4, 5}
    assert "row 2 has the same id" in problems[3]
    assert "already used by other evidence" in problems[4]
    assert "Southshire" not in problems[4]
    assert "not a valid id" in problems[5]

    stored = await post_import(
        client, site, csv_bytes(headers, rows[:1]), mapping={**THEIR_MAPPING, "id": "UUID"}
    )
    assert stored.status_code == 200
    with session_scope(read_only=True) as s:
        assert s.get(Evidence, mine) is not None


async def test_changed_rows_replace_the_items_they_name_keeping_history(client, site) -> None:
    item = make_evidence(site["review"], site["reviewer"], title="Before")
    headers = ["ID", *THEIR_HEADERS]
    data = csv_bytes(headers, [[item.id, *GOOD_ROWS[0]]])
    report = (await post_import(client, site, data, mapping=THEIR_MAPPING)).json()
    assert (report["updated"], report["created"]) == (1, 0)
    with session_scope(read_only=True) as s:
        row = s.get(Evidence, item.id)
        assert (row.title, row.version) == ("Weekend discharges stall", 2)
        version = s.exec(select(EvidenceVersion).where(EvidenceVersion.evidence_id == item.id)).one()
        assert version.reason == "imported from evidence.csv"


async def test_mapping_mistakes_are_named(client, site) -> None:
    data = csv_bytes(THEIR_HEADERS, GOOD_ROWS[:1])
    unknown_field = await post_import(client, site, data, mapping={**THEIR_MAPPING, "colour": "Title"})
    assert unknown_field.status_code == 422
    assert unknown_field.json()["errors"][0]["field"] == "mapping"
    assert "colour" in unknown_field.json()["detail"]

    missing_column = await post_import(client, site, data, mapping={**THEIR_MAPPING, "lines": "Lines"})
    assert missing_column.status_code == 422
    assert "there is no column 'Lines'" in missing_column.json()["detail"]

    no_lines = await post_import(client, site, data, mapping={**THEIR_MAPPING, "lines": ""})
    assert no_lines.status_code == 422
    assert "no column for lines of enquiry (lines)" in no_lines.json()["detail"]

    bad_json = await client.post(
        f"/api/v1/reviews/{site['review'].id}/evidence/import",
        files={"file": ("e.csv", data, "text/csv")},
        data={"mapping": "{title: Title"},
        headers=auth(site["reviewer"]),
    )
    assert bad_json.status_code == 422 and bad_json.json()["errors"][0]["field"] == "mapping"


async def test_the_file_itself_is_checked(client, site, monkeypatch) -> None:
    pdf = await post_import(client, site, samples.PDF, name="evidence.csv")
    assert pdf.status_code == 422
    assert pdf.json()["errors"][0]["field"] == "file"
    wrong_kind = await post_import(client, site, samples.PDF, name="evidence.pdf")
    assert wrong_kind.status_code == 422
    assert "files ending .pdf are not accepted" in wrong_kind.json()["detail"]
    latin1 = await post_import(client, site, "Title\nCafé\n".encode("latin-1"), name="evidence.csv")
    assert latin1.status_code == 422
    empty_sheet = await post_import(client, site, b"\n\n", name="evidence.csv")
    assert empty_sheet.status_code == 422 and "the file is empty" in empty_sheet.json()["detail"]

    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    too_many = await post_import(client, site, csv_bytes(THEIR_HEADERS, GOOD_ROWS * 2), mapping=THEIR_MAPPING)
    assert too_many.status_code == 422
    assert "more than 3 rows" in too_many.json()["detail"]

    monkeypatch.setattr(get_settings(), "max_attachment_bytes", 100)
    too_big = await post_import(client, site, csv_bytes(THEIR_HEADERS, GOOD_ROWS), mapping=THEIR_MAPPING)
    assert too_big.status_code == 413
    assert too_big.json()["errors"][0]["field"] == "file"
    assert counts()["Evidence"] == 0


async def test_imports_are_audited_with_the_acting_user(client, site) -> None:
    data = csv_bytes(THEIR_HEADERS, GOOD_ROWS)
    await post_import(client, site, data, mapping=THEIR_MAPPING, user=site["lead"])
    with session_scope(read_only=True) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.review_id == site["review"].id)).all()
        stored = s.exec(select(Evidence.id).where(Evidence.review_id == site["review"].id)).all()
    # The import is one change to the review, by the acting user, naming every item it stored.
    imports = [e for e in events if e.entity == "evidence" and e.action == "import"]
    assert len(imports) == 1
    assert imports[0].user_id == site["lead"].id
    assert imports[0].changes["count"] == [None, 3]
    assert imports[0].changes["created"] == [None, 3]
    assert imports[0].changes["file_name"] == [None, "evidence.csv"]
    assert sorted(imports[0].changes["ids"][1]) == sorted(stored)
    assert imports[0].reason == "imported from evidence.csv"
    assert not [e for e in events if e.entity == "evidence" and e.action != "import"], "no row per item"


async def test_who_may_import(client, site) -> None:
    observer = add_member(site["review"], "observer")
    data = csv_bytes(THEIR_HEADERS, GOOD_ROWS)
    assert (await post_import(client, site, data, mapping=THEIR_MAPPING, user=observer)).status_code == 403


async def test_collectors_are_found_by_name_or_email(client, site) -> None:
    headers = [*THEIR_HEADERS, "Collected by"]
    rows = [
        [*GOOD_ROWS[0], site["lead"].display_name],
        [*GOOD_ROWS[1], site["lead"].email.upper()],
        [*GOOD_ROWS[2], "Somebody Else"],
    ]
    report = (
        await post_import(client, site, csv_bytes(headers, rows), mapping=THEIR_MAPPING, dry_run=True)
    ).json()
    assert [(p["row"], p["column"], p["field"]) for p in report["problems"]] == [
        (4, "Collected by", "collected_by")
    ]
    assert "'Somebody Else' is not a member" in report["problems"][0]["message"]


def test_split_values_keeps_a_known_name_with_commas_whole() -> None:
    names = ["Step-down, discharge and recovery", "Staying well"]
    assert importing.split_values("Step-down, discharge and recovery", whole=names) == [
        "Step-down, discharge and recovery"
    ]
    assert importing.split_values("Staying well; Step-down, discharge and recovery", whole=names) == [
        "Staying well",
        "Step-down, discharge and recovery",
    ]
    assert importing.split_values("a, b ,c") == ["a", "b", "c"]
    assert importing.split_values("  ") == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-05-03", dt.date(2024, 5, 3)),
        ("03/05/2024", dt.date(2024, 5, 3)),
        ("3/5/24", dt.date(2024, 5, 3)),
        ("3 May 2024", dt.date(2024, 5, 3)),
        ("03.05.2024", dt.date(2024, 5, 3)),
        (dt.datetime(2024, 5, 3, 14, 0), dt.date(2024, 5, 3)),
        (45415, dt.date(2024, 5, 3)),
    ],
)
def test_parse_date_reads_the_ways_people_write_dates(cell: object, expected: dt.date) -> None:
    assert importing.parse_date(cell) == expected


def test_parse_date_refuses_nonsense() -> None:
    for cell in ["31/02/2024", "next Tuesday", "05/13/2024"]:
        with pytest.raises(ValueError, match="is not a date"):
            importing.parse_date(cell)
