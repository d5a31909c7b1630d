"""Own ratings, the self-assessment's closing and its anonymous spread, through the API."""

from __future__ import annotations

import pytest
from factories import add_member, auth, make_review, make_user
from ratings_helpers import add_evidence, audit_rows, cast, set_closed

pytestmark = pytest.mark.anyio


def url(review, tail: str = "") -> str:
    return f"/api/v1/reviews/{review.id}{tail}"


async def test_self_assessor_rates_for_their_organisation_and_can_change_it(client):
    c = cast()
    response = await client.put(
        url(c.review, "/ratings/PC1"),
        json={"value": 2, "rationale": "Patchy"},
        headers=auth(c.council_leader),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group"] == "self_assessment"
    assert body["organisation_id"] == c.council.id
    assert (body["value"], body["value_label"], body["rationale"]) == (2, "Partly", "Patchy")

    repeated = await client.put(
        url(c.review, "/ratings/PC1"),
        json={"value": 2, "rationale": "Patchy"},
        headers=auth(c.council_leader),
    )
    assert repeated.status_code == 200  # a retry of the same answer: stored once, recorded once

    changed = await client.put(
        url(c.review, "/ratings/PC1"),
        json={"value": 3, "reason": "after the board discussion"},
        headers=auth(c.council_leader),
    )
    assert changed.status_code == 200
    assert changed.json()["id"] == body["id"]

    rows = audit_rows(c.review, "rating")
    assert [(r.action, r.user_id) for r in rows] == [
        ("create", c.council_leader.id),
        ("update", c.council_leader.id),
    ]
    assert rows[1].changes["value"] == [2, 3]
    assert rows[1].changes["rationale"] == ["Patchy", ""]
    assert rows[1].reason == "after the board discussion"


async def test_review_team_rating_needs_a_rationale_and_live_cited_evidence(client):
    c = cast()
    live = add_evidence(c.review, c.reviewer, refs=("PC1",))
    deleted = add_evidence(c.review, c.reviewer, refs=("PC1",), deleted=True)
    other_review = make_review(framework_key="peer-challenge")
    elsewhere = add_evidence(other_review, c.reviewer, refs=("PC1",))
    headers = auth(c.reviewer)
    put = url(c.review, "/ratings/PC1")

    no_reason = await client.put(put, json={"value": 2, "cited_evidence": [live]}, headers=headers)
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "rationale"

    uncited = await client.put(put, json={"value": 2, "rationale": "Mixed picture"}, headers=headers)
    assert uncited.status_code == 422
    assert uncited.json()["errors"][0]["field"] == "cited_evidence"

    for bad in (deleted, elsewhere, "no-such-id"):
        refused = await client.put(
            put, json={"value": 2, "rationale": "Mixed picture", "cited_evidence": [bad]}, headers=headers
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "cited_evidence"
        assert bad in refused.json()["detail"]

    saved = await client.put(
        put, json={"value": 2, "rationale": "Mixed picture", "cited_evidence": [live, live]}, headers=headers
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["group"] == "review_team"
    assert saved.json()["organisation_id"] is None
    assert saved.json()["cited_evidence"] == [live]


async def test_value_off_the_scale_is_refused_naming_value_and_the_allowed_levels(client):
    c = cast()
    for value in (0, 4, -1):
        response = await client.put(
            url(c.review, "/ratings/PC1"), json={"value": value}, headers=auth(c.council_leader)
        )
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert error["field"] == "value"
        assert "1 (Not yet), 2 (Partly), 3 (Fully)" in error["message"]
    text = await client.put(
        url(c.review, "/ratings/PC1"), json={"value": "2"}, headers=auth(c.council_leader)
    )
    assert text.status_code == 422
    assert text.json()["errors"][0]["field"] == "value"


async def test_zero_is_a_level_on_a_scale_that_starts_at_zero(client):
    c = cast("integration-maturity")
    response = await client.put(url(c.review, "/ratings/MD1"), json={"value": 0}, headers=auth(c.nhs_leader))
    assert response.status_code == 200, response.text
    assert response.json()["value_label"] == "No activity"


async def test_a_narrative_framework_takes_no_ratings(client):
    c = cast("narrative-review")
    from app.core.db import session_scope
    from app.frameworks.service import get_framework

    with session_scope() as s:
        ref = get_framework(s, "narrative-review", "1.0").refs()[0]
    response = await client.put(
        url(c.review, f"/ratings/{ref}"), json={"value": 1}, headers=auth(c.nhs_leader)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "value"
    assert "narrative" in response.json()["detail"]


async def test_an_unknown_line_is_404_naming_the_ref(client):
    c = cast()
    response = await client.put(
        url(c.review, "/ratings/SV1"), json={"value": 2}, headers=auth(c.council_leader)
    )
    assert response.status_code == 404
    assert "'SV1'" in response.json()["detail"]


async def test_self_assessment_is_refused_once_closed_but_the_team_still_rates(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    first = await client.put(url(c.review, "/ratings/PC1"), json={"value": 2}, headers=auth(c.nhs_leader))
    assert first.status_code == 200
    closed = await client.post(url(c.review, "/self-assessment/close"), headers=auth(c.lead))
    assert closed.status_code == 200
    assert closed.json() == {"self_assessment_closed": True}

    refused = await client.put(url(c.review, "/ratings/PC1"), json={"value": 3}, headers=auth(c.nhs_leader))
    assert refused.status_code == 409
    assert "closed" in refused.json()["detail"]
    mine = await client.get(url(c.review, "/ratings/mine"), headers=auth(c.nhs_leader))
    assert [r["value"] for r in mine.json()] == [2]

    team = await client.put(
        url(c.review, "/ratings/PC1"),
        json={"value": 3, "rationale": "Plans show it", "cited_evidence": [evidence]},
        headers=auth(c.reviewer),
    )
    assert team.status_code == 200

    reopened = await client.post(
        url(c.review, "/self-assessment/reopen"), json={"reason": "one leader was away"}, headers=auth(c.lead)
    )
    assert reopened.json() == {"self_assessment_closed": False}
    again = await client.put(url(c.review, "/ratings/PC1"), json={"value": 3}, headers=auth(c.nhs_leader))
    assert again.status_code == 200

    rows = audit_rows(c.review, "review")
    changes = [
        (r.user_id, r.changes.get("self_assessment_closed"), r.reason) for r in rows if r.action == "update"
    ]
    assert changes == [(c.lead.id, [False, True], ""), (c.lead.id, [True, False], "one leader was away")]


async def test_only_the_lead_closes_the_self_assessment(client):
    c = cast()
    for user in (c.reviewer, c.nhs_leader, c.observer):
        response = await client.post(url(c.review, "/self-assessment/close"), headers=auth(user))
        assert response.status_code == 403
    outsider = await client.post(url(c.review, "/self-assessment/close"), headers=auth(c.outsider))
    assert outsider.status_code == 404


async def test_who_may_rate(client):
    c = cast()
    for user in (c.observer, c.writer):
        response = await client.put(url(c.review, "/ratings/PC1"), json={"value": 2}, headers=auth(user))
        assert response.status_code == 403
    outsider = await client.put(url(c.review, "/ratings/PC1"), json={"value": 2}, headers=auth(c.outsider))
    assert outsider.status_code == 404
    admin = make_user(admin=True)
    response = await client.put(url(c.review, "/ratings/PC1"), json={"value": 2}, headers=auth(admin))
    assert response.status_code == 403
    assert "roles" in response.json()["detail"]
    unsigned = await client.put(url(c.review, "/ratings/PC1"), json={"value": 2})
    assert unsigned.status_code == 401


async def test_a_published_review_takes_no_ratings(client):
    c = cast(status="published")
    response = await client.put(url(c.review, "/ratings/PC1"), json={"value": 2}, headers=auth(c.nhs_leader))
    assert response.status_code == 409
    assert "published" in response.json()["detail"]


async def test_self_assessors_do_not_cite_review_evidence(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    response = await client.put(
        url(c.review, "/ratings/PC1"),
        json={"value": 2, "cited_evidence": [evidence]},
        headers=auth(c.nhs_leader),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cited_evidence"


async def test_self_assessors_cannot_see_others_ratings(client):
    c = cast()
    await client.put(url(c.review, "/ratings/PC1"), json={"value": 1}, headers=auth(c.council_leader))
    await client.put(url(c.review, "/ratings/PC2"), json={"value": 3}, headers=auth(c.nhs_leader))

    refused = await client.get(url(c.review, "/ratings"), headers=auth(c.nhs_leader))
    assert refused.status_code == 403
    mine = await client.get(url(c.review, "/ratings/mine"), headers=auth(c.nhs_leader))
    assert [(r["ref"], r["value"]) for r in mine.json()] == [("PC2", 3)]

    for user in (c.lead, c.reviewer, c.observer, c.writer):
        seen = await client.get(url(c.review, "/ratings"), headers=auth(user))
        assert seen.status_code == 200
        rows = {r["ref"]: r for r in seen.json()}
        assert rows["PC1"]["rater"]["name"] == "Carla Council"
        assert rows["PC1"]["organisation"]["name"] == "Northshire County Council"
        assert rows["PC2"]["organisation"]["org_type"] == "nhs_trust"


async def test_spread_is_anonymous_and_shown_to_self_assessors_only_after_closing(client):
    c = cast()
    extra = add_member(c.review, "self_assessor", user=make_user(name="Ivy Independent"))
    for user, value in ((c.council_leader, 1), (c.nhs_leader, 3), (extra, 3)):
        await client.put(url(c.review, "/ratings/PC1"), json={"value": value}, headers=auth(user))

    before = await client.get(url(c.review, "/ratings/spread"), headers=auth(c.nhs_leader))
    # Not yet: the self-assessment is still open (a state of the review, not a lack of rights).
    assert before.status_code == 409
    assert "once the review lead closes it" in before.json()["detail"]
    assert "lines" not in before.json()
    team = await client.get(url(c.review, "/ratings/spread"), headers=auth(c.observer))
    assert team.status_code == 200

    set_closed(c.review)
    after = await client.get(url(c.review, "/ratings/spread"), headers=auth(c.nhs_leader))
    assert after.status_code == 200
    body = after.json()
    assert body["self_assessment_closed"] is True
    lines = {line["ref"]: line for line in body["lines"]}
    assert list(lines) == ["PC1", "PC2", "PC3", "PP1", "PP2"]
    pc1 = lines["PC1"]
    assert [(c_["value"], c_["count"]) for c_ in pc1["counts"]] == [(1, 1), (2, 0), (3, 2)]
    assert (pc1["n"], pc1["median"]) == (3, 3.0)
    assert pc1["flag"] in ("agreed", "split")
    assert lines["PC2"]["n"] == 0 and lines["PC2"]["flag"] == "none"
    text = after.text
    for secret in ("Carla", "Nadia", "Ivy", "Northshire", "local_authority", "nhs_trust", "rater"):
        assert secret not in text
    assert str(c.council_leader.id) not in [str(v) for line in body["lines"] for v in line.values()]


async def test_mine_for_a_member_who_has_not_rated_is_empty_and_non_members_get_404(client):
    c = cast()
    response = await client.get(url(c.review, "/ratings/mine"), headers=auth(c.observer))
    assert response.json() == []
    outsider = await client.get(url(c.review, "/ratings/mine"), headers=auth(c.outsider))
    assert outsider.status_code == 404
