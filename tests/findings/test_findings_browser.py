"""The finding form in a real headless Chromium at tablet width: the evidence filter as you go."""

from __future__ import annotations

import pytest
from factories import PASSWORD
from findings_helpers import add_evidence, make_team
from playwright.sync_api import expect
from sqlmodel import select

from app.core.db import session_scope
from app.findings.models import Finding

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser


def sign_in(page, base: str, user, next_path: str) -> None:
    page.goto(f"{base}/sign-in?next={next_path}")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{next_path}")


def test_a_writer_narrows_the_evidence_ticks_one_and_sees_the_finding_listed(db, live_server, page):
    team = make_team()
    add_evidence(team.review, team.reviewer, title="Vision workshop notes", refs=("SV1",))
    survey = add_evidence(team.review, team.reviewer, title="Agency staff survey", refs=("WF2",))
    add_evidence(team.review, team.reviewer, title="Trusted assessor training", refs=("WF3",))
    path = f"/reviews/{team.review.id}/findings/new"
    sign_in(page, live_server, team.writer, path)

    count = page.locator("#evidence-count")
    expect(count).to_have_text("Showing 3 of 3 items of evidence.")
    # With the script running, the no-script filter button gives way to a words box.
    expect(page.get_by_role("button", name="Show this evidence")).to_be_hidden()

    page.get_by_label("Area for improvement").check()
    page.get_by_label("Domain", exact=True).select_option(label="The right staff with the right skills")
    expect(count).to_have_text("Showing 2 of 3 items of evidence.")
    expect(page.get_by_label("Vision workshop notes")).to_be_hidden()

    words = page.get_by_label("Words in the title")
    words.fill("survey")
    words.press("Enter")  # narrows the list; must not submit the form
    expect(count).to_have_text("Showing 1 of 3 items of evidence.")
    assert page.url.endswith(path)
    page.get_by_label("Agency staff survey").check()
    words.fill("")
    # A ticked item stays in view whatever the filter says.
    page.get_by_label("Show evidence for").select_option(label="A shared vision and purpose")
    expect(page.get_by_label("Agency staff survey")).to_be_visible()
    expect(count).to_have_text("Showing 2 of 3 items of evidence.")

    page.get_by_label("The finding", exact=True).fill("Care workers leave faster than they can be recruited.")
    page.screenshot(path="/tmp/findings-form-browser.png", full_page=True)
    page.get_by_role("button", name="Add the finding").click()

    expect(page.get_by_role("status")).to_have_text("The finding has been added.")
    with session_scope() as s:
        (finding,) = s.exec(select(Finding)).all()
    assert (finding.kind, finding.domain_key, finding.cited_evidence) == (
        "improvement",
        "workforce",
        [survey],
    )
    item = page.locator(f"#finding-{finding.id}")
    expect(item).to_contain_text("Care workers leave faster than they can be recruited.")
    expect(item.get_by_role("link", name="Agency staff survey")).to_have_attribute(
        "href", f"/reviews/{team.review.id}/evidence/{survey}"
    )
