"""The report page in a real headless Chromium at tablet width: export, live progress, download."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.reports import jobs
from tests.factories import PASSWORD
from tests.reports.reports_helpers import seed_review

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def sign_in(page, base: str, user, next_path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/sign-in?next={next_path}")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{next_path}")


def test_export_by_keyboard_follows_progress_live_and_offers_the_download(db, live_server, page):
    seeded = seed_review(framework_key="peer-challenge")
    path = f"/reviews/{seeded.review_id}/report"
    sign_in(page, live_server, seeded.writer, path)
    expect(page.get_by_role("heading", name="The system review report")).to_be_visible()
    preview = page.frame_locator("iframe[title='Preview of the report']")
    expect(preview.get_by_role("heading", name="Summary of findings")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/report_page.png", full_page=True)

    # By keyboard: the kind of PDF, then the button.
    page.get_by_label("Kind of PDF").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Kind of PDF")).to_have_value("pdf/a-3b")
    page.get_by_role("button", name="Export the report").focus()
    page.screenshot(path=f"{SHOTS}/report_focus.png")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}{path}?job=*")
    status = page.locator("#job-status")
    expect(status).to_have_attribute("aria-live", "polite")
    # report.js polls the job and rewrites the live region; no reload.
    expect(status).to_contain_text("The report is ready.", timeout=300_000)
    link = status.get_by_role("link", name="Download the report")
    expect(link).to_be_visible()
    expect(page.locator(".report-job__check")).to_have_count(0)
    expect(page.locator("#renders tbody tr")).to_have_count(1)  # the list catches up without a reload
    page.screenshot(path=f"{SHOTS}/report_done.png", full_page=True)
    href = link.get_attribute("href")
    assert href and href.startswith(f"/api/v1/reviews/{seeded.review_id}/report/files/")
    response = page.request.get(f"{live_server}{href}")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    jobs.get_runner().stop()
