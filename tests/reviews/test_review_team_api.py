"""Partner organisations and the review team over the API."""

from __future__ import annotations

import pytest

from tests.factories import add_member, add_organisation, auth, make_review, make_user
from tests.reviews.reviews_helpers import add_evidence, audit_rows

pytestmark = pytest.mark.anyio


async def test_lead_adds_lists_renames_and_removes_a_partner(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    observer = add_member(review, "observer")
    base = f"/api/v1/reviews/{review.id}/organisations"
    created = await client.post(
        base, json={"name": " Vale Hospitals NHS Trust ", "org_type": "nhs_trust"}, headers=auth(lead)
    )
    assert created.status_code == 201, created.text
    org = created.json()
    assert org["name"] == "Vale Hospitals NHS Trust"
    await client.post(
        base, json={"name": "Age Concern Vale", "org_type": "voluntary_sector"}, headers=auth(lead)
    )

    listed = (await client.get(base, headers=auth(observer))).json()
    assert [o["name"] for o in listed] == ["Age Concern Vale", "Vale Hospitals NHS Trust"]

    renamed = await client.patch(
        f"{base}/{org['id']}", json={"name": "Vale Hospitals Trust"}, headers=auth(lead)
    )
    assert renamed.status_code == 200 and renamed.json()["org_type"] == "nhs_trust"
    assert (await client.delete(f"{base}/{org['id']}", headers=auth(lead))).status_code == 204
    assert [o["name"] for o in (await client.get(base, headers=auth(lead))).json()] == ["Age Concern Vale"]

    events = audit_rows(review.id, "organisation")
    assert [e.action for e in events] == ["create", "create", "update", "delete"]
    assert all(e.user_id == lead.id for e in events)
    assert events[2].changes == {"name": ["Vale Hospitals NHS Trust", "Vale Hospitals Trust"]}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "", "org_type": "icb"}, 422, "name"),
        ({"name": "Somewhere", "org_type": "charity"}, 422, "org_type"),
        ({"name": "vale council", "org_type": "local_authority"}, 409, "name"),
    ],
)
async def test_partner_refusals_name_the_field(client, db, body, status, field) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    add_organisation(review, "Vale Council", "local_authority")
    response = await client.post(f"/api/v1/reviews/{review.id}/organisations", json=body, headers=auth(lead))
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_only_the_lead_manages_partners(client, db) -> None:
    review = make_review()
    reviewer = add_member(review, "reviewer")
    response = await client.post(
        f"/api/v1/reviews/{review.id}/organisations",
        json={"name": "X", "org_type": "icb"},
        headers=auth(reviewer),
    )
    assert response.status_code == 403


