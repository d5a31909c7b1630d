"""Recommendations: numbered without gaps, owned by partners, with priority and target date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from factories import add_organisation, auth
from findings_helpers import audit_rows, make_team, set_status
from sqlmodel import func, select

from app.core.db import session_scope
from app.core.timeutil import utcnow
from app.findings.models import Recommendation

pytestmark = pytest.mark.anyio

NEXT_MONTH = (utcnow().date() + timedelta(days=30)).isoformat()


def url(team, suffix: str = "") -> str:
    return f"/api/v1/reviews/{team.review.id}/recommendations{suffix}"


async def add(client, team, user=None, **body):
    payload = {
        "text": "Agree one set of outcomes for older people.",
        "owner_organisation_ids": [team.council.id],
        "priority": "high",
        "target_date": NEXT_MONTH,
        **body,
    }
    return await client.post(url(team), json=payload, headers=auth(user or team.lead))


async def numbered(client, team) -> list[tuple[int, str]]:
    response = await client.get(url(team), headers=auth(team.lead))
    assert response.status_code == 200
    return [(r["number"], r["text"]) for r in response.json()]


async def test_recommendations_are_numbered_in_order_with_owners(client, db):
    team = make_team()
    first = await add(client, team, text="One", owner_organisation_ids=[team.council.id, team.trust.id])
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["number"] == 1
    assert [o["name"] for o in body["owners"]] == [
        "Northshire County Council",
        "Northshire Hospitals NHS Foundation Trust",
    ]
    assert (body["priority"], body["target_date"]) == ("high", NEXT_MONTH)
    await add(client, team, text="Two", domain_key="workforce", priority="low")
    await add(client, team, text="Three")
    assert await numbered(client, team) == [(1, "One"), (2, "Two"), (3, "Three")]


async def test_delete_renumbers_the_rest(client, db):
    team = make_team()
    ids = [(await add(client, team, text=t)).json()["id"] for t in ("One", "Two", "Three", "Four")]
    response = await client.delete(url(team, f"/{ids[1]}"), headers=auth(team.writer))
    assert response.status_code == 204
    assert await numbered(client, team) == [(1, "One"), (2, "Three"), (3, "Four")]
    renumbered = [(u, a, e, c) for u, a, e, c in audit_rows(team.review, "recommendation") if a == "renumber"]
    assert renumbered == [
        (team.writer.id, "renumber", str(ids[2]), {"number": [3, 2]}),
        (team.writer.id, "renumber", str(ids[3]), {"number": [4, 3]}),
    ]


async def test_reorder_by_number_and_insert_at_a_number(client, db):
    team = make_team()
    ids = [(await add(client, team, text=t)).json()["id"] for t in ("One", "Two", "Three")]
    moved = await client.patch(url(team, f"/{ids[2]}"), json={"number": 1}, headers=auth(team.lead))
    assert moved.status_code == 200 and moved.json()["number"] == 1
    assert await numbered(client, team) == [(1, "Three"), (2, "One"), (3, "Two")]
    # Beyond the end means last.
    await client.patch(url(team, f"/{ids[2]}"), json={"number": 99}, headers=auth(team.lead))
    assert await numbered(client, team) == [(1, "One"), (2, "Two"), (3, "Three")]
    inserted = await add(client, team, text="Between", number=2)
    assert inserted.json()["number"] == 2
    assert await numbered(client, team) == [(1, "One"), (2, "Between"), (3, "Two"), (4, "Three")]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"owner_organisation_ids": []}, "owner_organisation_ids", "choose at least one organisation"),
        ({"priority": "urgent"}, "priority", "must be one of high, medium, low"),
        ({"target_date": "2020-01-01"}, "target_date", "must be today or later"),
        ({"domain_key": "nowhere"}, "domain_key", "'nowhere' is not a domain"),
        ({"text": ""}, "text", "enter the recommendation"),
    ],
)
async def test_invalid_recommendation_names_the_field(client, db, body, field, words):
    team = make_team()
    response = await add(client, team, **body)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == field and words in error["message"]
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(Recommendation)).one() == 0


async def test_owners_must_be_partners_of_this_review(client, db):
    team = make_team()
    other = make_team()
    stranger = add_organisation(other.review, "Elsewhere Council", "local_authority")
    response = await add(client, team, owner_organisation_ids=[team.council.id, stranger.id])
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "owner_organisation_ids"
    assert str(stranger.id) in error["message"]


async def test_a_target_set_earlier_may_pass_but_a_new_one_may_not_be_past(client, db):
    team = make_team()
    created = (await add(client, team)).json()
    with session_scope() as s:
        row = s.get(Recommendation, created["id"])
        row.target_date = date(2024, 1, 31)  # set when it was still ahead
        s.add(row)
    edit = await client.patch(
        url(team, f"/{created['id']}"), json={"text": "Reworded"}, headers=auth(team.lead)
    )
    assert edit.status_code == 200 and edit.json()["target_date"] == "2024-01-31"
    past = await client.patch(
        url(team, f"/{created['id']}"), json={"target_date": "2024-02-01"}, headers=auth(team.lead)
    )
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "target_date"
    cleared = await client.patch(
        url(team, f"/{created['id']}"), json={"target_date": None}, headers=auth(team.lead)
    )
    assert cleared.status_code == 200 and cleared.json()["target_date"] is None


async def test_who_may_read_and_write_recommendations(client, db):
    team = make_team()
    rid = (await add(client, team, team.writer)).json()["id"]
    for user in (team.lead, team.reviewer, team.writer, team.observer):
        assert (await client.get(url(team), headers=auth(user))).status_code == 200
    assert (await client.get(url(team), headers=auth(team.trust_assessor))).status_code == 403
    assert (await client.get(url(team), headers=auth(team.outsider))).status_code == 404
    for user in (team.reviewer, team.observer, team.trust_assessor):
        assert (await add(client, team, user)).status_code == 403
        assert (await client.delete(url(team, f"/{rid}"), headers=auth(user))).status_code == 403
    set_status(team.review, "published")
    assert (await client.get(url(team), headers=auth(team.trust_assessor))).status_code == 200
    assert (await add(client, team)).status_code == 409
    patch = await client.patch(url(team, f"/{rid}"), json={"number": 1}, headers=auth(team.lead))
    assert patch.status_code == 409


async def test_writes_are_audited_with_before_and_after(client, db):
    team = make_team()
    rid = (await add(client, team, team.writer, priority="medium")).json()["id"]
    await client.patch(url(team, f"/{rid}"), json={"priority": "high"}, headers=auth(team.lead))
    # A change that changes nothing leaves no trace.
    await client.patch(url(team, f"/{rid}"), json={"priority": "high"}, headers=auth(team.lead))
    rows = audit_rows(team.review, "recommendation")
    assert [(u, a) for u, a, _, _ in rows] == [(team.writer.id, "create"), (team.lead.id, "update")]
    assert rows[1][3]["priority"] == ["medium", "high"]
    assert rows[0][3]["owner_organisation_ids"] == [None, [team.council.id]]
