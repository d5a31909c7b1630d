"""Moderating a line: what the lead sees, cited evidence, and stale writes refused."""

from __future__ import annotations

import pytest
from factories import add_member, auth, make_user
from ratings_helpers import add_evidence, audit_rows, cast
from sqlmodel import select

from app.core.db import session_scope
from app.ratings.models import ModeratedRating

pytestmark = pytest.mark.anyio


def url(review, tail: str) -> str:
    return f"/api/v1/reviews/{review.id}{tail}"


def stored(review, ref: str) -> ModeratedRating | None:
    with session_scope() as s:
        return s.exec(
            select(ModeratedRating).where(ModeratedRating.review_id == review.id, ModeratedRating.ref == ref)
        ).first()


async def test_moderation_view_shows_ratings_spread_gap_evidence_hint_and_version(client):
    c = cast()
    strength = add_evidence(c.review, c.reviewer, refs=("PC1",), title="Care plans written with people")
    concern = add_evidence(
        c.review,
        c.reviewer,
        refs=("PC1", "PC2"),
        title="Case files lack goals",
        polarity="concern",
        category="records",
    )
    add_evidence(c.review, c.reviewer, refs=("PC1",), title="Withdrawn note", deleted=True)
    add_evidence(c.review, c.reviewer, refs=("PP1",), title="Joint plan")
    await client.put(url(c.review, "/ratings/PC1"), json={"value": 3}, headers=auth(c.council_leader))
    await client.put(url(c.review, "/ratings/PC1"), json={"value": 1}, headers=auth(c.nhs_leader))
    await client.put(
        url(c.review, "/ratings/PC1"),
        json={"value": 2, "rationale": "Mixed", "cited_evidence": [strength]},
        headers=auth(c.reviewer),
    )

    response = await client.get(url(c.review, "/moderation/PC1"), headers=auth(c.lead))
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v0"'
    view = response.json()
    assert view["question"].startswith("Are older people involved")
    assert [level["rubric"] for level in view["scale"]][0] == "People are rarely asked what matters to them."
    assert {(r["rater"]["name"], r["group"], r["value"]) for r in view["ratings"]} == {
        ("Carla Council", "self_assessment", 3),
        ("Nadia Trust", "self_assessment", 1),
        ("Ravi Reviewer", "review_team", 2),
    }
    assert view["self_assessment"]["n"] == 2 and view["self_assessment_median"] == 2.0
    assert view["review_team"]["flag"] == "single"
    assert view["gap"] is None and "no moderated rating" in view["gap_rule"]
    assert {e["title"] for e in view["evidence"]} == {
        "Care plans written with people",
        "Case files lack goals",
    }
    assert {e["category_name"] for e in view["evidence"]} == {
        "Voices of people and staff",
        "Records and data",
    }
    assert view["suggestion"]["is_hint"] is True and view["suggestion"]["reasons"]
    assert view["readiness"]["can_moderate"] is True and view["readiness"]["of"] == "linked"
    assert view["moderated"] is None and view["version"] == 0
    assert view["org_gaps"][0]["gap"] == -2.0  # NHS 1 minus council 3

    saved = await client.put(
        url(c.review, "/moderated/PC1"),
        json={"value": 2, "rationale": "Involvement varies by team", "cited_evidence": [strength, concern]},
        headers=auth(c.lead),
    )
    assert saved.status_code == 201
    again = (await client.get(url(c.review, "/moderation/PC1"), headers=auth(c.reviewer))).json()
    assert again["moderated"]["value"] == 2 and again["version"] == 1
    assert again["gap"] == 0.0
    assert again["readiness"]["of"] == "cited" and again["readiness"]["warnings"] == []
    assert {e["title"]: e["cited"] for e in again["evidence"]} == {
        "Care plans written with people": True,
        "Case files lack goals": True,
    }


