"""Sign-in, sign-out and refused forms in a real headless Chromium at tablet width."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD, make_review, make_user

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def _sign_in(page, base: str, email: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{base}/sign-in?next={next_path}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_and_sign_out(db, live_server, page):
    user = make_user(name="Priya Reviewer", admin=True)
    make_review(admin=user, title="Review of Westshire")
    page.goto(f"{live_server}/account")
    # Not signed in: sent to the form, which remembers where we were going.
    assert re.search(r"/sign-in\?next=/account$", page.url)
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.screenshot(path=f"{SHOTS}/accounts-sign-in.png", full_page=True)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/account")
    assert page.get_by_role("heading", name="Your account").is_visible()
    assert page.locator(".site-header__user").inner_text() == "Priya Reviewer"
    cookie = next(c for c in page.context.cookies() if c["name"] == "sysreview_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"

    page.goto(f"{live_server}/")
    assert page.get_by_role("link", name="Review of Westshire").is_visible()
    page.screenshot(path=f"{SHOTS}/accounts-home.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/sign-in?notice=signed-out")
    assert page.get_by_role("status").inner_text() == "You have signed out."
    assert not [c for c in page.context.cookies() if c["name"] == "sysreview_session"]
    page.goto(f"{live_server}/account")
    assert "/sign-in" in page.url


def test_wrong_password_shows_the_error_summary(db, live_server, page):
    user = make_user()
    _sign_in(page, live_server, user.email, "not the password")
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "The email address or password is not right" in summary.inner_text()
    # The summary links to the field; following it puts the cursor there.
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "email"
    assert page.get_by_label("Email address").get_attribute("aria-describedby") == "email-error"
    page.screenshot(path=f"{SHOTS}/accounts-sign-in-error.png", full_page=True)


def test_keyboard_alone_can_sign_in(db, live_server, page):
    user = make_user()
    page.goto(f"{live_server}/sign-in")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.get_by_label("Email address").focus()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    assert page.get_by_role("heading", name="Your reviews").is_visible()


def test_a_form_with_a_forged_csrf_token_is_refused(db, live_server, page):
    user = make_user()
    _sign_in(page, live_server, user.email, PASSWORD, next_path="/account")
    page.wait_for_url(f"{live_server}/account")
    # As if the form had been copied onto another site: right fields, wrong secret.
    page.locator('form[action="/account/tokens"] input[name="csrf_token"]').evaluate(
        "el => el.value = 'forged'"
    )
    page.get_by_label("Name").fill("evidence import")
    page.get_by_role("button", name="Create token").click()
    assert page.get_by_role("heading", name="You cannot do this").is_visible()
    assert "did not come from this site" in page.locator("main").inner_text()
    page.screenshot(path=f"{SHOTS}/accounts-csrf-refused.png", full_page=True)
    page.goto(f"{live_server}/account")
    assert "You have no personal access tokens." in page.locator("main").inner_text()


def test_a_sign_in_posted_from_another_site_is_refused(db, live_server, page):
    user = make_user()
    page.goto(f"{live_server}/sign-in")  # the browser holds a sign-in nonce cookie for our site
    page.set_content(
        f'<form method="post" action="{live_server}/sign-in">'
        f'<input name="email" value="{user.email}"><input name="password" value="{PASSWORD}">'
        '<button type="submit">Go</button></form>'
    )
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()
    assert "did not come from this site" in page.locator("main").inner_text()
    assert not [c for c in page.context.cookies() if c["name"] == "sysreview_session"]


def test_account_page_creates_a_token_at_tablet_width(db, live_server, page):
    user = make_user()
    _sign_in(page, live_server, user.email, PASSWORD, next_path="/account")
    page.wait_for_url(f"{live_server}/account")
    page.get_by_label("Name").fill("team laptop import")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_role("textbox", name="Token", exact=True).input_value()
    assert len(secret) > 30
    assert page.get_by_role("cell", name="team laptop import", exact=True).is_visible()
    page.screenshot(path=f"{SHOTS}/accounts-token-created.png", full_page=True)
    # Nothing spills sideways at tablet width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 768


def test_admin_creates_and_deactivates_a_user(db, live_server, page):
    admin = make_user(admin=True, name="Ada Admin")
    _sign_in(page, live_server, admin.email, PASSWORD, next_path="/admin/users")
    page.wait_for_url(f"{live_server}/admin/users")
    page.get_by_label("Email address").fill("carol@example.org")
    page.get_by_label("Name", exact=True).fill("Carol Lead")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create user").click()
    assert "Must be at least 12 characters." in page.locator("#error-summary").inner_text()
    page.screenshot(path=f"{SHOTS}/accounts-users-error.png", full_page=True)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create user").click()
    assert page.get_by_role("status").inner_text().startswith("The account has been created")
    page.get_by_role("button", name="Deactivate Carol Lead").click()
    assert page.get_by_role("row", name=re.compile("Carol Lead")).get_by_text("Deactivated").is_visible()
    page.screenshot(path=f"{SHOTS}/accounts-users.png", full_page=True)


def test_lead_reads_and_filters_the_audit_trail(db, live_server, page):
    from app.core import audit
    from app.core.db import session_scope
    from tests.factories import add_member

    review = make_review(status="fieldwork", title="Review of Westshire")
    lead = add_member(review, "lead")
    reviewer = add_member(review, "reviewer")
    with session_scope() as s:
        for n, (entity, who) in enumerate([("evidence", reviewer), ("rating", lead), ("evidence", reviewer)]):
            audit.record(
                s, user_id=who.id, review_id=review.id, entity=entity, entity_id=n + 1, action="update",
                before={"title": "Discharge meeting notes", "polarity": "context"},
                after={"title": "Discharge meeting notes (checked)", "polarity": "concern"},
            )  # fmt: skip
    _sign_in(page, live_server, lead.email, PASSWORD, next_path=f"/reviews/{review.id}/audit")
    page.wait_for_url(f"{live_server}/reviews/{review.id}/audit")
    assert page.get_by_role("link", name="Audit trail").get_attribute("aria-current") == "page"
    assert page.locator("tbody tr").count() == 4  # three changes and the review's creation
    page.get_by_label("Kind of record").select_option("evidence")
    page.get_by_label("Changed by").select_option(str(reviewer.id))
    page.get_by_role("button", name="Show changes").click()
    assert page.locator("tbody tr").count() == 2
    assert "Showing changes 1 to 2 of 2" in page.locator("main").inner_text()
    page.screenshot(path=f"{SHOTS}/accounts-audit.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
