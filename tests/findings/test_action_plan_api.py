"""The system action plan: after publication, owned by partners, progress kept as history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import auth
from findings_helpers import audit_rows, make_team, set_status
from sqlmodel import func, select

from app.core.db import session_scope
from app.core.timeutil import utcnow
from app.findings.models import ActionItem, ActionNote

pytestmark = pytest.mark.anyio

SOON = (utcnow().date() + timedelta(days=60)).isoformat()


def url(team, suffix: str = "") -> str:
    return f"/api/v1/reviews/{team.review.id}/actions{suffix}"


async def published_with_recommendations(client):
    """A published review whose recommendation 1 the council owns and 2 both partners own."""
    team = make_team()
    recs = f"/api/v1/reviews/{team.review.id}/recommendations"
    one = await client.post(
        recs,
        json={"text": "Publish a joint carers' offer.", "owner_organisation_ids": [team.council.id]},
        headers=auth(team.lead),
    )
    two = await client.post(
        recs,
        json={
            "text": "Agree discharge standards.",
            "owner_organisation_ids": [team.council.id, team.trust.id],
        },
        headers=auth(team.lead),
    )
    set_status(team.review, "published")
    return team, one.json()["id"], two.json()["id"]


def counts() -> tuple[int, int]:
    with session_scope() as s:
        return (
            s.exec(select(func.count()).select_from(ActionItem)).one(),
            s.exec(select(func.count()).select_from(ActionNote)).one(),
        )


async def test_the_plan_waits_for_publication(client, db):
    team = make_team()
    response = await client.post(
        url(team), json={"text": "Act", "owner_organisation_id": team.council.id}, headers=auth(team.lead)
    )
    assert response.status_code == 403
    assert counts() == (0, 0)
    # Reading an empty plan is fine for any member.
    listed = await client.get(url(team), headers=auth(team.council_assessor))
    assert listed.status_code == 200 and listed.json() == []


async def test_action_from_a_recommendation_takes_its_text_and_single_owner(client, db):
    team, one, two = await published_with_recommendations(client)
    response = await client.post(
        url(team), json={"recommendation_id": one, "due_date": SOON}, headers=auth(team.lead)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["text"] == "Publish a joint carers' offer."
    assert body["recommendation"] == {"id": one, "number": 1}
    assert body["owner"]["id"] == team.council.id
    assert (body["status"], body["due_date"], body["overdue"], body["notes"]) == (
        "not_started",
        SOON,
        False,
        [],
    )

    # Two owners: the lead must say which one owns this action.
    shared = await client.post(url(team), json={"recommendation_id": two}, headers=auth(team.lead))
    assert shared.status_code == 422 and shared.json()["errors"][0]["field"] == "owner_organisation_id"
    free = await client.post(
        url(team),
        json={"text": "Run a winter planning workshop.", "owner_organisation_id": team.trust.id},
        headers=auth(team.writer),
    )
    assert free.status_code == 201 and free.json()["recommendation"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "x", "status": "finished"}, "status"),
        ({"text": "x", "due_date": "2020-05-01"}, "due_date"),
        ({"recommendation_id": 999999}, "recommendation_id"),
        ({"text": ""}, "text"),
        ({"text": "x", "owner_organisation_id": 999999}, "owner_organisation_id"),
    ],
)
async def test_invalid_action_names_the_field(client, db, body, field):
    team, _, _ = await published_with_recommendations(client)
    response = await client.post(
        url(team), json={"owner_organisation_id": team.council.id, **body}, headers=auth(team.lead)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert counts() == (0, 0)


async def test_self_assessors_act_for_their_own_organisation_only(client, db):
    team, one, _ = await published_with_recommendations(client)
    council_action = (
        await client.post(url(team), json={"recommendation_id": one}, headers=auth(team.council_assessor))
    ).json()
    assert council_action["owner"]["id"] == team.council.id  # their own organisation by default
    trust_action = await client.post(
        url(team),
        json={"text": "Open a discharge lounge.", "owner_organisation_id": team.council.id},
        headers=auth(team.trust_assessor),
    )
    assert trust_action.status_code == 403

    action_url = url(team, f"/{council_action['id']}")
    note = {"note": "Draft offer shared with carers' groups.", "status": "in_progress"}
    refused = [
        await client.patch(action_url, json={"status": "done"}, headers=auth(team.trust_assessor)),
        await client.post(f"{action_url}/notes", json=note, headers=auth(team.trust_assessor)),
        # Nor can the owner hand its action to another organisation.
        await client.patch(
            action_url, json={"owner_organisation_id": team.trust.id}, headers=auth(team.council_assessor)
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert counts() == (1, 0)

    ok = await client.patch(action_url, json={"due_date": SOON}, headers=auth(team.council_assessor))
    assert ok.status_code == 200 and ok.json()["due_date"] == SOON
    noted = await client.post(f"{action_url}/notes", json=note, headers=auth(team.council_assessor))
    assert noted.status_code == 201 and noted.json()["status"] == "in_progress"
    # The lead and report writer may update any action.
    lead = await client.patch(
        action_url, json={"owner_organisation_id": team.trust.id}, headers=auth(team.lead)
    )
    assert lead.status_code == 200 and lead.json()["owner"]["id"] == team.trust.id


async def test_progress_notes_set_the_status_and_are_kept_in_order(client, db):
    team, one, _ = await published_with_recommendations(client)
    action = (await client.post(url(team), json={"recommendation_id": one}, headers=auth(team.lead))).json()
    notes_url = url(team, f"/{action['id']}/notes")
    updates = [
        ("Working group formed.", "in_progress"),
        ("Waiting for the carers' survey.", "blocked"),
        ("Offer **published**.", "done"),
    ]
    for text, status in updates:
        response = await client.post(
            notes_url, json={"note": text, "status": status}, headers=auth(team.lead)
        )
        assert response.status_code == 201
    body = (await client.get(url(team, f"/{action['id']}"), headers=auth(team.trust_assessor))).json()
    assert body["status"] == "done"
    assert [(n["note"], n["status"]) for n in body["notes"]] == updates
    assert body["notes"][2]["note_html"] == "<p>Offer <strong>published</strong>.</p>\n"
    assert body["notes"][0]["created_by"]["id"] == team.lead.id

    bad = await client.post(notes_url, json={"note": "x", "status": "finished"}, headers=auth(team.lead))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    empty = await client.post(notes_url, json={"note": " ", "status": "done"}, headers=auth(team.lead))
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "note"


async def test_who_may_read_and_write_the_plan(client, db):
    team, one, _ = await published_with_recommendations(client)
    action = (await client.post(url(team), json={"recommendation_id": one}, headers=auth(team.writer))).json()
    for user in (
        team.lead,
        team.reviewer,
        team.writer,
        team.observer,
        team.council_assessor,
        team.trust_assessor,
    ):
        assert (await client.get(url(team), headers=auth(user))).status_code == 200
    assert (await client.get(url(team), headers=auth(team.outsider))).status_code == 404
    for user in (team.reviewer, team.observer):
        response = await client.patch(
            url(team, f"/{action['id']}"), json={"status": "done"}, headers=auth(user)
        )
        assert response.status_code == 403


async def test_overdue_is_worked_out_from_the_due_date(client, db):
    team, one, _ = await published_with_recommendations(client)
    action = (await client.post(url(team), json={"recommendation_id": one}, headers=auth(team.lead))).json()
    with session_scope() as s:
        row = s.get(ActionItem, action["id"])
        row.due_date = utcnow().date() - timedelta(days=1)
        s.add(row)
    assert (await client.get(url(team, f"/{action['id']}"), headers=auth(team.lead))).json()[
        "overdue"
    ] is True
    await client.post(
        url(team, f"/{action['id']}/notes"),
        json={"note": "Finished.", "status": "done"},
        headers=auth(team.lead),
    )
    assert (await client.get(url(team, f"/{action['id']}"), headers=auth(team.lead))).json()[
        "overdue"
    ] is False


async def test_plan_writes_are_audited_with_the_acting_user(client, db):
    team, one, _ = await published_with_recommendations(client)
    action = (
        await client.post(url(team), json={"recommendation_id": one}, headers=auth(team.council_assessor))
    ).json()
    await client.patch(url(team, f"/{action['id']}"), json={"due_date": SOON}, headers=auth(team.lead))
    await client.post(
        url(team, f"/{action['id']}/notes"),
        json={"note": "Started.", "status": "in_progress"},
        headers=auth(team.council_assessor),
    )
    items = audit_rows(team.review, "action_item")
    assert [(u, a) for u, a, _, _ in items] == [
        (team.council_assessor.id, "create"),
        (team.lead.id, "update"),
        (team.council_assessor.id, "update"),
    ]
    assert items[1][3]["due_date"] == [None, SOON]
    assert items[2][3]["status"] == ["not_started", "in_progress"]
    notes = audit_rows(team.review, "action_note")
    assert [(u, a) for u, a, _, _ in notes] == [(team.council_assessor.id, "create")]
    assert notes[0][3]["note"] == [None, "Started."]
