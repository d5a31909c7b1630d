"""The rating pages in a real headless Chromium at tablet width (768 x 1024)."""

from __future__ import annotations

import pytest
from factories import PASSWORD
from playwright.sync_api import expect
from ratings_helpers import add_evidence, cast, moderate_as, rate_as, set_closed
from sqlmodel import select

from app.core.db import session_scope
from app.ratings.models import Rating

pytest_plugins = ["tests.browser_helpers"]
pytestmark = pytest.mark.browser

SHOTS = "/tmp"
CHOICES = {"PC1": 2, "PC2": 1, "PC3": 3, "PP1": 2, "PP2": 3}


def sign_in(page, base: str, user, next_path: str) -> None:
    page.goto(f"{base}/sign-in?next={next_path}")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{next_path}")


def test_a_self_assessor_completes_the_questionnaire_and_finds_it_saved_after_a_reload(db, live_server, page):
    c = cast("peer-challenge")
    path = f"/reviews/{c.review.id}/self-assessment"
    sign_in(page, live_server, c.nhs_leader, path)
    expect(page.locator("#progress-text")).to_have_text("0 of 5 lines rated")

    for index, (ref, value) in enumerate(CHOICES.items()):
        line = page.locator(f"#line-{ref}")
        # Tap the level's label (the large target with the rubric text), as on a tablet.
        line.locator(f"label[for='{ref}-value{'' if value == 1 else f'-{value}'}']").click()
        expect(page.locator(f"#{ref}-status")).to_contain_text("Saved")
        if ref == "PC2":
            line.get_by_label("Why this rating? (optional)").fill("Carers' assessments are months behind.")
            line.get_by_label("Why this rating? (optional)").blur()
            expect(page.locator(f"#{ref}-status")).to_contain_text("Saved")
        expect(page.locator("#progress-text")).to_have_text(f"{index + 1} of 5 lines rated")
        if index == 2:
            page.locator("#PP1-value").focus()  # keyboard focus on the next line's first level
            page.screenshot(path=f"{SHOTS}/ratings-questionnaire.png", full_page=True)

    assert page.locator("#progress-bar").get_attribute("value") == "5"
    page.reload()
    expect(page.locator("#progress-text")).to_have_text("5 of 5 lines rated")
    for ref, value in CHOICES.items():
        checked = page.locator(f"#line-{ref} input[name='value']:checked")
        assert checked.get_attribute("value") == str(value)
    assert page.locator("#PC2-rationale").input_value() == "Carers' assessments are months behind."
    expect(page.locator("#PC1-status")).to_have_text("Rated: 2 Partly")
    page.screenshot(path=f"{SHOTS}/ratings-questionnaire-reloaded.png", full_page=True)

    with session_scope() as s:
        stored = s.exec(select(Rating).where(Rating.review_id == c.review.id)).all()
        assert {(r.ref, r.value, r.group) for r in stored} == {
            (ref, value, "self_assessment") for ref, value in CHOICES.items()
        }
        assert {r.organisation_id for r in stored} == {c.trust.id}

    # Once the lead closes it, the answers are fixed and the anonymous spread appears.
    for ref in CHOICES:
        rate_as(c.council_leader, c.review, ref, 3)
    set_closed(c.review)
    page.reload()
    assert page.locator("#PC1-value").is_disabled()
    spread = page.locator("#line-PC2 table.spread")
    expect(spread).to_contain_text("How all self-assessors rated PC2 (2 people, no names)")
    expect(spread.locator(".spread__yours")).to_contain_text("1 Not yet")
    assert "Carla" not in page.content()
    page.locator("#line-PC2").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/ratings-questionnaire-closed.png")


def test_without_a_level_the_line_says_what_is_missing(db, live_server, page):
    c = cast("peer-challenge")
    path = f"/reviews/{c.review.id}/self-assessment"
    sign_in(page, live_server, c.council_leader, path)
    page.locator("#line-PC1").get_by_role("button", name="Save PC1").click()
    expect(page.locator("#PC1-status")).to_have_text("Choose a level to save this line")
    with session_scope() as s:
        assert s.exec(select(Rating)).all() == []


