"""The import page and the attach form in headless Chromium at tablet width (768 x 1024)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func
from sqlmodel import select

import tests.evidence.file_samples as samples
from app.accounts.deps import SESSION_COOKIE
from app.accounts.service import issue_token
from app.core.config import get_settings
from app.core.db import session_scope
from app.evidence.models import Evidence
from tests.evidence.test_import_api import GOOD_ROWS, THEIR_HEADERS, csv_bytes
from tests.factories import add_member, add_organisation, make_evidence, make_review

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def sign_in_by_cookie(page, base: str, user) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as s:
        issued = issue_token(s, user=user, kind="session", lifetime=timedelta(hours=1))
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": issued.token, "url": base}])


def evidence_count() -> int:
    with session_scope(read_only=True) as s:
        return s.exec(select(func.count()).select_from(Evidence)).one()


def test_check_a_file_fix_the_match_and_import_it(db, live_server, page) -> None:
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    add_organisation(review, "Northshire County Council", "local_authority")
    add_organisation(review, "Northshire Hospitals, NHS Trust", "nhs_trust")
    sign_in_by_cookie(page, live_server, reviewer)

    page.goto(f"{live_server}/reviews/{review.id}/evidence/import")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import evidence from a spreadsheet")
    page.screenshot(path=f"{SHOTS}/evidence-import-empty.png", full_page=True)

    # Their column for strength/concern is called "Type", which is not recognised by name.
    rows = [list(r) for r in GOOD_ROWS] + [list(GOOD_ROWS[0])]
    rows[3][6] = "31/02/2024"
    data = csv_bytes(THEIR_HEADERS, rows)
    page.get_by_label("Spreadsheet file").set_input_files(
        files=[{"name": "visit-notes.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Check the file").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("The file has no column for strength, concern or context")
    expect(page.locator("details#mapping")).to_have_attribute("open", "")
    page.screenshot(path=f"{SHOTS}/evidence-import-mapping-error.png", full_page=True)

    # The file is kept: match the column and check again without choosing it again.
    page.get_by_label("Strength, concern or context (needed)").select_option("Type")
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".error-summary")).to_contain_text("1 row has problems")
    problem = page.locator("#import-problems tbody tr")
    expect(problem).to_have_count(1)
    expect(problem.first).to_contain_text("5")
    expect(problem.first).to_contain_text("'31/02/2024' is not a date")
    page.locator(".error-summary a").first.focus()
    page.screenshot(path=f"{SHOTS}/evidence-import-problems.png", full_page=True)
    assert evidence_count() == 0

    good = csv_bytes(THEIR_HEADERS, GOOD_ROWS)
    page.get_by_label("A changed copy (optional)").set_input_files(
        files=[{"name": "visit-notes-fixed.csv", "mimeType": "text/csv", "buffer": good}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("is ready to import")
    page.screenshot(path=f"{SHOTS}/evidence-import-ready.png", full_page=True)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".notice")).to_contain_text("Import finished: 3 new items added")
    assert evidence_count() == 3


def test_the_size_check_warns_before_sending(db, live_server, page, monkeypatch) -> None:
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    monkeypatch.setattr(get_settings(), "max_attachment_bytes", 1000)
    sign_in_by_cookie(page, live_server, reviewer)

    page.goto(f"{live_server}/reviews/{review.id}/evidence/import")

    page.get_by_label("Spreadsheet file").set_input_files(
        files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": b"Title\n" + b"x" * 2000}]
    )
    error = page.locator("#file-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("the limit is 1000 bytes")
    assert page.get_by_label("Spreadsheet file").get_attribute("aria-invalid") == "true"
    page.get_by_role("button", name="Check the file").click()
    expect(page).to_have_url(f"{live_server}/reviews/{review.id}/evidence/import")
    assert page.evaluate("document.activeElement.id") == "file"
    page.screenshot(path=f"{SHOTS}/evidence-import-too-big.png", full_page=True)


def test_a_refused_attachment_page_at_tablet_width(db, live_server, page) -> None:
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    item = make_evidence(review, reviewer, title="Discharge lounge visit")
    sign_in_by_cookie(page, live_server, reviewer)
    page.goto(f"{live_server}/reviews/{review.id}/evidence/import")
    csrf = page.locator("input[name=csrf_token]").first.input_value()
    # Post the form the way the evidence page's attach form does, then look at the answer.
    page.evaluate(
        """([action, csrf]) => {
            const form = document.createElement("form");
            form.method = "post"; form.action = action; form.enctype = "multipart/form-data";
            const token = document.createElement("input");
            token.type = "hidden"; token.name = "csrf_token"; token.value = csrf;
            form.appendChild(token); document.body.appendChild(form); form.submit();
        }""",
        [f"{live_server}/reviews/{review.id}/evidence/{item.id}/attachments", csrf],
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("The file was not attached")
    expect(page.locator(".error-summary")).to_contain_text("Choose a file to attach")
    page.get_by_label("Attach a file").set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": samples.png()}]
    )
    page.get_by_role("button", name="Attach the file").focus()
    page.screenshot(path=f"{SHOTS}/evidence-attach-refused.png", full_page=True)
    page.get_by_role("button", name="Attach the file").click()
    page.wait_for_url(f"{live_server}/reviews/{review.id}/evidence/{item.id}?attached=1#attachments")
