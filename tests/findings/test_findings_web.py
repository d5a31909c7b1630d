"""The findings, recommendations and action plan pages: forms, errors, permissions, escaping."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from findings_helpers import add_evidence, make_team, set_status, web_session
from sqlmodel import select

from app.core.db import session_scope
from app.core.timeutil import utcnow
from app.findings.models import ActionItem, ActionNote, Finding, Recommendation

pytestmark = pytest.mark.anyio

NEXT_MONTH = (utcnow().date() + timedelta(days=30)).isoformat()


class Browser:
    """A signed-in person's browser: the session cookie on every request, CSRF on every form."""

    def __init__(self, client, user):
        self.client = client
        cookies, self.csrf = web_session(user)
        self.headers = {"accept": "text/html", "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}

    async def get(self, path: str):
        return await self.client.get(path, headers=self.headers)

    async def post(self, path: str, data: dict | list, *, csrf: bool = True):
        """Post a form; a list of pairs sends a field more than once, as ticked boxes do."""
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            items.insert(0, ("csrf_token", self.csrf))
        return await self.client.post(
            path,
            content=urlencode(items),
            headers={**self.headers, "content-type": "application/x-www-form-urlencoded"},
        )


def stored(model):
    with session_scope() as s:
        return list(s.exec(select(model).order_by(model.id)))


async def test_add_a_finding_through_the_form_and_see_it_listed(client, db):
    team = make_team()
    ev = add_evidence(team.review, team.reviewer, title="Bed meeting observed", refs=("LG7",))
    writer = Browser(client, team.writer)
    form = await writer.get(f"/reviews/{team.review.id}/findings/new?domain_key=leadership-governance")
    assert form.status_code == 200
    assert "Bed meeting observed" in form.text
    assert 'name="csrf_token"' in form.text

    response = await writer.post(
        f"/reviews/{team.review.id}/findings/new",
        [
            ("kind", "improvement"),
            ("domain_key", "leadership-governance"),
            ("stage", "step-down"),
            ("text", "Flow is managed **day to day**, not planned."),
            ("cited_evidence", ev),
        ],
    )
    assert response.status_code == 303
    (finding,) = stored(Finding)
    assert (
        response.headers["location"]
        == f"/reviews/{team.review.id}/findings?done=finding-added#finding-{finding.id}"
    )
    assert (finding.kind, finding.stage, finding.cited_evidence) == ("improvement", "step-down", [ev])

    page = await writer.get(response.headers["location"].split("#")[0])
    assert "The finding has been added." in page.text
    assert "<strong>day to day</strong>" in page.text
    assert f'href="/reviews/{team.review.id}/evidence/{ev}"' in page.text
    assert "Area for improvement" in page.text
    # Listed under its domain and again under its stage; the anchor is on the domain's copy.
    assert page.text.count("<strong>day to day</strong>") == 2
    assert f'id="finding-{finding.id}"' in page.text and f'id="finding-{finding.id}-stage"' in page.text


async def test_a_refused_finding_comes_back_with_the_error_summary_and_what_was_typed(client, db):
    team = make_team()
    lead = Browser(client, team.lead)
    response = await lead.post(
        f"/reviews/{team.review.id}/findings/new",
        {"kind": "strength", "domain_key": "", "stage": "", "text": "Carers feel listened to."},
    )
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert 'href="#domain_key"' in response.text
    everything_missing = await lead.post(f"/reviews/{team.review.id}/findings/new", {"kind": "", "text": ""})
    for field in ("kind", "text", "domain_key"):
        assert f'href="#{field}"' in everything_missing.text
    assert "Choose whether it is a strength or an area for improvement" in everything_missing.text
    assert 'aria-describedby="domain_key-hint domain_key-error"' in response.text
    assert "Carers feel listened to." in response.text
    assert stored(Finding) == []


async def test_the_evidence_filter_works_without_script_and_keeps_choices(client, db):
    team = make_team()
    vision = add_evidence(team.review, team.reviewer, title="Vision workshop notes", refs=("SV1",))
    workforce = add_evidence(team.review, team.reviewer, title="Agency staff survey", refs=("WF2",))
    chosen = add_evidence(team.review, team.reviewer, title="Pooled budget paper", refs=("FC1",))
    lead = Browser(client, team.lead)
    response = await lead.post(
        f"/reviews/{team.review.id}/findings/new",
        [
            ("kind", "strength"),
            ("text", "Typed before filtering."),
            ("cited_evidence", chosen),
            ("evidence_domain", "shared-vision"),
            ("show_evidence", "1"),
        ],
    )
    assert response.status_code == 200
    assert stored(Finding) == []  # filtering saves nothing
    assert "Typed before filtering." in response.text
    page = response.text

    def shown(evidence_id: str) -> bool:
        item = page[page.index(f'value="{evidence_id}"') - 400 : page.index(f'value="{evidence_id}"')]
        return " hidden>" not in item.rsplit("<li", 1)[1]

    assert shown(vision) and shown(chosen) and not shown(workforce)
    assert "Showing 2 of 3 items of evidence." in page


async def test_edit_move_and_delete_a_finding(client, db):
    team = make_team()
    lead = Browser(client, team.lead)
    base = f"/reviews/{team.review.id}/findings"
    for text in ("First", "Second"):
        await lead.post(f"{base}/new", {"kind": "strength", "domain_key": "workforce", "text": text})
    first, second = stored(Finding)

    edit = await lead.get(f"{base}/{first.id}/edit")
    assert edit.status_code == 200 and "First" in edit.text
    saved = await lead.post(
        f"{base}/{first.id}/edit", {"kind": "strength", "domain_key": "workforce", "text": "First, better"}
    )
    assert saved.status_code == 303

    moved = await lead.post(f"{base}/{second.id}/move", {"direction": "up"})
    assert moved.status_code == 303
    assert [(f.text, f.position) for f in sorted(stored(Finding), key=lambda f: f.position)] == [
        ("Second", 1),
        ("First, better", 2),
    ]

    confirm = await lead.get(f"{base}/{first.id}/delete")
    assert "Delete this finding?" in confirm.text and "First, better" in confirm.text
    deleted = await lead.post(f"{base}/{first.id}/delete", {})
    assert deleted.status_code == 303
    assert [f.text for f in stored(Finding)] == ["Second"]


async def test_forms_need_the_csrf_secret(client, db):
    team = make_team()
    response = await Browser(client, team.lead).post(
        f"/reviews/{team.review.id}/findings/new",
        {"kind": "strength", "domain_key": "workforce", "text": "No token"},
        csrf=False,
    )
    assert response.status_code == 403
    assert stored(Finding) == []


async def test_recommendation_form_numbers_owners_and_dates(client, db):
    team = make_team()
    writer = Browser(client, team.writer)
    base = f"/reviews/{team.review.id}/recommendations"
    page = await writer.get(f"{base}/new")
    assert "Northshire County Council" in page.text and "Target date" in page.text

    past = await writer.post(
        f"{base}/new",
        [
            ("text", "Agree outcomes."),
            ("owner_organisation_ids", str(team.council.id)),
            ("priority", "high"),
            ("target_date", "2020-01-01"),
        ],
    )
    assert (
        past.status_code == 422 and 'href="#target_date"' in past.text and 'value="2020-01-01"' in past.text
    )
    no_owner = await writer.post(f"{base}/new", [("text", "Agree outcomes."), ("priority", "high")])
    assert no_owner.status_code == 422 and 'href="#owner_organisation_ids"' in no_owner.text

    for text in ("Agree outcomes.", "Share records."):
        ok = await writer.post(
            f"{base}/new",
            [
                ("text", text),
                ("owner_organisation_ids", str(team.council.id)),
                ("owner_organisation_ids", str(team.trust.id)),
                ("priority", "medium"),
                ("target_date", NEXT_MONTH),
            ],
        )
        assert ok.status_code == 303
    first, second = stored(Recommendation)
    assert (first.number, second.number, first.owner_organisation_ids) == (
        1,
        2,
        [team.council.id, team.trust.id],
    )

    await writer.post(f"{base}/{second.id}/move", {"direction": "up"})
    listing = await writer.get(f"/reviews/{team.review.id}/findings")
    assert listing.text.index("Share records.") < listing.text.index("Agree outcomes.")
    assert "Recommendation 1" in listing.text and "Northshire Hospitals NHS Foundation Trust" in listing.text

    await writer.post(f"{base}/{second.id}/delete", {})
    assert [(r.number, r.text) for r in stored(Recommendation)] == [(1, "Agree outcomes.")]


async def test_who_sees_the_findings_pages(client, db):
    team = make_team()
    path = f"/reviews/{team.review.id}/findings"
    assert (await Browser(client, team.observer).get(path)).status_code == 200
    reviewer_page = await Browser(client, team.reviewer).get(path)
    assert reviewer_page.status_code == 200 and "Add a finding" not in reviewer_page.text
    assert (await Browser(client, team.reviewer).get(f"{path}/new")).status_code == 403
    assert (await Browser(client, team.council_assessor).get(path)).status_code == 403
    assert (await Browser(client, team.outsider).get(path)).status_code == 404
    signed_out = await client.get(path, headers={"accept": "text/html"})
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in")


async def test_markup_in_findings_is_neutralised(client, db):
    team = make_team()
    lead = Browser(client, team.lead)
    await lead.post(
        f"/reviews/{team.review.id}/findings/new",
        {
            "kind": "strength",
            "domain_key": "workforce",
            "text": "<script>alert(1)</script> <img src=x onerror=alert(2)>",
        },
    )
    page = await lead.get(f"/reviews/{team.review.id}/findings")
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    (finding,) = stored(Finding)
    edit = await lead.get(f"/reviews/{team.review.id}/findings/{finding.id}/edit")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in edit.text


async def test_action_plan_page_before_and_after_publication(client, db):
    team = make_team()
    writer = Browser(client, team.writer)
    await writer.post(
        f"/reviews/{team.review.id}/recommendations/new",
        [
            ("text", "Publish a carers' offer."),
            ("owner_organisation_ids", str(team.council.id)),
            ("priority", "high"),
        ],
    )
    plan = f"/reviews/{team.review.id}/action-plan"
    before = await Browser(client, team.council_assessor).get(plan)
    assert before.status_code == 200 and "starts once the review is published" in before.text

    set_status(team.review, "published")
    council = Browser(client, team.council_assessor)
    page = await council.get(plan)
    assert "Add an action" in page.text and "(your organisation)" in page.text
    (rec,) = stored(Recommendation)
    added = await council.post(plan, {"recommendation_id": str(rec.id), "text": "", "due_date": NEXT_MONTH})
    assert added.status_code == 303, added.text
    (action,) = stored(ActionItem)
    assert (action.owner_organisation_id, action.text) == (team.council.id, "Publish a carers' offer.")

    bad = await council.post(
        f"{plan}/{action.id}/progress", {f"note-{action.id}": "", f"status-{action.id}": "done"}
    )
    assert bad.status_code == 422 and f'href="#note-{action.id}"' in bad.text
    noted = await council.post(
        f"{plan}/{action.id}/progress",
        {f"note-{action.id}": "Offer drafted with carers.", f"status-{action.id}": "in_progress"},
    )
    assert noted.status_code == 303
    (note,) = stored(ActionNote)
    assert note.status == "in_progress"

    shown = await Browser(client, team.trust_assessor).get(plan)
    assert "Offer drafted with carers." in shown.text and "In progress" in shown.text
    # The trust's self-assessor sees the council's action but gets no forms for it.
    assert f"/action-plan/{action.id}/progress" not in shown.text
    refused = await Browser(client, team.trust_assessor).post(
        f"{plan}/{action.id}/progress", {f"note-{action.id}": "Not ours.", f"status-{action.id}": "done"}
    )
    assert refused.status_code == 403

    edit = await council.get(f"{plan}/{action.id}/edit")
    assert edit.status_code == 200
    saved = await council.post(
        f"{plan}/{action.id}/edit",
        {
            "recommendation_id": str(rec.id),
            "text": "Publish the offer online.",
            "status": "done",
            "due_date": NEXT_MONTH,
        },
    )
    assert saved.status_code == 303
    (action,) = stored(ActionItem)
    assert (action.text, action.status, action.owner_organisation_id) == (
        "Publish the offer online.",
        "done",
        team.council.id,
    )
