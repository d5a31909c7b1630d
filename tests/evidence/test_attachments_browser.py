"""Attaching and removing a file from the evidence page, in headless Chromium at tablet width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import tests.evidence.file_samples as samples
from tests.evidence.test_import_browser import sign_in_by_cookie
from tests.factories import add_member, make_evidence, make_review

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser


def test_attach_a_photo_download_it_then_remove_it(db, live_server, page) -> None:
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    item = make_evidence(review, reviewer, title="Discharge lounge visit")
    sign_in_by_cookie(page, live_server, reviewer)
    detail = f"{live_server}/reviews/{review.id}/evidence/{item.id}"

    page.goto(detail)
    files = page.locator("#attachments")
    expect(files).to_contain_text("No files attached.")
    files.get_by_label("Attach a file").set_input_files(
        files=[{"name": "Lounge – whiteboard.png", "mimeType": "image/png", "buffer": samples.png(8, 8)}]
    )
    files.get_by_role("button", name="Attach the file").click()
    page.wait_for_url(f"{detail}?attached=1#attachments")
    expect(page.locator(".notice")).to_contain_text("The file has been attached.")
    link = page.get_by_role("link", name="Lounge – whiteboard.png", exact=True)
    expect(link).to_be_visible()
    page.get_by_role("link", name="Remove Lounge – whiteboard.png").focus()
    page.screenshot(path="/tmp/evidence-detail-files.png", full_page=True)

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "Lounge – whiteboard.png"
    with open(download.path(), "rb") as saved:
        assert saved.read() == samples.png(8, 8)

    page.get_by_role("link", name="Remove Lounge – whiteboard.png").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove “Lounge – whiteboard.png”?")
    page.screenshot(path="/tmp/evidence-remove-file.png", full_page=True)
    page.get_by_role("button", name="Yes, remove the file").click()
    page.wait_for_url(f"{detail}?file_removed=1#attachments")
    expect(page.locator(".notice")).to_contain_text("The file has been removed.")
    expect(page.locator("#attachments")).to_contain_text("No files attached.")