async def test_a_line_cannot_be_moderated_without_cited_evidence_or_rationale(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    put = url(c.review, "/moderated/PC1")
    uncited = await client.put(put, json={"value": 2, "rationale": "Looks partial"}, headers=auth(c.lead))
    assert uncited.status_code == 422
    assert uncited.json()["errors"] == [
        {"field": "cited_evidence", "message": "a line cannot be moderated with no cited evidence"}
    ]
    no_rationale = await client.put(
        put, json={"value": 2, "cited_evidence": [evidence]}, headers=auth(c.lead)
    )
    assert no_rationale.status_code == 422
    assert no_rationale.json()["errors"][0]["field"] == "rationale"
    off_scale = await client.put(
        put, json={"value": 9, "rationale": "x", "cited_evidence": [evidence]}, headers=auth(c.lead)
    )
    assert off_scale.status_code == 422
    assert off_scale.json()["errors"][0]["field"] == "value"
    assert stored(c.review, "PC1") is None


async def test_stale_moderated_write_is_refused_and_the_stored_value_is_unchanged(client):
    c = cast()
    second_lead = add_member(c.review, "lead", user=make_user(name="Sam Second"))
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    put = url(c.review, "/moderated/PC1")
    body = {"rationale": "Care plans show involvement", "cited_evidence": [evidence]}

    created = await client.put(put, json={**body, "value": 2}, headers={**auth(c.lead), "If-Match": '"v0"'})
    assert created.status_code == 201
    assert created.headers["etag"] == '"v1"'

    # Both leads loaded version 1; the second one saves first.
    theirs = await client.put(
        put, json={**body, "value": 3}, headers={**auth(second_lead), "If-Match": '"v1"'}
    )
    assert theirs.status_code == 200
    assert theirs.headers["etag"] == '"v2"'

    stale = await client.put(put, json={**body, "value": 1}, headers={**auth(c.lead), "If-Match": '"v1"'})
    assert stale.status_code == 409
    detail = stale.json()["detail"]
    assert "changed by Sam Second at" in detail and "since you loaded it" in detail
    row = stored(c.review, "PC1")
    assert row is not None and (row.value, row.version, row.updated_by_id) == (3, 2, second_lead.id)

    # Without a version, changing an existing moderated rating is refused too.
    blind = await client.put(put, json={**body, "value": 1}, headers=auth(c.lead))
    assert blind.status_code == 409
    assert stored(c.review, "PC1").value == 3

    # The version may come in the body instead; it must agree with If-Match when both are sent.
    mismatch = await client.put(
        put, json={**body, "value": 1, "version": 2}, headers={**auth(c.lead), "If-Match": '"v1"'}
    )
    assert mismatch.status_code == 422
    current = await client.put(put, json={**body, "value": 1, "version": 2}, headers=auth(c.lead))
    assert current.status_code == 200
    assert current.json()["moderated"]["version"] == 3
    assert current.json()["moderated"]["updated_by"]["name"] == "Lena Lead"

    rows = audit_rows(c.review, "moderated_rating")
    assert [(r.action, r.user_id) for r in rows] == [
        ("create", c.lead.id),
        ("update", second_lead.id),
        ("update", c.lead.id),
    ]
    assert rows[1].changes["value"] == [2, 3]
    assert rows[2].changes["version"] == [2, 3]


async def test_creating_with_a_version_for_a_line_never_moderated_is_refused(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    response = await client.put(
        url(c.review, "/moderated/PC1"),
        json={"value": 2, "rationale": "x", "cited_evidence": [evidence]},
        headers={**auth(c.lead), "If-Match": '"v4"'},
    )
    assert response.status_code == 409
    bad_header = await client.put(
        url(c.review, "/moderated/PC1"),
        json={"value": 2, "rationale": "x", "cited_evidence": [evidence]},
        headers={**auth(c.lead), "If-Match": "yesterday"},
    )
    assert bad_header.status_code == 422
    assert bad_header.json()["errors"][0]["field"] == "If-Match"


async def test_untriangulated_cited_evidence_saves_with_a_warning(client):
    c = cast()
    voices = add_evidence(c.review, c.reviewer, refs=("PC2",), category="voices")
    voices_too = add_evidence(c.review, c.reviewer, refs=("PC2",), category="voices", polarity="concern")
    records = add_evidence(c.review, c.reviewer, refs=("PC2",), category="records")
    one_category = await client.put(
        url(c.review, "/moderated/PC2"),
        json={"value": 2, "rationale": "Some carers supported", "cited_evidence": [voices, voices_too]},
        headers=auth(c.lead),
    )
    assert one_category.status_code == 201
    warnings = one_category.json()["warnings"]
    assert len(warnings) == 1 and "not triangulated" in warnings[0]

    two = await client.put(
        url(c.review, "/moderated/PC2"),
        json={
            "value": 2,
            "rationale": "Some carers supported",
            "cited_evidence": [voices, records],
            "version": 1,
        },
        headers=auth(c.lead),
    )
    assert two.status_code == 200
    assert two.json()["warnings"] == []


async def test_who_may_moderate_and_see_moderation(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    body = {"value": 2, "rationale": "x", "cited_evidence": [evidence]}
    for user in (c.reviewer, c.observer, c.writer, c.nhs_leader):
        response = await client.put(url(c.review, "/moderated/PC1"), json=body, headers=auth(user))
        assert response.status_code == 403
    for user in (c.reviewer, c.observer, c.writer):
        assert (await client.get(url(c.review, "/moderation/PC1"), headers=auth(user))).status_code == 200
    hidden = await client.get(url(c.review, "/moderation/PC1"), headers=auth(c.nhs_leader))
    assert hidden.status_code == 403
    unknown = await client.get(url(c.review, "/moderation/ZZ9"), headers=auth(c.lead))
    assert unknown.status_code == 404 and "ZZ9" in unknown.json()["detail"]