def seed_team_view(c) -> dict[str, str]:
    plans = add_evidence(c.review, c.reviewer, refs=("PC1", "PC3"), title="Care plans written with people")
    files = add_evidence(
        c.review,
        c.reviewer,
        refs=("PC1", "PC2"),
        title="Case files lack goals",
        polarity="concern",
        category="records",
        source_type="file-audit",
    )
    carers = add_evidence(c.review, c.reviewer, refs=("PC2", "PP1", "PP2"), title="Carers' focus group")
    evidence = {"plans": plans, "files": files, "carers": carers}
    self_ratings = [(c.council_leader, [3, 3, 3, 3, 2]), (c.nhs_leader, [1, 2, 2, 3, 1])]
    for user, values in self_ratings:
        for ref, value in zip(CHOICES, values, strict=True):
            rate_as(user, c.review, ref, value)
    for ref in ("PC1", "PC2", "PP1"):
        rate_as(
            c.reviewer, c.review, ref, 2, rationale="From the case files", cited_evidence=[evidence["files"]]
        )
    moderate_as(
        c.lead,
        c.review,
        "PC2",
        1,
        "Carers are rarely offered support",
        [evidence["files"], evidence["carers"]],
    )
    moderate_as(c.lead, c.review, "PP1", 3, "One plan, followed by every partner", [evidence["carers"]])
    moderate_as(c.lead, c.review, "PC3", 2, "Named contacts in one service only", [evidence["plans"]])
    return evidence


def test_team_pages_at_tablet_width(db, live_server, page):
    c = cast("peer-challenge")
    evidence = seed_team_view(c)
    sign_in(page, live_server, c.lead, f"/reviews/{c.review.id}/ratings")
    expect(page.get_by_role("heading", name="Ratings", exact=True)).to_be_visible()
    radar = page.locator("figure.chart--radar svg")
    expect(radar).to_be_visible()
    assert radar.get_attribute("role") == "img"
    # Nothing spills sideways at tablet width except inside the scrolling table wrapper.
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    page.screenshot(path=f"{SHOTS}/ratings-grid.png", full_page=True)

    page.get_by_role("link", name="PC1", exact=True).first.click()
    page.wait_for_url(f"{live_server}/reviews/{c.review.id}/moderation/PC1")
    expect(page.get_by_role("heading", name="What the evidence suggests")).to_be_visible()
    page.locator("label[for='moderate-value-2']").click()
    page.get_by_label("Reasons for this rating").fill("Involvement varies between teams.")
    page.locator("label", has_text="Case files lack goals").click()
    page.screenshot(path=f"{SHOTS}/ratings-moderation.png", full_page=True)

    # Meanwhile someone else moderates PC1: saving now must not overwrite their rating.
    moderate_as(c.lead, c.review, "PC1", 3, "Plans show people involved", [evidence["plans"]])
    page.get_by_role("button", name="Save the moderated rating").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("since you loaded it")
    expect(page.locator(".moderated-now")).to_contain_text("3")
    assert page.get_by_label("Reasons for this rating").input_value() == "Involvement varies between teams."
    page.screenshot(path=f"{SHOTS}/ratings-moderation-stale.png", full_page=True)

    page.goto(f"{live_server}/reviews/{c.review.id}/scores")
    expect(page.get_by_role("heading", name="Results", exact=True)).to_be_visible()
    page.screenshot(path=f"{SHOTS}/ratings-results.png", full_page=True)


def test_a_save_made_without_a_connection_is_kept_and_sent_when_it_returns(db, live_server, page):
    c = cast("peer-challenge")
    path = f"/reviews/{c.review.id}/self-assessment"
    sign_in(page, live_server, c.nhs_leader, path)
    page.context.set_offline(True)
    page.locator("label[for='PC1-value-3']").click()
    expect(page.locator("#PC1-status")).to_contain_text("no connection")
    with session_scope() as s:
        assert s.exec(select(Rating)).all() == []
    page.context.set_offline(False)
    expect(page.locator("#PC1-status")).to_contain_text("Saved", timeout=15_000)
    with session_scope() as s:
        assert [(r.ref, r.value) for r in s.exec(select(Rating)).all()] == [("PC1", 3)]