async def test_a_partner_that_evidence_or_members_refer_to_cannot_be_removed(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    council = add_organisation(review, "Vale Council", "local_authority")
    add_member(review, "self_assessor", organisation=council)
    add_evidence(review, lead, organisation_ids=(council.id,))
    add_evidence(review, lead, organisation_ids=(council.id,))
    response = await client.delete(
        f"/api/v1/reviews/{review.id}/organisations/{council.id}", headers=auth(lead)
    )
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "2 evidence items" in detail and "1 team members" in detail
    assert audit_rows(review.id, "organisation", "delete") == []


async def test_organisations_of_another_review_are_not_found(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    elsewhere = add_organisation(make_review(title="Other"), "Far Trust", "nhs_trust")
    url = f"/api/v1/reviews/{review.id}/organisations/{elsewhere.id}"
    assert (await client.patch(url, json={"name": "Mine now"}, headers=auth(lead))).status_code == 404
    assert (await client.delete(url, headers=auth(lead))).status_code == 404


async def test_lead_adds_members_by_email_with_roles(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    council = add_organisation(review, "Vale Council", "local_authority")
    reviewer = make_user(name="Rita Reviewer")
    assessor = make_user(name="Sam Assessor")
    base = f"/api/v1/reviews/{review.id}/members"
    added = await client.post(
        base, json={"email": reviewer.email.upper(), "role": "reviewer"}, headers=auth(lead)
    )
    assert added.status_code == 201, added.text
    assert added.json()["display_name"] == "Rita Reviewer" and added.json()["organisation_id"] is None
    sa = await client.post(
        base,
        json={"email": assessor.email, "role": "self_assessor", "organisation_id": council.id},
        headers=auth(lead),
    )
    assert sa.status_code == 201, sa.text
    assert sa.json()["organisation_name"] == "Vale Council"

    team = (await client.get(base, headers=auth(reviewer))).json()
    assert [(m["display_name"], m["role"]) for m in team][1:] == [
        ("Rita Reviewer", "reviewer"),
        ("Sam Assessor", "self_assessor"),
    ]
    assert team[0]["role"] == "lead"
    events = audit_rows(review.id, "membership", "create")
    assert len(events) == 2 and all(e.user_id == lead.id for e in events)
    # The new reviewer can now open the review.
    assert (await client.get(f"/api/v1/reviews/{review.id}", headers=auth(reviewer))).json()[
        "role"
    ] == "reviewer"


async def test_self_assessors_need_a_partner_organisation_and_others_must_not_have_one(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    council = add_organisation(review, "Vale Council", "local_authority")
    foreign = add_organisation(make_review(title="Other"), "Far Trust", "nhs_trust")
    person = make_user()
    base = f"/api/v1/reviews/{review.id}/members"
    for body in (
        {"email": person.email, "role": "self_assessor"},
        {"email": person.email, "role": "self_assessor", "organisation_id": foreign.id},
        {"email": person.email, "role": "reviewer", "organisation_id": council.id},
    ):
        response = await client.post(base, json=body, headers=auth(lead))
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == "organisation_id"


async def test_unknown_email_and_existing_member_are_refused_on_email(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    base = f"/api/v1/reviews/{review.id}/members"
    missing = await client.post(
        base, json={"email": "ghost@example.org", "role": "observer"}, headers=auth(lead)
    )
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {
            "field": "email",
            "message": "there is no account for ghost@example.org: "
            "an administrator must create the account first",
        }
    ]
    again = await client.post(base, json={"email": lead.email, "role": "observer"}, headers=auth(lead))
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "email"


async def test_the_last_lead_cannot_be_demoted_or_removed(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    base = f"/api/v1/reviews/{review.id}/members"
    team = (await client.get(base, headers=auth(lead))).json()
    lead_id = team[0]["id"]
    demote = await client.patch(f"{base}/{lead_id}", json={"role": "reviewer"}, headers=auth(lead))
    assert demote.status_code == 409 and demote.json()["errors"][0]["field"] == "role"
    remove = await client.delete(f"{base}/{lead_id}", headers=auth(lead))
    assert remove.status_code == 409

    # With a second lead, the first may step down.
    second = make_user()
    added = await client.post(base, json={"email": second.email, "role": "lead"}, headers=auth(lead))
    step_down = await client.patch(f"{base}/{lead_id}", json={"role": "observer"}, headers=auth(lead))
    assert step_down.status_code == 200 and step_down.json()["role"] == "observer"
    # Now the second lead is the last one.
    refused = await client.delete(f"{base}/{added.json()['id']}", headers=auth(second))
    assert refused.status_code == 409
    # And the first, now an observer, can no longer manage the team.
    assert (await client.delete(f"{base}/{added.json()['id']}", headers=auth(lead))).status_code == 403


async def test_changing_role_moves_the_organisation_rule_with_it(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    council = add_organisation(review, "Vale Council", "local_authority")
    trust = add_organisation(review, "Vale Trust", "nhs_trust")
    person = add_member(review, "self_assessor", organisation=council)
    base = f"/api/v1/reviews/{review.id}/members"
    member_id = next(
        m["id"] for m in (await client.get(base, headers=auth(lead))).json() if m["user_id"] == person.id
    )

    moved = await client.patch(f"{base}/{member_id}", json={"organisation_id": trust.id}, headers=auth(lead))
    assert moved.json()["organisation_name"] == "Vale Trust"
    to_reviewer = await client.patch(f"{base}/{member_id}", json={"role": "reviewer"}, headers=auth(lead))
    assert to_reviewer.status_code == 200
    assert to_reviewer.json()["organisation_id"] is None  # only self-assessors speak for an organisation
    back = await client.patch(f"{base}/{member_id}", json={"role": "self_assessor"}, headers=auth(lead))
    assert back.status_code == 422 and back.json()["errors"][0]["field"] == "organisation_id"

    events = audit_rows(review.id, "membership", "update")
    assert [e.changes for e in events] == [
        {"organisation_id": [council.id, trust.id]},
        {"organisation_id": [trust.id, None], "role": ["self_assessor", "reviewer"]},
    ]


async def test_removing_a_member_is_audited_and_ends_their_access(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    observer = add_member(review, "observer")
    base = f"/api/v1/reviews/{review.id}/members"
    member_id = next(
        m["id"] for m in (await client.get(base, headers=auth(lead))).json() if m["user_id"] == observer.id
    )
    assert (await client.delete(f"{base}/{member_id}", headers=auth(lead))).status_code == 204
    assert (await client.get(f"/api/v1/reviews/{review.id}", headers=auth(observer))).status_code == 404
    event = audit_rows(review.id, "membership", "delete")[0]
    assert event.user_id == lead.id and event.changes["role"] == ["observer", None]
