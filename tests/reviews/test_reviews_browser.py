"""The review home in a real headless Chromium at tablet width."""

from __future__ import annotations

import pytest

from app.core.db import session_scope
from app.reviews.models import Review
from tests.factories import add_member, add_organisation, make_review, signed_in

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def test_lead_moves_the_review_on_from_its_home_page(db, live_server, page):
    review = make_review()
    lead = add_member(review, "lead")
    add_organisation(review, "Northshire County Council", "local_authority")
    add_member(review, "reviewer")
    signed_in(page, live_server, lead)
    page.goto(f"{live_server}/reviews/{review.id}")
    assert page.get_by_role("heading", name="Status: Planning").is_visible()
    assert "Planning" in page.locator('[aria-current="step"]').inner_text()
    page.screenshot(path=f"{SHOTS}/reviews-home.png", full_page=True)

    # Keyboard alone: focus the button and press Enter.
    page.get_by_role("button", name="Move on to fieldwork").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/reviews/{review.id}?done=status")
    assert page.get_by_role("status").inner_text() == "The review's status has changed."
    page.goto(f"{live_server}/reviews/{review.id}")
    assert page.get_by_role("heading", name="Status: Fieldwork").is_visible()
    assert page.get_by_role("button", name="Move back to planning").is_visible()
    with session_scope() as s:
        assert s.get(Review, review.id).status == "fieldwork"  # type: ignore[union-attr]
