"""The import page: check first, see every bad row, import without sending the file again."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.core.db import session_scope
from app.evidence.models import Evidence
from tests.evidence.test_import_api import GOOD_ROWS, THEIR_HEADERS, THEIR_MAPPING, csv_bytes
from tests.factories import add_member, add_organisation, make_review
from tests.reviews.reviews_helpers import browser_session

pytestmark = pytest.mark.anyio


@pytest.fixture
def page_site(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    add_organisation(review, "Northshire County Council", "local_authority")
    add_organisation(review, "Northshire Hospitals, NHS Trust", "nhs_trust")
    return review, reviewer


def evidence_count() -> int:
    with session_scope(read_only=True) as s:
        return s.exec(select(func.count()).select_from(Evidence)).one()


def mapping_fields(mapping: dict[str, str]) -> dict[str, str]:
    return {f"map_{field}": header for field, header in mapping.items()}


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found.group(1)


async def test_the_page_explains_the_columns_and_carries_the_csrf_token(client, page_site) -> None:
    review, reviewer = page_site
    csrf = browser_session(client, reviewer)
    page = await client.get(f"/reviews/{review.id}/evidence/import")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Import evidence from a spreadsheet</h1>" in html
    assert f'name="csrf_token" value="{csrf}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert '<label class="field__label" for="file">Spreadsheet file</label>' in html
    assert 'accept=".xlsx,.csv"' in html
    assert "People&#39;s experience" in html, "the framework's category names are listed"
    assert "Northshire Hospitals, NHS Trust" in html, "and the review's partners"
    assert 'aria-current="page"' in html, "the review's sub-navigation marks Evidence"


async def test_check_shows_every_bad_row_then_import_uses_the_kept_file(client, page_site) -> None:
    review, reviewer = page_site
    csrf = browser_session(client, reviewer)
    rows = [list(r) for r in GOOD_ROWS] + [list(GOOD_ROWS[0])]
    rows[3][2] = "XX1"
    data = csv_bytes(THEIR_HEADERS, rows)
    checked = await client.post(
        f"/reviews/{review.id}/evidence/import",
        data={"csrf_token": csrf, "action": "check", **mapping_fields(THEIR_MAPPING)},
        files={"file": ("site visit.csv", data, "text/csv")},
    )
    assert checked.status_code == 200
    html = checked.text
    assert "There is a problem" in html
    assert 'href="#import-problems"' in html
    assert "1 row has problems. Nothing has been imported" in html
    assert re.search(r'<td class="num">5</td><td>KLOE</td><td>XX1 is not a line of enquiry', html)
    assert 'name="mapping_mode" value="columns"' in html, "after a check the file's columns are offered"
    assert '<option value="KLOE" selected>KLOE</option>' in html
    assert hidden(html, "staged_name") == "site visit.csv"
    assert evidence_count() == 0

    # Fixing the mapping is not enough here: the row itself is wrong, so importing refuses all.
    refused = await client.post(
        f"/reviews/{review.id}/evidence/import",
        data={
            "csrf_token": csrf,
            "action": "import",
            "staged": hidden(html, "staged"),
            "staged_name": "site visit.csv",
            "mapping_mode": "columns",
            **mapping_fields(THEIR_MAPPING),
        },
    )
    assert refused.status_code == 422
    assert "Nothing has been imported" in refused.text
    assert evidence_count() == 0

    good = csv_bytes(THEIR_HEADERS, GOOD_ROWS)
    rechecked = await client.post(
        f"/reviews/{review.id}/evidence/import",
        data={
            "csrf_token": csrf,
            "action": "check",
            "mapping_mode": "columns",
            **mapping_fields(THEIR_MAPPING),
        },
        files={"file": ("site visit v2.csv", good, "text/csv")},
    )
    assert "is ready to import" in rechecked.text
    assert "Choose <strong>Import</strong> below to save 3 items." in rechecked.text
    imported = await client.post(
        f"/reviews/{review.id}/evidence/import",
        data={
            "csrf_token": csrf,
            "action": "import",
            "staged": hidden(rechecked.text, "staged"),
            "staged_name": hidden(rechecked.text, "staged_name"),
            "mapping_mode": "columns",
            **mapping_fields(THEIR_MAPPING),
        },
    )
    assert imported.status_code == 303
    assert (
        imported.headers["location"]
        == f"/reviews/{review.id}/evidence/import?imported=3&updated=0&unchanged=0"
    )
    assert evidence_count() == 3
    done = await client.get(imported.headers["location"])
    assert "Import finished: 3 new items added, 0 changed, 0 already stored unchanged." in done.text


async def test_a_missing_column_is_named_and_the_file_columns_are_offered(client, page_site) -> None:
    review, reviewer = page_site
    csrf = browser_session(client, reviewer)
    response = await client.post(
        f"/reviews/{review.id}/evidence/import",
        data={"csrf_token": csrf, "action": "check"},
        files={"file": ("theirs.csv", csv_bytes(THEIR_HEADERS, GOOD_ROWS), "text/csv")},
    )
    assert response.status_code == 422
    html = response.text
    assert '<a href="#mapping">The file has no column for strength, concern or context (polarity)' in html
    assert '<details class="mapping" id="mapping" open>' in html
    assert '<option value="Type">Type</option>' in html
    assert '<option value="Title" selected>Title</option>' in html, "recognised columns are preselected"


async def test_a_wrong_file_is_refused_beside_the_file_field(client, page_site) -> None:
    review, reviewer = page_site
    csrf = browser_session(client, reviewer)
    no_file = await client.post(
        f"/reviews/{review.id}/evidence/import", data={"csrf_token": csrf, "action": "check"}
    )
    assert no_file.status_code == 422
    assert '<a href="#file">Choose the spreadsheet file to import.</a>' in no_file.text
    pdf = await client.post(
        f"/reviews/{review.id}/evidence/import",
        data={"csrf_token": csrf, "action": "check"},
        files={"file": ("notes.pdf", b"%PDF-1.4\n", "application/pdf")},
    )
    assert pdf.status_code == 422
    assert "Files ending .pdf are not accepted" in pdf.text
    assert 'aria-describedby="file-hint file-error"' in pdf.text


async def test_the_page_needs_a_writer_and_a_valid_form(client, page_site) -> None:
    review, _ = page_site
    observer = add_member(review, "observer")
    csrf = browser_session(client, observer)
    assert (await client.get(f"/reviews/{review.id}/evidence/import")).status_code == 403
    forged = await client.post(
        f"/reviews/{review.id}/evidence/import",
        data={"csrf_token": "wrong", "action": "import"},
        files={"file": ("a.csv", csv_bytes(THEIR_HEADERS, GOOD_ROWS), "text/csv")},
    )
    assert forged.status_code == 403
    assert csrf


async def test_signed_out_visitors_are_sent_to_sign_in(client, page_site) -> None:
    review, _ = page_site
    response = await client.get(f"/reviews/{review.id}/evidence/import", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
