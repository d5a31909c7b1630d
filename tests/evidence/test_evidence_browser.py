"""Evidence capture in a real headless Chromium at tablet width: sign in, enter an item through
the form, find it in the list and the coverage matrix; a draft survives a reload; a save made
while offline is sent when the connection returns, once."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.core.db import session_scope
from app.evidence.models import Evidence
from tests.factories import PASSWORD, add_member, add_organisation, make_review

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser

SHOTS = "/tmp"


def sign_in(page, base: str, email: str, next_path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/sign-in?next={next_path}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{next_path}")


def stored_titles() -> list[str]:
    with session_scope(read_only=True) as s:
        return list(s.exec(select(Evidence.title).order_by(Evidence.title)))


def count_evidence() -> int:
    with session_scope(read_only=True) as s:
        return s.exec(select(func.count()).select_from(Evidence)).one()


@pytest.fixture(autouse=True)
def patient(page):  # type: ignore[no-untyped-def]
    # The machine may be busy running other suites: allow slow steps, never flaky ones.
    page.set_default_timeout(30_000)


@pytest.fixture
def fieldwork(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork", title="Review of Northshire")
    add_organisation(review, "Northshire Hospitals NHS Foundation Trust", "nhs_trust")
    reviewer = add_member(review, "reviewer")
    return review, reviewer


def test_enter_evidence_and_find_it_in_the_list_and_coverage(fieldwork, live_server, page):
    review, reviewer = fieldwork
    new_url = f"/reviews/{review.id}/evidence/new"
    sign_in(page, live_server, reviewer.email, new_url)

    page.get_by_label("Title", exact=True).fill("Bed meeting, Ward 7")
    page.get_by_label("What you found").fill(
        "Delays were discussed **openly** between the trust and the council."
    )
    page.get_by_role("radio", name="Concern", exact=True).check()
    page.get_by_label("Evidence category").select_option(label="Observation")
    page.get_by_label("Source", exact=True).select_option(label="Observation")
    # The type-ahead box narrows 43 lines down and opens the domain holding the match.
    finder = page.get_by_label("Find a line of enquiry")
    finder.fill("LG3")
    assert page.locator(".loe-filter__status").inner_text() == "1 line matches."
    page.locator("#line-LG3").check()
    finder.fill("")
    # Without a filter the domains are folded away: open one by its summary, then choose.
    page.locator('[data-domain="shared-vision"] summary').click()
    page.locator("#line-SV1").check()
    page.get_by_label("Care and support in a crisis").check()
    page.get_by_label("Northshire Hospitals NHS Foundation Trust (NHS trust)").check()
    page.get_by_label("Tags (optional)").fill("flow, beds")
    assert "(1 chosen)" in page.locator('[data-domain="leadership-governance"] summary').inner_text()
    page.screenshot(path=f"{SHOTS}/evidence-form.png", full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"{SHOTS}/evidence-form-top.png")

    page.get_by_role("button", name="Save evidence").click()
    page.wait_for_url(f"{live_server}/reviews/{review.id}/evidence/*?notice=added")
    assert page.get_by_role("heading", name="Bed meeting, Ward 7").is_visible()
    assert page.get_by_role("status").first.inner_text() == "Evidence added."
    assert page.locator(".narrative strong").inner_text() == "openly"
    page.screenshot(path=f"{SHOTS}/evidence-detail.png", full_page=True)
    # The draft kept while typing is gone once the server has the item.
    assert page.evaluate("Object.keys(localStorage).filter(k => k.includes('evidence-draft')).length") == 0

    page.get_by_role("link", name="Evidence", exact=True).first.click()
    page.wait_for_url(f"{live_server}/reviews/{review.id}/evidence")
    item = page.locator(".evidence-item").first
    assert "Bed meeting, Ward 7" in item.inner_text() and "Concern" in item.inner_text()
    assert "LG3" in item.inner_text() and "SV1" in item.inner_text()
    page.screenshot(path=f"{SHOTS}/evidence-list.png", full_page=True)

    page.get_by_role("link", name="Coverage").click()
    page.wait_for_url(f"{live_server}/reviews/{review.id}/coverage")
    lg3 = page.locator("#line-LG3")
    assert "Not triangulated" in lg3.inner_text()
    assert "No evidence" in page.locator("#line-LG4").inner_text()
    page.screenshot(path=f"{SHOTS}/evidence-coverage.png", full_page=True)
    page.locator("#domain-leadership-governance").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/evidence-coverage-matrix.png")
    assert stored_titles() == ["Bed meeting, Ward 7"]


def test_a_draft_survives_a_reload_and_keeps_its_id(fieldwork, live_server, page):
    review, reviewer = fieldwork
    new_url = f"/reviews/{review.id}/evidence/new"
    sign_in(page, live_server, reviewer.email, new_url)
    first_id = page.locator("input[name=id]").input_value()
    page.get_by_label("Title", exact=True).fill("Carers' focus group")
    page.get_by_label("What you found").fill("Carers said they told their story many times.")
    page.get_by_role("radio", name="Strength", exact=True).check()

    page.reload()

    assert page.get_by_label("Title", exact=True).input_value() == "Carers' focus group"
    assert page.get_by_role("radio", name="Strength", exact=True).is_checked()
    assert page.locator("input[name=id]").input_value() == first_id
    assert "has not been saved yet" in page.locator(".js-draft-notice").inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"{SHOTS}/evidence-draft-restored.png")

    page.get_by_role("button", name="Discard this draft").click()
    assert page.get_by_label("Title", exact=True).input_value() == ""
    assert page.locator("input[name=id]").input_value() != first_id


def test_a_save_made_offline_is_sent_once_when_back_online(fieldwork, live_server, page):
    review, reviewer = fieldwork
    sign_in(page, live_server, reviewer.email, f"/reviews/{review.id}/evidence/new")
    page.get_by_label("Title", exact=True).fill("Discharge lounge observation")
    page.get_by_role("radio", name="Context", exact=True).check()
    page.get_by_label("Evidence category").select_option(label="Observation")
    page.get_by_label("Source", exact=True).select_option(label="Observation")
    page.get_by_label("Find a line of enquiry").fill("IS1")
    page.locator("#line-IS1").check()

    page.context.set_offline(True)
    page.get_by_role("button", name="Save evidence").click()
    status = page.locator(".js-save-status")
    status.get_by_text("Not saved yet").wait_for()
    assert "kept on this device" in status.inner_text()
    page.screenshot(path=f"{SHOTS}/evidence-offline.png")
    assert count_evidence() == 0

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_url(f"{live_server}/reviews/{review.id}/evidence/*?notice=added", timeout=40_000)
    assert stored_titles() == ["Discharge lounge observation"]


def test_errors_come_back_in_the_page_and_the_fixed_form_saves_once(fieldwork, live_server, page):
    review, reviewer = fieldwork
    sign_in(page, live_server, reviewer.email, f"/reviews/{review.id}/evidence/new")
    form_id = page.locator("input[name=id]").input_value()
    page.get_by_label("What you found").fill("Notes typed before the title.")
    page.get_by_role("button", name="Save evidence").click()

    summary = page.locator("#error-summary")
    summary.wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert (
        "Enter a title" in summary.inner_text()
        and "Choose at least one line of enquiry" in summary.inner_text()
    )
    assert page.get_by_label("What you found").input_value() == "Notes typed before the title."
    assert page.locator("input[name=id]").input_value() == form_id
    page.screenshot(path=f"{SHOTS}/evidence-form-errors.png")
    summary.get_by_role("link", name="Choose whether this is a strength, a concern or context").click()
    assert page.evaluate("document.activeElement.id") == "polarity"

    page.get_by_label("Title", exact=True).fill("Notes from the ward round")
    page.get_by_role("radio", name="Context", exact=True).check()
    page.get_by_label("Evidence category").select_option(label="Observation")
    page.get_by_label("Source", exact=True).select_option(label="Observation")
    page.get_by_label("Find a line of enquiry").fill("RE1")
    page.locator("#line-RE1").check()
    page.get_by_role("button", name="Save evidence").click()
    page.wait_for_url(f"{live_server}/reviews/{review.id}/evidence/{form_id}?notice=added")
    assert stored_titles() == ["Notes from the ward round"]
