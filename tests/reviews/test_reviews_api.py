"""Reviews over the API: creation by administrators, reading, details, report text, the workflow."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.core.db import session_scope
from app.reviews.models import Membership, Review
from tests.factories import add_member, auth, make_review, make_user
from tests.reviews.reviews_helpers import add_evidence, audit_rows

pytestmark = pytest.mark.anyio

NEW_REVIEW = {
    "title": "Local system review of Northshire",
    "place": "Northshire",
    "icb": "Northshire and Vale ICB",
    "councils": ["Northshire County Council", " ", "Vale District Council", "northshire county council"],
    "kind": "external_review",
    "framework_key": "local-system-review",
    "fieldwork_start": "2025-03-10",
    "fieldwork_end": "2025-03-14",
}


async def test_admin_creates_a_review_with_a_named_lead(client, db) -> None:
    admin = make_user(admin=True)
    lead = make_user(email="lead@northshire.example")
    response = await client.post(
        "/api/v1/reviews", json={**NEW_REVIEW, "lead_email": "Lead@Northshire.example"}, headers=auth(admin)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "planning"
    assert body["framework_version"] == "1.0"  # the newest version, pinned
    assert body["councils"] == ["Northshire County Council", "Vale District Council"]
    assert body["role"] is None  # the admin is not the lead here
    assert body["allowed_moves"] == ["fieldwork"]
    with session_scope() as s:
        members = list(s.exec(select(Membership).where(Membership.review_id == body["id"])))
    assert [(m.user_id, m.role) for m in members] == [(lead.id, "lead")]
    created = audit_rows(body["id"], "review", action="create")
    assert created and created[0].user_id == admin.id
    assert audit_rows(body["id"], entity="membership", action="create")[0].user_id == admin.id

    # The lead now sees it in their list, with their role.
    listed = (await client.get("/api/v1/reviews", headers=auth(lead))).json()
    assert [(r["id"], r["role"]) for r in listed] == [(body["id"], "lead")]


async def test_admin_may_lead_by_user_id(client, db) -> None:
    admin = make_user(admin=True)
    response = await client.post(
        "/api/v1/reviews", json={**NEW_REVIEW, "lead_user_id": admin.id}, headers=auth(admin)
    )
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "lead"


async def test_only_admins_create_reviews(client, db) -> None:
    user = make_user()
    response = await client.post(
        "/api/v1/reviews", json={**NEW_REVIEW, "lead_email": user.email}, headers=auth(user)
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lead_email": "nobody@example.org"}, "lead_email"),
        ({"lead_email": None}, "lead_email"),
        ({"framework_key": "no-such-framework"}, "framework_key"),
        ({"framework_version": "9.9"}, "framework_version"),
        ({"title": "   "}, "title"),
        ({"kind": "inspection"}, "kind"),
        ({"fieldwork_end": "2025-03-01"}, "fieldwork_end"),
    ],
)
async def test_create_refusals_name_the_field(client, db, change, field) -> None:
    admin = make_user(admin=True)
    body = {**NEW_REVIEW, "lead_email": admin.email, **change}
    response = await client.post("/api/v1/reviews", json=body, headers=auth(admin))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    with session_scope() as s:
        assert s.exec(select(Review)).first() is None  # nothing half-made


async def test_missing_account_says_an_administrator_must_create_it(client, db) -> None:
    admin = make_user(admin=True)
    body = {**NEW_REVIEW, "lead_email": "new.person@example.org"}
    response = await client.post("/api/v1/reviews", json=body, headers=auth(admin))
    assert "an administrator must create the account first" in response.json()["detail"]


async def test_list_shows_only_reviews_with_a_role_but_admins_see_all(client, db) -> None:
    admin = make_user(admin=True)
    mine = make_review(admin=admin, title="Mine")
    other = make_review(admin=admin, title="Other", status="fieldwork")
    reviewer = add_member(mine, "reviewer")
    titles = [r["title"] for r in (await client.get("/api/v1/reviews", headers=auth(reviewer))).json()]
    assert titles == ["Mine"]
    every = (await client.get("/api/v1/reviews", headers=auth(admin))).json()
    assert {r["id"] for r in every} == {mine.id, other.id}
    only_fieldwork = (await client.get("/api/v1/reviews?status=fieldwork", headers=auth(admin))).json()
    assert [r["id"] for r in only_fieldwork] == [other.id]
    assert (await client.get("/api/v1/reviews?status=archived", headers=auth(admin))).status_code == 422


async def test_read_is_404_to_non_members(client, db) -> None:
    review = make_review()
    member = add_member(review, "observer")
    assert (await client.get(f"/api/v1/reviews/{review.id}", headers=auth(member))).status_code == 200
    assert (await client.get(f"/api/v1/reviews/{review.id}", headers=auth(make_user()))).status_code == 404
    assert (await client.get(f"/api/v1/reviews/{review.id}")).status_code == 401


async def test_lead_edits_details_and_each_change_is_audited(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    response = await client.patch(
        f"/api/v1/reviews/{review.id}",
        json={
            "title": "Northshire system review",
            "councils": ["Northshire Council"],
            "fieldwork_start": "2025-05-01",
        },
        headers=auth(lead),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "Northshire system review"
    assert body["place"] == "Northshire"  # untouched
    assert body["revision"] == review.revision + 1
    event = audit_rows(review.id, "review", action="update")[-1]
    assert event.user_id == lead.id
    assert event.changes["title"] == ["Review of Northshire", "Northshire system review"]
    assert event.changes["fieldwork_start"] == [None, "2025-05-01"]


async def test_fieldwork_end_before_start_is_refused_even_across_two_edits(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    url = f"/api/v1/reviews/{review.id}"
    assert (
        await client.patch(url, json={"fieldwork_start": "2025-05-10"}, headers=auth(lead))
    ).status_code == 200
    response = await client.patch(url, json={"fieldwork_end": "2025-05-09"}, headers=auth(lead))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "fieldwork_end", "message": "the end of fieldwork must be on or after its start"}
    ]


async def test_only_the_lead_edits_details(client, db) -> None:
    review = make_review()
    reviewer = add_member(review, "reviewer")
    response = await client.patch(f"/api/v1/reviews/{review.id}", json={"title": "X"}, headers=auth(reviewer))
    assert response.status_code == 403


async def test_framework_changes_only_in_planning_before_any_work(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    url = f"/api/v1/reviews/{review.id}"
    response = await client.patch(url, json={"framework_key": "integration-maturity"}, headers=auth(lead))
    assert response.status_code == 200, response.text
    assert (response.json()["framework_key"], response.json()["framework_version"]) == (
        "integration-maturity",
        "1.0",
    )

    unknown = await client.patch(url, json={"framework_version": "7"}, headers=auth(lead))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "framework_version"

    add_evidence(review, lead)
    refused = await client.patch(url, json={"framework_key": "local-system-review"}, headers=auth(lead))
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "framework_key"
    assert "1 evidence items" in refused.json()["detail"]
    # Naming the current framework again is not a change, so it is fine.
    same = await client.patch(
        url, json={"framework_key": "integration-maturity", "title": "T"}, headers=auth(lead)
    )
    assert same.status_code == 200


async def test_framework_is_fixed_after_planning(client, db) -> None:
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    response = await client.patch(
        f"/api/v1/reviews/{review.id}", json={"framework_key": "integration-maturity"}, headers=auth(lead)
    )
    assert response.status_code == 409
    assert "only change while the review is in planning" in response.json()["detail"]


async def test_report_text_is_written_by_lead_and_report_writer_only(client, db) -> None:
    review = make_review(status="reporting")
    writer = add_member(review, "report_writer")
    reviewer = add_member(review, "reviewer")
    url = f"/api/v1/reviews/{review.id}/report-text"
    response = await client.put(url, json={"summary": "Leaders share a clear plan."}, headers=auth(writer))
    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "Leaders share a clear plan."
    assert response.json()["people_experience"] == ""
    event = audit_rows(review.id, "review", action="report_text")[-1]
    assert event.user_id == writer.id and event.changes == {"summary": ["", "Leaders share a clear plan."]}
    assert (await client.put(url, json={"summary": "x"}, headers=auth(reviewer))).status_code == 403
    # The report writer cannot edit the review's details.
    assert (
        await client.patch(f"/api/v1/reviews/{review.id}", json={"title": "x"}, headers=auth(writer))
    ).status_code == 403


async def test_status_walks_forward_and_back_one_step(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    url = f"/api/v1/reviews/{review.id}/status"
    for target in ("fieldwork", "moderation", "fieldwork", "moderation", "reporting"):
        response = await client.post(url, json={"status": target}, headers=auth(lead))
        assert response.status_code == 200, response.text
        assert response.json()["status"] == target
    moves = audit_rows(review.id, "review", action="status")
    assert [e.changes["status"] for e in moves][-1] == ["moderation", "reporting"]
    assert all(e.user_id == lead.id for e in moves)


async def test_skipping_a_step_is_refused_naming_status(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    response = await client.post(
        f"/api/v1/reviews/{review.id}/status", json={"status": "reporting"}, headers=auth(lead)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"
    bad = await client.post(
        f"/api/v1/reviews/{review.id}/status", json={"status": "done"}, headers=auth(lead)
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


async def test_only_the_lead_moves_status(client, db) -> None:
    review = make_review()
    reviewer = add_member(review, "reviewer")
    response = await client.post(
        f"/api/v1/reviews/{review.id}/status", json={"status": "fieldwork"}, headers=auth(reviewer)
    )
    assert response.status_code == 403


async def test_publishing_sets_the_date_and_makes_the_review_read_only(client, db) -> None:
    review = make_review(status="reporting")
    lead = add_member(review, "lead")
    writer = add_member(review, "report_writer")
    response = await client.post(
        f"/api/v1/reviews/{review.id}/status", json={"status": "published"}, headers=auth(lead)
    )
    assert response.status_code == 200
    assert response.json()["published_at"] is not None
    assert response.json()["allowed_moves"] == []

    back = await client.post(
        f"/api/v1/reviews/{review.id}/status", json={"status": "reporting"}, headers=auth(lead)
    )
    assert back.status_code == 409
    assert "published" in back.json()["detail"]
    for method, path, body, who in [
        ("PATCH", "", {"title": "x"}, lead),
        ("PUT", "/report-text", {"summary": "x"}, writer),
        ("POST", "/organisations", {"name": "Vale Trust", "org_type": "nhs_trust"}, lead),
        ("POST", "/members", {"email": writer.email, "role": "observer"}, lead),
    ]:
        refused = await client.request(
            method, f"/api/v1/reviews/{review.id}{path}", json=body, headers=auth(who)
        )
        assert refused.status_code == 409, (method, path, refused.text)
    # Reading still works.
    assert (await client.get(f"/api/v1/reviews/{review.id}", headers=auth(writer))).status_code == 200
