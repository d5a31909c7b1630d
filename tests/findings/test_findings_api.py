"""Findings: strengths and areas for improvement per domain and pathway stage, citing evidence."""

from __future__ import annotations

import pytest
from factories import auth
from findings_helpers import add_evidence, audit_rows, make_team, set_status
from sqlmodel import func, select

from app.core.db import session_scope
from app.findings.models import Finding

pytestmark = pytest.mark.anyio


def url(team, suffix: str = "") -> str:
    return f"/api/v1/reviews/{team.review.id}/findings{suffix}"


def count_findings() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(Finding)).one()


async def add(client, team, user=None, **body):
    payload = {"kind": "strength", "text": "Leaders share one plan.", "domain_key": "shared-vision", **body}
    return await client.post(url(team), json=payload, headers=auth(user or team.lead))


async def test_create_finding_cites_evidence_and_reads_back(client, db):
    team = make_team()
    ev = add_evidence(team.review, team.reviewer, title="Joint plan signed by both boards")
    response = await add(
        client,
        team,
        team.writer,
        kind="improvement",
        text="Discharge planning **starts late**.",
        domain_key="leadership-governance",
        stage="step-down",
        cited_evidence=[ev.upper()],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind_label"] == "Area for improvement"
    assert body["domain_name"] == "Leadership and governance"
    assert body["stage_name"] == "Step-down, discharge and recovery"
    assert body["text_html"] == "<p>Discharge planning <strong>starts late</strong>.</p>\n"
    # Ids are stored in their canonical lower-case form.
    assert body["cited_evidence"] == [
        {"id": ev, "title": "Joint plan signed by both boards", "polarity": "strength", "deleted": False}
    ]
    assert body["created_by"]["id"] == team.writer.id
    assert body["position"] == 1

    again = await client.get(url(team, f"/{body['id']}"), headers=auth(team.reviewer))
    assert again.json() == body


async def test_stage_only_finding_is_allowed(client, db):
    team = make_team()
    response = await add(client, team, domain_key="", stage="crisis")
    assert response.status_code == 201
    assert response.json()["domain_key"] == ""


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"domain_key": "", "stage": ""}, "domain_key", "choose a domain, a pathway stage or both"),
        ({"domain_key": "no-such-domain"}, "domain_key", "'no-such-domain' is not a domain"),
        ({"stage": "hospital"}, "stage", "'hospital' is not a pathway stage"),
        ({"kind": "concern"}, "kind", "must be one of strength, improvement"),
        ({"text": "   "}, "text", "enter the text of the finding"),
        ({"cited_evidence": ["not-a-uuid"]}, "cited_evidence", "'not-a-uuid' is not an evidence id"),
    ],
)
async def test_invalid_finding_names_the_field_and_stores_nothing(client, db, body, field, words):
    team = make_team()
    response = await add(client, team, **body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert words in response.json()["errors"][0]["message"]
    assert count_findings() == 0


async def test_cited_evidence_must_be_live_evidence_of_this_review(client, db):
    team = make_team()
    other = make_team()
    elsewhere = add_evidence(other.review, other.reviewer)
    deleted = add_evidence(team.review, team.reviewer, deleted=True)
    ok = add_evidence(team.review, team.reviewer)
    for bad in (elsewhere, deleted):
        response = await add(client, team, cited_evidence=[ok, bad])
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert error["field"] == "cited_evidence"
        assert bad in error["message"]
    assert count_findings() == 0


async def test_list_filters_by_domain_stage_and_kind_in_report_order(client, db):
    team = make_team()
    await add(client, team, domain_key="workforce", kind="improvement", text="W improvement")
    await add(client, team, domain_key="shared-vision", kind="improvement", text="SV improvement")
    await add(client, team, domain_key="shared-vision", kind="strength", text="SV strength", stage="crisis")
    await add(client, team, domain_key="", stage="crisis", kind="strength", text="Crisis strength")

    everything = await client.get(url(team), headers=auth(team.observer))
    # Framework order of domains, strengths first; stage-only findings after every domain.
    assert [f["text"] for f in everything.json()] == [
        "SV strength",
        "SV improvement",
        "W improvement",
        "Crisis strength",
    ]

    async def texts(**params):
        response = await client.get(url(team), params=params, headers=auth(team.lead))
        assert response.status_code == 200, response.text
        return [f["text"] for f in response.json()]

    assert await texts(domain_key="shared-vision") == ["SV strength", "SV improvement"]
    assert await texts(stage="crisis") == ["SV strength", "Crisis strength"]
    assert await texts(kind="improvement") == ["SV improvement", "W improvement"]
    assert await texts(domain_key="shared-vision", kind="strength") == ["SV strength"]
    bad = await client.get(url(team), params={"stage": "nowhere"}, headers=auth(team.lead))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "stage"


async def test_positions_move_within_a_group_and_close_up(client, db):
    team = make_team()
    ids = [(await add(client, team, text=f"Finding {n}")).json()["id"] for n in range(1, 4)]

    async def order():
        response = await client.get(
            url(team), params={"domain_key": "shared-vision"}, headers=auth(team.lead)
        )
        return [(f["text"], f["position"]) for f in response.json()]

    moved = await client.patch(url(team, f"/{ids[2]}"), json={"position": 1}, headers=auth(team.lead))
    assert moved.status_code == 200
    assert await order() == [("Finding 3", 1), ("Finding 1", 2), ("Finding 2", 3)]

    # A new domain takes it to the end of that group; the old group closes up.
    await client.patch(url(team, f"/{ids[0]}"), json={"domain_key": "workforce"}, headers=auth(team.lead))
    assert await order() == [("Finding 3", 1), ("Finding 2", 2)]

    await client.delete(url(team, f"/{ids[2]}"), headers=auth(team.lead))
    assert await order() == [("Finding 2", 1)]


async def test_update_keeps_unsent_fields_and_rechecks_the_rules(client, db):
    team = make_team()
    ev = add_evidence(team.review, team.reviewer)
    created = (await add(client, team, stage="crisis", cited_evidence=[ev])).json()
    response = await client.patch(
        url(team, f"/{created['id']}"), json={"text": "Sharper wording."}, headers=auth(team.writer)
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["text"], body["stage"], [e["id"] for e in body["cited_evidence"]]) == (
        "Sharper wording.",
        "crisis",
        [ev],
    )
    # Clearing the domain is fine while a stage remains; clearing both is not.
    cleared = await client.patch(
        url(team, f"/{created['id']}"), json={"domain_key": None}, headers=auth(team.lead)
    )
    assert cleared.status_code == 200 and cleared.json()["domain_key"] == ""
    both = await client.patch(url(team, f"/{created['id']}"), json={"stage": ""}, headers=auth(team.lead))
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "domain_key"
    unknown = await client.patch(
        url(team, f"/{created['id']}"), json={"colour": "red"}, headers=auth(team.lead)
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "colour"


async def test_cited_evidence_deleted_later_is_marked(client, db):
    team = make_team()
    ev = add_evidence(team.review, team.reviewer)
    created = (await add(client, team, cited_evidence=[ev])).json()
    from app.evidence.models import Evidence

    with session_scope() as s:
        row = s.get(Evidence, ev)
        row.deleted_at = row.created_at
        s.add(row)
    body = (await client.get(url(team, f"/{created['id']}"), headers=auth(team.lead))).json()
    assert body["cited_evidence"][0]["deleted"] is True


async def test_who_may_read_and_write_findings(client, db):
    team = make_team()
    created = await add(client, team, team.lead)
    assert created.status_code == 201
    fid = created.json()["id"]

    for user in (team.lead, team.reviewer, team.writer, team.observer):
        assert (await client.get(url(team), headers=auth(user))).status_code == 200
    # Draft judgements are kept from self-assessors until publication.
    assert (await client.get(url(team), headers=auth(team.council_assessor))).status_code == 403
    assert (await client.get(url(team), headers=auth(team.outsider))).status_code == 404

    for user in (team.reviewer, team.observer, team.council_assessor):
        assert (await add(client, team, user)).status_code == 403
        patch = await client.patch(url(team, f"/{fid}"), json={"text": "x"}, headers=auth(user))
        assert patch.status_code == 403
        assert (await client.delete(url(team, f"/{fid}"), headers=auth(user))).status_code == 403
    assert (await add(client, team, team.outsider)).status_code == 404
    assert (await add(client, team, team.writer)).status_code == 201

    set_status(team.review, "published")
    assert (await client.get(url(team), headers=auth(team.council_assessor))).status_code == 200
    assert (await add(client, team, team.lead)).status_code == 409
    assert (await client.delete(url(team, f"/{fid}"), headers=auth(team.lead))).status_code == 409
    assert count_findings() == 2


async def test_finding_in_another_review_is_not_found(client, db):
    team = make_team()
    other = make_team()
    fid = (await add(client, other, other.lead)).json()["id"]
    response = await client.patch(url(team, f"/{fid}"), json={"text": "x"}, headers=auth(team.lead))
    assert response.status_code == 404


async def test_every_write_is_audited_with_the_acting_user(client, db):
    team = make_team()
    first = (await add(client, team, team.writer, text="First")).json()
    second = (await add(client, team, team.lead, text="Second")).json()
    await client.patch(
        url(team, f"/{second['id']}"), json={"text": "Second, edited"}, headers=auth(team.lead)
    )
    await client.delete(url(team, f"/{first['id']}"), headers=auth(team.writer))

    rows = audit_rows(team.review, "finding")
    assert [(user, action, entity_id) for user, action, entity_id, _ in rows] == [
        (team.writer.id, "create", str(first["id"])),
        (team.lead.id, "create", str(second["id"])),
        (team.lead.id, "update", str(second["id"])),
        (team.writer.id, "renumber", str(second["id"])),  # second moves up when first goes
        (team.writer.id, "delete", str(first["id"])),
    ]
    assert rows[2][3]["text"] == ["Second", "Second, edited"]
    assert rows[3][3] == {"position": [2, 1]}
    assert rows[4][3]["text"] == ["First", None]


async def test_every_problem_is_reported_at_once(client, db):
    team = make_team()
    response = await add(client, team, kind="", domain_key="", stage="", text="", cited_evidence=["nope"])
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["kind", "domain_key", "text", "cited_evidence"]
    assert (
        response.json()["errors"][0]["message"]
        == "choose whether it is a strength or an area for improvement"
    )
    assert count_findings() == 0
