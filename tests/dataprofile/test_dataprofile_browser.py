"""The data profile in a real headless Chromium at tablet width."""

from __future__ import annotations

import pytest

from app.accounts.models import User
from app.core.db import session_scope
from app.dataprofile import service as dataprofile
from app.reviews.access import scope_for
from app.reviews.models import Review
from tests.factories import add_member, make_review, signed_in

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def test_reviewer_enters_a_figure_and_reads_the_comparison(db, live_server, page):
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    with session_scope() as s:
        dataprofile.set_value(
            s,
            ctx=scope_for(s, s.get(Review, review.id), s.get(User, reviewer.id)),
            indicator_key="bed-occupancy",
            value=93.6,
            period="Q3 2024",
            england=92.1,
            similar_areas=93.6,
        )
    signed_in(page, live_server, reviewer)
    page.goto(f"{live_server}/reviews/{review.id}/data-profile")
    beds = page.locator("#indicator-bed-occupancy")
    assert "Risk: above 85" in beds.inner_text()
    assert "This area worse" in beds.inner_text() and "Same" in beds.inner_text()

    page.get_by_role("link", name="Enter figures for Weekend discharges").click()
    page.get_by_label("Period").fill("2023-24")
    page.get_by_label("Northshire (per cent)").fill("17..2")
    page.get_by_role("button", name="Save the figures").click()
    summary = page.locator("#error-summary")
    assert "Enter a number, such as 1234.5" in summary.inner_text()
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "value"
    assert (
        page.get_by_label("Northshire (per cent)").get_attribute("aria-describedby")
        == "value-hint value-error"
    )
    page.screenshot(path=f"{SHOTS}/reviews-figure-error.png", full_page=True)

    page.keyboard.press("Control+A")
    page.keyboard.type("17.2")
    page.get_by_label("England (optional)").fill("18.5")
    page.get_by_role("button", name="Save the figures").click()
    page.wait_for_url(
        f"{live_server}/reviews/{review.id}/data-profile?done=figures-saved#indicator-weekend-discharges"
    )
    assert page.get_by_role("status").inner_text() == "The figures have been saved."
    page.goto(f"{live_server}/reviews/{review.id}/data-profile")
    weekend = page.locator("#indicator-weekend-discharges")
    assert "17.2" in weekend.inner_text() and "This area worse" in weekend.inner_text()
    page.screenshot(path=f"{SHOTS}/reviews-data-profile.png", full_page=True)
