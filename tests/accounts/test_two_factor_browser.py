"""Two-factor sign-in and lockouts in a real headless Chromium at tablet width."""

from __future__ import annotations

import pytest
from sqlmodel import select
from test_two_factor import code_for, enrol

from app.accounts.models import TwoFactor
from app.core.db import session_scope
from tests.factories import PASSWORD, make_user

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def _password_step(
    page, base: str, email: str, password: str = PASSWORD, next_path: str = "/account"
) -> None:
    page.goto(f"{base}/sign-in?next={next_path}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_set_up_two_factor_from_the_account_page(db, live_server, page):
    user = make_user(name="Tomas Lead")
    _password_step(page, live_server, user.email)
    page.wait_for_url(f"{live_server}/account")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    assert qr.is_visible() and qr.bounding_box()["width"] > 100
    shown = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    with session_scope(read_only=True) as s:
        secret = s.exec(select(TwoFactor)).one().secret
    assert shown == secret
    page.screenshot(path=f"{SHOTS}/accounts-two-factor-setup.png", full_page=True)
    page.get_by_label("Code from your app").fill("000000" if code_for(secret) != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert "The code is not right" in page.locator("#error-summary").inner_text()
    page.get_by_label("Code from your app").fill(code_for(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert page.locator("#recovery-codes li").count() == 10
    page.screenshot(path=f"{SHOTS}/accounts-recovery-codes.png", full_page=True)
    page.get_by_role("link", name="I have saved my codes: continue").click()
    page.wait_for_url(f"{live_server}/account")
    assert "unused recovery codes" in page.locator("main").inner_text()


def test_sign_in_with_a_code_from_the_app(db, live_server, page):
    user = make_user()
    secret, _ = enrol(user)
    _password_step(page, live_server, user.email)
    page.get_by_role("heading", name="Enter your code").wait_for()
    page.screenshot(path=f"{SHOTS}/accounts-sign-in-code.png", full_page=True)
    page.get_by_label("Code", exact=True).fill(code_for(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/account")
    assert page.get_by_role("heading", name="Your account").is_visible()


def test_sign_in_with_a_recovery_code(db, live_server, page):
    user = make_user()
    _, codes = enrol(user)
    _password_step(page, live_server, user.email)
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/account")
    assert "9 unused recovery codes" in page.locator("main").inner_text()


def test_repeated_failures_lock_the_account_out(db, live_server, page):
    user = make_user()
    for _ in range(5):
        _password_step(page, live_server, user.email, "a wrong guess at it")
        page.locator("#error-summary").wait_for()
    summary = page.locator("#error-summary").inner_text()
    assert "too many failed sign-ins for this account. Try again in 1 minute." in summary
    page.screenshot(path=f"{SHOTS}/accounts-locked-out.png", full_page=True)
    # Even the right password is turned away until the lockout ends.
    _password_step(page, live_server, user.email)
    page.locator("#error-summary").wait_for()
    assert "too many failed sign-ins" in page.locator("#error-summary").inner_text()
    assert "/sign-in" in page.url
