"""The data profile pages through the app, as a browser without JavaScript uses them."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.core.db import session_scope
from app.dataprofile.models import IndicatorValue
from tests.factories import add_member, make_review
from tests.reviews.reviews_helpers import audit_rows, browser_session

pytestmark = pytest.mark.anyio


def error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, "the page has no error summary"
    return match.group(0)


async def test_data_profile_page_reads_figures_in_words_and_symbols(client, db) -> None:
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    with session_scope() as s:
        s.add(
            IndicatorValue(
                review_id=review.id,
                indicator_key="bed-occupancy",
                value=93.2,
                period="Q3 2024",
                england=92.1,
                similar_areas=93.2,
            )
        )
        s.add(
            IndicatorValue(
                review_id=review.id,
                indicator_key="emergency-admissions-65",
                value=21000,
                period="2023-24",
                england=24000.5,
            )
        )
    browser_session(client, reviewer)
    page = await client.get(f"/reviews/{review.id}/data-profile")
    assert page.status_code == 200
    html = page.text
    beds = re.search(r'<tr id="indicator-bed-occupancy".*?</tr>', html, re.S).group(0)  # type: ignore[union-attr]
    assert "row--risk" in beds and "Risk: above 85" in beds
    assert "This area worse" in beds and "Same" in beds
    admissions = re.search(r'<tr id="indicator-emergency-admissions-65".*?</tr>', html, re.S).group(0)  # type: ignore[union-attr]
    assert "21,000" in admissions and "24,000.5" in admissions and "This area better" in admissions
    assert "2 of " in html and "1 is past its risk threshold" in html
    assert f'href="/reviews/{review.id}/data-profile/weekend-discharges"' in html


async def test_figures_are_entered_and_removed_through_the_form(client, db) -> None:
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    csrf = browser_session(client, reviewer)
    url = f"/reviews/{review.id}/data-profile/weekend-discharges"
    form = await client.get(url)
    assert form.status_code == 200 and 'inputmode="decimal"' in form.text
    bad = await client.post(url, data={"csrf_token": csrf, "value": "lots", "period": ""})
    assert bad.status_code == 422
    assert 'href="#value"' in error_summary(bad.text)
    saved = await client.post(
        url, data={"csrf_token": csrf, "value": "1,234.5", "period": "2024-25", "england": "17%"}
    )
    assert saved.status_code == 303
    assert (
        saved.headers["location"]
        == f"/reviews/{review.id}/data-profile?done=figures-saved#indicator-weekend-discharges"
    )
    with session_scope() as s:
        stored = s.exec(select(IndicatorValue).where(IndicatorValue.review_id == review.id)).one()
    assert (stored.value, stored.england, stored.period) == (1234.5, 17.0, "2024-25")
    again = await client.get(url)
    assert 'value="1234.5"' in again.text and "Remove these figures" in again.text
    removed = await client.post(f"{url}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert [e.action for e in audit_rows(review.id, "indicator_value")] == ["create", "delete"]
    assert (await client.get(f"/reviews/{review.id}/data-profile/not-an-indicator")).status_code == 404


async def test_data_profile_page_is_closed_to_self_assessors_until_publication(client, db) -> None:
    review = make_review()
    assessor = add_member(review, "self_assessor")
    browser_session(client, assessor)
    assert (await client.get(f"/reviews/{review.id}/data-profile")).status_code == 403
