"""The review audit trail: who may read it, filters, paging, and that it cannot be changed."""

from __future__ import annotations

import pytest
from accounts_helpers import web_sign_in

from app.core import audit
from app.core.db import session_scope
from app.reviews import changes
from app.reviews.access import anonymous_context
from app.reviews.models import Review
from tests.factories import PASSWORD, add_member, auth, make_review, make_user

pytestmark = pytest.mark.anyio


def _write_events(review, user, count: int, entity: str = "evidence") -> None:
    with session_scope() as s:
        for n in range(count):
            audit.record(
                s,
                user_id=user.id,
                review_id=review.id,
                entity=entity,
                entity_id=n + 1,
                action="update",
                before={"title": f"old {n}"},
                after={"title": f"new {n}"},
                reason=f"change {n}",
            )


async def test_lead_reads_the_trail_newest_first_with_who_and_changes(client):
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    reviewer = add_member(review, "reviewer")
    _write_events(review, reviewer, 3)
    other_review = make_review()
    _write_events(other_review, reviewer, 2)  # never shown in this review's trail

    response = await client.get(f"/api/v1/reviews/{review.id}/audit", headers=auth(lead))
    assert response.status_code == 200
    body = response.json()
    # The review's creation is in the trail too, written by the admin who created it.
    assert body["total"] == 4
    first = body["items"][0]
    assert first["entity"] == "evidence" and first["entity_id"] == "3"
    assert first["user"] == {"id": reviewer.id, "display_name": reviewer.display_name}
    assert first["changes"] == {"title": ["old 2", "new 2"]}
    assert first["reason"] == "change 2"
    assert first["action"] == "update"
    assert [item["entity_id"] for item in body["items"][:3]] == ["3", "2", "1"]
    assert body["items"][-1]["entity"] == "review" and body["items"][-1]["action"] == "create"


async def test_trail_filters_by_entity_and_user_and_pages(client):
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    reviewer = add_member(review, "reviewer")
    _write_events(review, reviewer, 5)
    _write_events(review, lead, 2, entity="rating")
    headers = auth(lead)
    url = f"/api/v1/reviews/{review.id}/audit"

    ratings = (await client.get(url, params={"entity": "rating"}, headers=headers)).json()
    assert ratings["total"] == 2 and {i["entity"] for i in ratings["items"]} == {"rating"}
    by_reviewer = (await client.get(url, params={"user_id": reviewer.id}, headers=headers)).json()
    assert by_reviewer["total"] == 5 and {i["user"]["id"] for i in by_reviewer["items"]} == {reviewer.id}

    page1 = (await client.get(url, params={"entity": "evidence", "limit": 2}, headers=headers)).json()
    page2 = (
        await client.get(url, params={"entity": "evidence", "limit": 2, "offset": 2}, headers=headers)
    ).json()
    page3 = (
        await client.get(url, params={"entity": "evidence", "limit": 2, "offset": 4}, headers=headers)
    ).json()
    ids = [i["entity_id"] for p in (page1, page2, page3) for i in p["items"]]
    assert ids == ["5", "4", "3", "2", "1"]
    assert (page1["limit"], page2["offset"], page3["total"]) == (2, 2, 5)

    too_big = await client.get(url, params={"limit": 1000}, headers=headers)
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "limit"


async def test_only_the_lead_and_administrators_read_the_trail(client):
    review = make_review(status="fieldwork")
    url = f"/api/v1/reviews/{review.id}/audit"
    for role in ("reviewer", "self_assessor", "report_writer", "observer"):
        response = await client.get(url, headers=auth(add_member(review, role)))
        assert response.status_code == 403, role
    assert (await client.get(url, headers=auth(make_user(admin=True)))).status_code == 200
    stranger = await client.get(url, headers=auth(make_user()))
    assert stranger.status_code == 404 and stranger.json()["detail"] == "review not found"
    assert (await client.get(url)).status_code == 401


async def test_the_trail_cannot_be_changed_through_the_api(client):
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    url = f"/api/v1/reviews/{review.id}/audit"
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        response = await client.request(method, url, json={}, headers=auth(lead))
        assert response.status_code == 405, method
    with session_scope() as s:
        event = audit.record(
            s, user_id=lead.id, review_id=review.id, entity="evidence", entity_id=1, action="x"
        )
        s.flush()
        event_id = event.id
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, f"{url}/{event_id}", headers=auth(lead))
        assert response.status_code in (404, 405), method
    assert (await client.get(url, headers=auth(lead))).json()["total"] == 2


async def test_audit_page_lists_changes_in_plain_words_with_filters(client):
    review = make_review(status="fieldwork", title="Review of Westshire")
    lead = add_member(review, "lead")
    reviewer = add_member(review, "reviewer")
    _write_events(review, reviewer, 2)
    await web_sign_in(client, lead.email, PASSWORD)
    page = await client.get(f"/reviews/{review.id}/audit")
    assert page.status_code == 200
    text = page.text
    assert "Audit trail" in text and "Review of Westshire" in text
    assert reviewer.display_name in text
    assert "<del>old 1</del>" in text and "<ins>new 1</ins>" in text
    assert 'aria-current="page"' in text  # the review's sub-navigation marks this page
    assert (
        '<label class="field__label" for="entity">' in text
        and '<label class="field__label" for="user_id">' in text
    )
    filtered = await client.get(f"/reviews/{review.id}/audit", params={"entity": "review", "user_id": ""})
    assert "old 1" not in filtered.text
    assert "<strong>Create</strong> review" in filtered.text


async def test_audit_page_pages_through_long_trails(client):
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    _write_events(review, lead, 60)
    await web_sign_in(client, lead.email, PASSWORD)
    first = await client.get(f"/reviews/{review.id}/audit", params={"entity": "evidence"})
    assert "Showing changes 1 to 50 of 60" in first.text
    assert 'href="?entity=evidence&amp;page=2"' in first.text
    second = await client.get(f"/reviews/{review.id}/audit", params={"entity": "evidence", "page": 2})
    assert "Showing changes 51 to 60 of 60" in second.text and "Newer changes" in second.text


async def test_audit_page_is_refused_to_a_reviewer(client):
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    await web_sign_in(client, reviewer.email, PASSWORD)
    response = await client.get(f"/reviews/{review.id}/audit")
    assert response.status_code == 403


async def test_a_change_made_without_an_account_shows_who_acted(client):
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    with session_scope() as s:
        ctx = anonymous_context(s.get(Review, review.id), "survey_respondent")
        changes.record(
            s, ctx, write=changes.Write.evidence, entity="evidence", entity_id="e1", action="create", after={}
        )
    body = (await client.get(f"/api/v1/reviews/{review.id}/audit", headers=auth(lead))).json()
    assert (body["items"][0]["user"], body["items"][0]["actor"]) == (None, "survey_respondent")
    await web_sign_in(client, lead.email, PASSWORD)
    page = await client.get(f"/reviews/{review.id}/audit")
    assert "Survey respondent" in page.text
