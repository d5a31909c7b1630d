"""Evidence over HTTP: idempotent writes, history, delete and restore, concurrency control,
validation that names the field and stores nothing, filters and paging, coverage."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.core.audit import AuditEvent
from app.core.db import session_scope
from app.evidence.models import (
    Attachment,
    Evidence,
    EvidenceLine,
    EvidenceOrganisation,
    EvidenceStage,
    EvidenceVersion,
)
from app.reviews.models import Review
from tests.factories import add_member, add_organisation, auth, evidence_fields, make_evidence, make_review

pytestmark = pytest.mark.anyio

EVIDENCE_TABLES = (
    Evidence,
    EvidenceLine,
    EvidenceStage,
    EvidenceOrganisation,
    EvidenceVersion,
    Attachment,
    AuditEvent,
)


def url(review: Review, evidence_id: str = "", suffix: str = "") -> str:
    base = f"/api/v1/reviews/{review.id}/evidence"
    return f"{base}/{evidence_id}{suffix}" if evidence_id else base


def row_counts() -> dict[str, int]:
    """Rows in every evidence table, and evidence audit rows (signing in is audited too)."""
    with session_scope() as s:
        counts = {t.__name__: s.exec(select(func.count()).select_from(t)).one() for t in EVIDENCE_TABLES}
        counts["AuditEvent"] = s.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "evidence")
        ).one()
        return counts


def evidence_audit(evidence_id: str) -> list[AuditEvent]:
    with session_scope() as s:
        return list(
            s.exec(
                select(AuditEvent)
                .where(AuditEvent.entity == "evidence", AuditEvent.entity_id == evidence_id)
                .order_by(AuditEvent.id)
            )
        )


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    """A review in fieldwork with a lead, a reviewer, an observer and a self-assessor."""
    review = make_review(status="fieldwork")
    return {
        "review": review,
        "lead": add_member(review, "lead"),
        "reviewer": add_member(review, "reviewer"),
        "observer": add_member(review, "observer"),
        "self_assessor": add_member(review, "self_assessor"),
    }


async def test_put_three_times_stores_one_item_one_version_one_audit_row(client, team):
    review, reviewer = team["review"], team["reviewer"]
    eid = str(uuid.uuid4())
    body = evidence_fields(review, lines=["SV1", "LG2"], stages=["crisis"], tags=["Bed meeting", " flow "])
    headers = auth(reviewer)

    responses = [await client.put(url(review, eid), json=body, headers=headers) for _ in range(3)]

    assert [r.status_code for r in responses] == [201, 200, 200]
    assert responses[0].json() == responses[1].json() == responses[2].json()
    assert {r.headers["etag"] for r in responses} == {'"v1"'}
    assert responses[0].headers["location"].endswith(f"/evidence/{eid}")
    item = responses[0].json()
    assert item["version"] == 1
    assert [line["ref"] for line in item["lines"]] == ["SV1", "LG2"]
    assert item["lines"][0]["domain_key"] == "shared-vision" and item["lines"][0]["question"]
    assert item["tags"] == ["bed meeting", "flow"]
    assert item["collected_by"]["id"] == reviewer.id
    assert item["collected_on"] == dt.datetime.now(dt.UTC).date().isoformat()  # defaults to today
    counts = row_counts()
    assert counts["Evidence"] == 1 and counts["EvidenceVersion"] == 0 and counts["EvidenceLine"] == 2
    assert [e.action for e in evidence_audit(eid)] == ["create"]
    with session_scope() as s:
        # The review changed once, for the one write that stored something.
        assert s.get(Review, review.id).revision == 1


async def test_uppercase_id_is_the_same_item(client, team):
    review, headers = team["review"], auth(team["reviewer"])
    eid = str(uuid.uuid4())
    body = evidence_fields(review)
    first = await client.put(url(review, eid.upper()), json=body, headers=headers)
    second = await client.put(url(review, eid), json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == eid


async def test_replace_keeps_history_with_reason_and_audits_before_and_after(client, team):
    review, reviewer, lead = team["review"], team["reviewer"], team["lead"]
    item = make_evidence(review, reviewer, title="First account", polarity="concern")
    body = evidence_fields(review, title="Corrected account", polarity="concern", collected_by=reviewer.id)

    response = await client.put(
        url(review, item.id), json={**body, "reason": "typo in the title"}, headers=auth(lead)
    )

    assert response.status_code == 200
    assert response.json()["version"] == 2 and response.headers["etag"] == '"v2"'
    assert response.json()["title"] == "Corrected account"
    assert response.json()["updated_by"]["id"] == lead.id
    history = (await client.get(url(review, item.id, "/history"), headers=auth(reviewer))).json()
    assert history["version"] == 2
    [previous] = history["versions"]
    assert previous["version"] == 1
    assert previous["content"]["title"] == "First account"
    assert previous["reason"] == "typo in the title"
    assert previous["replaced_by"] == {"id": lead.id, "name": lead.display_name}
    update = evidence_audit(item.id)[-1]
    assert update.action == "update" and update.user_id == lead.id
    assert update.reason == "typo in the title"
    assert update.changes == {"title": ["First account", "Corrected account"], "version": [1, 2]}


async def test_link_changes_are_stored_and_audited(client, team):
    review, reviewer = team["review"], team["reviewer"]
    org = add_organisation(review, "Northshire County Council", "local_authority")
    item = make_evidence(review, reviewer, lines=["SV1", "SV2"], stages=["crisis"])
    body = evidence_fields(review, lines=["SV2", "RE1"], stages=["step-down"], organisations=[org.id])

    response = await client.put(url(review, item.id), json=body, headers=auth(reviewer))

    assert response.status_code == 200
    data = response.json()
    assert [line["ref"] for line in data["lines"]] == ["SV2", "RE1"]
    assert data["stages"] == [{"key": "step-down", "name": "Step-down, discharge and recovery"}]
    assert data["organisations"] == [
        {"id": org.id, "name": "Northshire County Council", "type": "local_authority"}
    ]
    changes = evidence_audit(item.id)[-1].changes
    assert changes["lines"] == [["SV1", "SV2"], ["SV2", "RE1"]]
    assert changes["organisations"] == [[], [org.id]]


async def test_stale_if_match_is_refused_and_nothing_changes(client, team):
    review, reviewer, lead = team["review"], team["reviewer"], team["lead"]
    item = make_evidence(review, reviewer, title="Original")
    await client.put(
        url(review, item.id), json=evidence_fields(review, title="Lead's change"), headers=auth(lead)
    )
    before = row_counts()

    stale = await client.put(
        url(review, item.id),
        json=evidence_fields(review, title="Reviewer's change"),
        headers={**auth(reviewer), "If-Match": '"v1"'},
    )

    assert stale.status_code == 409
    assert lead.display_name in stale.json()["detail"]
    assert row_counts() == before
    current = (await client.get(url(review, item.id), headers=auth(reviewer))).json()
    assert current["title"] == "Lead's change" and current["version"] == 2
    fresh = await client.put(
        url(review, item.id),
        json=evidence_fields(review, title="Reviewer's change"),
        headers={**auth(reviewer), "If-Match": '"v2"'},
    )
    assert fresh.status_code == 200 and fresh.headers["etag"] == '"v3"'


async def test_if_match_must_name_a_version(client, team):
    review, reviewer = team["review"], team["reviewer"]
    item = make_evidence(review, reviewer)
    response = await client.put(
        url(review, item.id),
        json=evidence_fields(review, title="Changed"),
        headers={**auth(reviewer), "If-Match": "yesterday"},
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "If-Match"
    read = await client.get(url(review, item.id), headers=auth(reviewer))
    assert read.json()["title"] != "Changed" and read.headers["etag"] == '"v1"'


async def test_retry_of_a_stored_write_with_its_old_if_match_succeeds(client, team):
    review, reviewer = team["review"], team["reviewer"]
    item = make_evidence(review, reviewer, title="Original")
    body = evidence_fields(review, title="Changed once")
    headers = {**auth(reviewer), "If-Match": '"v1"'}
    first = await client.put(url(review, item.id), json=body, headers=headers)
    # The answer was lost on the ward's Wi-Fi; the tablet sends the same request again.
    retry = await client.put(url(review, item.id), json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
    assert row_counts()["EvidenceVersion"] == 1


async def test_post_with_client_id_is_retry_safe_and_conflicts_on_different_content(client, team):
    review, headers = team["review"], auth(team["reviewer"])
    eid = str(uuid.uuid4())
    body = {**evidence_fields(review), "id": eid}

    first = await client.post(url(review), json=body, headers=headers)
    again = await client.post(url(review), json=body, headers=headers)
    clash = await client.post(url(review), json={**body, "title": "Something else"}, headers=headers)
    without_id = await client.post(url(review), json=evidence_fields(review), headers=headers)

    assert (first.status_code, again.status_code, clash.status_code) == (201, 200, 409)
    assert again.json() == first.json()
    assert "id" in clash.json()["detail"]
    assert without_id.status_code == 201 and uuid.UUID(without_id.json()["id"])
    assert row_counts()["Evidence"] == 2


async def test_an_id_used_in_another_review_is_a_conflict_that_reveals_nothing(client, team):
    review, headers = team["review"], auth(team["reviewer"])
    other = make_review(title="Review of Southshire")
    other_lead = add_member(other, "lead")
    secret = make_evidence(other, other_lead, title="Confidential southern finding")
    before = row_counts()

    response = await client.put(url(review, secret.id), json=evidence_fields(review), headers=headers)
    posted = await client.post(
        url(review), json={**evidence_fields(review), "id": secret.id}, headers=headers
    )
    read = await client.get(url(review, secret.id), headers=headers)

    assert response.status_code == 409 and posted.status_code == 409
    assert "Southshire" not in response.text and "Confidential" not in response.text
    assert read.status_code == 404
    assert row_counts() == before


async def test_soft_delete_and_restore_by_the_lead_only(client, team):
    review, reviewer, lead = team["review"], team["reviewer"], team["lead"]
    item = make_evidence(review, reviewer)

    deleted = await client.delete(url(review, item.id) + "?reason=duplicate", headers=auth(reviewer))
    again = await client.delete(url(review, item.id), headers=auth(reviewer))

    assert (deleted.status_code, again.status_code) == (204, 204)
    assert (await client.get(url(review, item.id), headers=auth(reviewer))).status_code == 404
    assert (await client.get(url(review), headers=auth(reviewer))).json()["total"] == 0
    lead_view = await client.get(url(review, item.id), headers=auth(lead))
    assert lead_view.status_code == 200 and lead_view.json()["deleted"] is True
    listed = await client.get(url(review) + "?include_deleted=true", headers=auth(lead))
    assert listed.json()["total"] == 1
    assert (
        await client.get(url(review) + "?include_deleted=true", headers=auth(reviewer))
    ).status_code == 403
    changed = await client.put(url(review, item.id), json=evidence_fields(review), headers=auth(reviewer))
    assert changed.status_code == 409

    refused = await client.post(url(review, item.id, "/restore"), headers=auth(reviewer))
    restored = await client.post(url(review, item.id, "/restore"), headers=auth(lead))

    assert refused.status_code == 403
    assert restored.status_code == 200 and restored.json()["deleted"] is False
    assert (await client.get(url(review, item.id), headers=auth(reviewer))).status_code == 200
    events = evidence_audit(item.id)
    assert [(e.action, e.user_id) for e in events] == [
        ("create", reviewer.id),
        ("delete", reviewer.id),
        ("restore", lead.id),
    ]
    assert events[1].reason == "duplicate"
    assert events[1].changes["deleted_by_id"] == [None, reviewer.id]


async def test_roles_reading_and_writing(client, team):
    review = team["review"]
    item = make_evidence(review, team["reviewer"])
    assert (await client.get(url(review, item.id), headers=auth(team["observer"]))).status_code == 200
    observer_write = await client.put(
        url(review, item.id), json=evidence_fields(review), headers=auth(team["observer"])
    )
    assert observer_write.status_code == 403
    # Self-assessors are system leaders: they must not see the review team's evidence.
    assert (await client.get(url(review), headers=auth(team["self_assessor"]))).status_code == 403
    stranger = add_member(make_review(title="Elsewhere"), "lead")
    assert (await client.get(url(review), headers=auth(stranger))).status_code == 404


async def test_published_review_is_read_only(client, team):
    review = team["review"]
    item = make_evidence(review, team["reviewer"])
    with session_scope() as s:
        stored = s.get(Review, review.id)
        stored.status = "published"
        s.add(stored)
    response = await client.put(
        url(review, item.id), json=evidence_fields(review, title="Late"), headers=auth(team["lead"])
    )
    assert response.status_code == 409
    assert (await client.get(url(review, item.id), headers=auth(team["reviewer"]))).status_code == 200


@pytest.mark.parametrize(
    ("change", "field", "named"),
    [
        ({"lines": ["SV1", "ZZ9"]}, "lines", "ZZ9"),
        ({"lines": []}, "lines", "at least one"),
        ({"category": "gossip"}, "category", "people-experience"),
        ({"source_type": "rumour"}, "source_type", "interview"),
        ({"stages": ["crisis", "teatime"]}, "stages", "teatime"),
        ({"polarity": "maybe"}, "polarity", "strength"),
        ({"collected_on": (dt.date.today() + dt.timedelta(days=3)).isoformat()}, "collected_on", "future"),
        ({"title": "  "}, "title", "title"),
        ({"title": "x" * 301}, "title", "300"),
        ({"tags": ["y" * 51]}, "tags", "50"),
    ],
)
async def test_invalid_fields_are_named_and_nothing_is_stored(client, team, change, field, named):
    review, headers = team["review"], auth(team["reviewer"])
    before = row_counts()

    response = await client.put(
        url(review, str(uuid.uuid4())), json=evidence_fields(review, **change), headers=headers
    )

    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == field
    assert named in body["detail"]
    assert row_counts() == before


async def test_organisation_of_another_review_is_refused(client, team):
    review, headers = team["review"], auth(team["reviewer"])
    other = make_review(title="Review of Southshire")
    theirs = add_organisation(other, "Southshire Council", "local_authority")
    before = row_counts()
    response = await client.put(
        url(review, str(uuid.uuid4())),
        json=evidence_fields(review, organisations=[theirs.id]),
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "organisations", "message": f"organisation {theirs.id} is not a partner in this review"}
    ]
    assert row_counts() == before


async def test_collector_must_be_on_the_team(client, team):
    review, headers = team["review"], auth(team["reviewer"])
    before = row_counts()
    leader = team["self_assessor"]
    response = await client.put(
        url(review, str(uuid.uuid4())), json=evidence_fields(review, collected_by=leader.id), headers=headers
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "collected_by"
    observer_collected = await client.put(
        url(review, str(uuid.uuid4())),
        json=evidence_fields(review, collected_by=team["observer"].id),
        headers=headers,
    )
    assert observer_collected.status_code == 201
    assert observer_collected.json()["collected_by"]["name"] == team["observer"].display_name
    assert row_counts()["Evidence"] == before["Evidence"] + 1


async def test_several_problems_are_reported_together(client, team):
    review, headers = team["review"], auth(team["reviewer"])
    response = await client.put(
        url(review, str(uuid.uuid4())),
        json=evidence_fields(review, category="gossip", lines=["ZZ9"]),
        headers=headers,
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"category", "lines"}


@pytest.mark.parametrize("bad_id", ["3f2b8c1e-6d4a-4b7e", "0123456789abcdef", "{3f2b8c1e}"])
async def test_malformed_ids_are_refused_naming_the_field(client, team, bad_id):
    review, headers = team["review"], auth(team["reviewer"])
    before = row_counts()
    put = await client.put(url(review, bad_id), json=evidence_fields(review), headers=headers)
    post = await client.post(
        url(review), json={**evidence_fields(review), "id": "not-a-uuid"}, headers=headers
    )
    assert put.status_code == 422 and put.json()["errors"][0]["field"] == "evidence_id"
    assert post.status_code == 422 and post.json()["errors"][0]["field"] == "id"
    assert row_counts() == before


async def test_narrative_html_is_sanitised(client, team):
    review, headers = team["review"], auth(team["reviewer"])
    narrative = "Seen on the ward.<script>alert('x')</script>\n\n<img src=x onerror=alert(1)> **bold**"
    item = make_evidence(review, team["reviewer"], narrative=narrative)
    data = (await client.get(url(review, item.id), headers=headers)).json()
    assert data["narrative"] == narrative
    assert "<script" not in data["narrative_html"] and "<img" not in data["narrative_html"]
    assert "onerror" not in data["narrative_html"].replace("onerror=alert(1)&gt;", "")
    assert "<strong>bold</strong>" in data["narrative_html"]


# Listing ----------------------------------------------------------------------------------------


@pytest.fixture
def stocked(team):  # type: ignore[no-untyped-def]
    """Five items that differ in every filterable way."""
    review, reviewer, lead = team["review"], team["reviewer"], team["lead"]
    council = add_organisation(review, "Northshire County Council", "local_authority")
    trust = add_organisation(review, "Northshire Hospitals", "nhs_trust")
    today = dt.date.today()
    items = {
        "bed": make_evidence(
            review, reviewer, title="Bed meeting", lines=["SV1"], category="observation",
            source_type="observation", stages=["crisis"], organisations=[trust.id], polarity="concern",
            collected_on=(today - dt.timedelta(days=1)).isoformat(), tags=["flow"],
        ),
        "carer": make_evidence(
            review, reviewer, title="Carer focus group", lines=["RE2", "SV2"], category="people-experience",
            source_type="focus-group", stages=["staying-well"], organisations=[council.id],
            polarity="strength", collected_on=(today - dt.timedelta(days=2)).isoformat(),
            quote="I told my story five times",
        ),
        "money": make_evidence(
            review, lead, title="Pooled budget papers", lines=["FC1"], category="processes",
            source_type="document-review", organisations=[council.id, trust.id], polarity="context",
            collected_on=(today - dt.timedelta(days=3)).isoformat(), narrative="Section 75 agreement signed",
        ),
        "discharge": make_evidence(
            review, reviewer, title="Discharge to assess", lines=["LG1"], category="outcomes",
            source_type="data-profile", stages=["step-down"], polarity="concern",
            collected_on=(today - dt.timedelta(days=4)).isoformat(), tags=["Délai"],
        ),
        "vision": make_evidence(
            review, lead, title="Chief executives interview", lines=["SV3"], category="staff-leaders",
            source_type="interview", stages=["crisis", "step-down"], polarity="strength",
            collected_on=(today - dt.timedelta(days=5)).isoformat(),
        ),
    }  # fmt: skip
    return {**team, "items": items, "council": council, "trust": trust}


async def titles(client, review, headers, query: str) -> list[str]:
    response = await client.get(url(review) + query, headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_list_is_newest_collected_first(client, stocked):
    review, headers = stocked["review"], auth(stocked["observer"])
    assert await titles(client, review, headers, "") == [
        "Bed meeting",
        "Carer focus group",
        "Pooled budget papers",
        "Discharge to assess",
        "Chief executives interview",
    ]


async def test_each_filter_narrows_the_list(client, stocked):
    review, headers = stocked["review"], auth(stocked["reviewer"])
    council, trust, lead = stocked["council"], stocked["trust"], stocked["lead"]
    cases = {
        "?ref=SV2": ["Carer focus group"],
        "?ref=sv1": ["Bed meeting"],
        "?domain=shared-vision": ["Bed meeting", "Carer focus group", "Chief executives interview"],
        "?category=processes": ["Pooled budget papers"],
        "?source_type=focus-group": ["Carer focus group"],
        "?stage=step-down": ["Discharge to assess", "Chief executives interview"],
        f"?organisation={council.id}": ["Carer focus group", "Pooled budget papers"],
        f"?organisation={trust.id}&polarity=concern": ["Bed meeting"],
        "?polarity=strength": ["Carer focus group", "Chief executives interview"],
        f"?collector={lead.id}": ["Pooled budget papers", "Chief executives interview"],
        "?q=FIVE times": ["Carer focus group"],
        "?q=section 75": ["Pooled budget papers"],
        "?q=flow": ["Bed meeting"],
        "?q=délai": ["Discharge to assess"],
        "?q=100%25": [],
        "?domain=shared-vision&stage=crisis&polarity=strength": ["Chief executives interview"],
    }
    for query, expected in cases.items():
        assert await titles(client, review, headers, query) == expected, query


@pytest.mark.parametrize(
    ("query", "field"),
    [("?ref=ZZ9", "ref"), ("?domain=nowhere", "domain"), ("?category=x", "category"), ("?stage=x", "stage"),
     ("?source_type=x", "source_type"), ("?polarity=x", "polarity"), ("?per_page=500", "per_page")],
)  # fmt: skip
async def test_unknown_filter_values_are_named(client, stocked, query, field):
    response = await client.get(url(stocked["review"]) + query, headers=auth(stocked["reviewer"]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_pagination(client, stocked):
    review, headers = stocked["review"], auth(stocked["reviewer"])
    first = (await client.get(url(review) + "?per_page=2", headers=headers)).json()
    third = (await client.get(url(review) + "?per_page=2&page=3", headers=headers)).json()
    beyond = (await client.get(url(review) + "?per_page=2&page=9", headers=headers)).json()
    assert (first["total"], first["pages"], first["per_page"]) == (5, 3, 2)
    assert [i["title"] for i in first["items"]] == ["Bed meeting", "Carer focus group"]
    assert [i["title"] for i in third["items"]] == ["Chief executives interview"]
    assert beyond["items"] == [] and beyond["total"] == 5


async def test_list_items_carry_attachments(client, stocked):
    from app.evidence.models import Attachment

    review, item = stocked["review"], stocked["items"]["bed"]
    with session_scope() as s:
        s.add(
            Attachment(
                evidence_id=item.id, sha256="a" * 64, size=1234, content_type="application/pdf",
                original_name="bed-meeting-notes.pdf", uploaded_by_id=stocked["reviewer"].id,
            )
        )  # fmt: skip
    listed = (await client.get(url(review) + "?ref=SV1", headers=auth(stocked["reviewer"]))).json()
    [attachment] = listed["items"][0]["attachments"]
    assert attachment["name"] == "bed-meeting-notes.pdf" and attachment["size"] == 1234
    assert (
        attachment["url"] == f"/api/v1/reviews/{review.id}/evidence/{item.id}/attachments/{attachment['id']}"
    )


# Coverage ---------------------------------------------------------------------------------------


async def test_coverage_counts_and_flags(client, stocked):
    review, reviewer = stocked["review"], stocked["reviewer"]
    # A second category on SV1 triangulates it; a deleted item counts for nothing.
    make_evidence(
        review, reviewer, title="Survey", lines=["SV1"], category="people-experience", source_type="survey"
    )
    gone = make_evidence(review, reviewer, title="Withdrawn", lines=["WF1"], category="outcomes")
    await client.delete(url(review, gone.id), headers=auth(reviewer))

    response = await client.get(f"/api/v1/reviews/{review.id}/coverage", headers=auth(stocked["observer"]))

    assert response.status_code == 200
    data = response.json()
    lines = {line["ref"]: line for line in data["lines"]}
    assert len(lines) == 43
    assert lines["SV1"]["evidence_count"] == 2 and lines["SV1"]["not_triangulated"] is False
    assert lines["SV1"]["by_category"]["observation"] == 1
    assert lines["SV1"]["by_category"]["people-experience"] == 1
    assert lines["SV1"]["by_polarity"] == {"strength": 1, "concern": 1, "context": 0}
    assert lines["SV1"]["by_stage"] == {"staying-well": 0, "crisis": 1, "step-down": 0}
    assert lines["SV3"]["not_triangulated"] is True and lines["SV3"]["no_evidence"] is False
    assert lines["WF1"]["no_evidence"] is True and lines["WF1"]["evidence_count"] == 0
    vision = next(d for d in data["domains"] if d["key"] == "shared-vision")
    # Carer focus group is on SV2 and RE2: it counts once overall, once in each domain.
    assert vision["evidence_count"] == 4
    assert vision["lines_total"] == 6 and vision["lines_with_no_evidence"] == 3
    assert data["totals"]["evidence_count"] == 6
    assert data["totals"]["by_polarity"] == {"strength": 3, "concern": 2, "context": 1}
    assert data["totals"]["lines_with_no_evidence"] == 43 - 6


async def test_coverage_summary(stocked):
    from app.evidence.service import coverage_summary

    with session_scope() as s:
        summary = coverage_summary(s, s.get(Review, stocked["review"].id))
    assert summary.evidence_count == 5
    assert summary.lines_total == 43
    assert summary.lines_with_no_evidence == 43 - 6
    assert summary.lines_not_triangulated == 6


async def test_the_answer_to_a_create_is_the_item_as_later_read(client, team):
    # A new item's answer is built from the request without reading it back; it must not differ.
    review, reviewer = team["review"], team["reviewer"]
    council = add_organisation(review, "Zeta Borough Council", "local_authority")
    trust = add_organisation(review, "Alpha Hospitals NHS Trust", "nhs_trust")
    eid = str(uuid.uuid4())
    body = evidence_fields(
        review, lines=["LG2", "SV1"], stages=["step-down", "crisis"], organisations=[council.id, trust.id]
    )
    created = await client.put(url(review, eid), json=body, headers=auth(reviewer))
    assert created.status_code == 201
    read = await client.get(url(review, eid), headers=auth(reviewer))
    assert created.json() == read.json()
    assert [o["name"] for o in created.json()["organisations"]] == [trust.name, council.name]
