"""Evidence pages: the form saves idempotently, keeps values on errors and names the fields;
the list filters; the detail page shows history; delete and restore; the coverage matrix;
hostile narrative is never executed on any page."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.accounts import service as accounts
from app.accounts.deps import SESSION_COOKIE
from app.accounts.models import User
from app.core.db import session_scope
from app.evidence.models import Evidence, EvidenceVersion
from app.reviews.models import Review
from tests.factories import add_member, add_organisation, auth, make_evidence, make_review

pytestmark = pytest.mark.anyio

HOSTILE = "Ward notes <script>alert('pwned')</script>\n\n<img src=x onerror=alert(1)>"


def signed_in(client, user: User) -> str:  # type: ignore[no-untyped-def]
    """Give the client a web session cookie for `user`; returns the session's CSRF secret."""
    from datetime import timedelta as td

    with session_scope() as s:
        issued = accounts.issue_token(s, user=s.get(User, user.id), kind="session", lifetime=td(hours=1))
    client.cookies.set(SESSION_COOKIE, issued.token)
    return issued.record.csrf_secret


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found.group(1)


def form_body(csrf: str, evidence_id: str, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "csrf_token": csrf,
        "id": evidence_id,
        "title": "Bed meeting, Ward 7",
        "narrative": "Delays were discussed openly.",
        "polarity": "concern",
        "category": "observation",
        "source_type": "observation",
        "lines": ["SV1", "LG3"],
        "stages": ["crisis"],
        "collected_on": date.today().isoformat(),
        "tags": "flow, beds",
        "quote": "",
    }
    body.update(fields)
    return body


def no_live_script(html: str) -> None:
    """Nothing a reviewer typed can run: no script tag or event handler from the narrative."""
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert not re.search(r"<[^>]+\sonerror=", html)


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    return {
        "review": review,
        "lead": add_member(review, "lead"),
        "reviewer": add_member(review, "reviewer"),
        "observer": add_member(review, "observer"),
    }


def evidence_count() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(Evidence)).one()


async def test_new_form_saves_once_however_often_it_is_sent(client, team):
    review, reviewer = team["review"], team["reviewer"]
    csrf = signed_in(client, reviewer)
    page = await client.get(f"/reviews/{review.id}/evidence/new")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    evidence_id = hidden(page.text, "id")
    assert uuid.UUID(evidence_id)
    assert 'value="' + date.today().isoformat() + '"' in page.text or "data-today" in page.text

    body = form_body(csrf, evidence_id)
    first = await client.post(f"/reviews/{review.id}/evidence/new", data=body)
    second = await client.post(f"/reviews/{review.id}/evidence/new", data=body)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == f"/reviews/{review.id}/evidence/{evidence_id}?notice=added"
    assert evidence_count() == 1
    detail = await client.get(first.headers["location"])
    assert "Evidence added." in detail.text
    assert f'data-saved-evidence="{evidence_id}"' in detail.text
    assert "Bed meeting, Ward 7" in detail.text and "LG3" in detail.text


async def test_form_refuses_a_post_without_the_csrf_secret(client, team):
    review = team["review"]
    signed_in(client, team["reviewer"])
    response = await client.post(
        f"/reviews/{review.id}/evidence/new", data=form_body("forged", str(uuid.uuid4()))
    )
    assert response.status_code == 403
    assert evidence_count() == 0


async def test_errors_are_summarised_linked_and_values_kept(client, team):
    review, reviewer = team["review"], team["reviewer"]
    csrf = signed_in(client, reviewer)
    evidence_id = str(uuid.uuid4())
    future = (date.today() + timedelta(days=5)).isoformat()
    body = form_body(
        csrf, evidence_id, title="Kept title", polarity="", category="", lines=[], collected_on=future
    )

    response = await client.post(f"/reviews/{review.id}/evidence/new", data=body)

    assert response.status_code == 422
    html = response.text
    assert "There is a problem" in html
    for anchor in ("#polarity", "#category", "#lines", "#collected_on"):
        assert f'href="{anchor}"' in html, anchor
    assert 'id="collected_on-error"' in html and "cannot be in the future" in html
    assert 'aria-describedby="lines-hint lines-error"' in html
    assert 'value="Kept title"' in html
    assert "Delays were discussed openly." in html
    assert hidden(html, "id") == evidence_id  # the retry will reuse the same id
    assert 'value="crisis" checked' in html
    assert evidence_count() == 0

    fixed = await client.post(
        f"/reviews/{review.id}/evidence/new",
        data=form_body(csrf, evidence_id, title="Kept title"),
    )
    assert fixed.status_code == 303 and evidence_count() == 1


async def test_edit_keeps_history_and_detects_someone_elses_change(client, team):
    review, reviewer, lead = team["review"], team["reviewer"], team["lead"]
    item = make_evidence(review, reviewer, title="First title", lines=["SV1"])
    csrf = signed_in(client, reviewer)
    page = await client.get(f"/reviews/{review.id}/evidence/{item.id}/edit")
    assert page.status_code == 200
    assert hidden(page.text, "version") == "1"
    assert 'value="First title"' in page.text
    assert 'id="reason"' in page.text

    # The lead changes it through the API while the reviewer has the form open.
    await client.put(
        f"/api/v1/reviews/{review.id}/evidence/{item.id}",
        json={**_fields(item), "title": "Lead's title"},
        headers=auth(lead),
    )
    stale = await client.post(
        f"/reviews/{review.id}/evidence/{item.id}/edit",
        data={**form_body(csrf, item.id, title="Reviewer's title", lines=["SV1"]), "version": "1"},
    )
    assert stale.status_code == 409
    assert "There is a problem" in stale.text and lead.display_name in stale.text
    assert 'value="Reviewer&#39;s title"' in stale.text

    saved = await client.post(
        f"/reviews/{review.id}/evidence/{item.id}/edit",
        data={
            **form_body(csrf, item.id, title="Reviewer's title", lines=["SV1"]),
            "version": "2",
            "reason": "agreed wording",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("?notice=saved")
    detail = (await client.get(saved.headers["location"])).text
    assert "Your changes have been saved." in detail
    assert "Version 2</strong> was replaced by " + reviewer.display_name in detail
    assert "Reason: agreed wording" in detail
    assert "Version 1</strong> was replaced by " + lead.display_name in detail
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(EvidenceVersion)).one() == 2


def _fields(item) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "title": item.title,
        "narrative": item.narrative,
        "source_type": item.source_type,
        "category": item.category,
        "lines": [line.ref for line in item.lines],
        "polarity": item.polarity,
        "collected_on": item.collected_on.isoformat(),
    }


async def test_delete_needs_confirmation_and_the_lead_can_restore(client, team):
    review, reviewer, lead = team["review"], team["reviewer"], team["lead"]
    item = make_evidence(review, reviewer, title="Entered twice")
    csrf = signed_in(client, reviewer)
    confirm = await client.get(f"/reviews/{review.id}/evidence/{item.id}/delete")
    assert confirm.status_code == 200 and "Delete this evidence?" in confirm.text

    deleted = await client.post(
        f"/reviews/{review.id}/evidence/{item.id}/delete",
        data={"csrf_token": csrf, "reason": "entered twice"},
    )
    assert deleted.status_code == 303 and deleted.headers["location"].endswith("?notice=deleted")
    listing = (await client.get(f"/reviews/{review.id}/evidence?notice=deleted")).text
    assert "The evidence has been deleted" in listing and "Entered twice" not in listing
    assert (await client.get(f"/reviews/{review.id}/evidence/{item.id}")).status_code == 404

    lead_csrf = signed_in(client, lead)
    lead_view = await client.get(f"/reviews/{review.id}/evidence/{item.id}")
    assert "This evidence has been deleted" in lead_view.text and "Restore this evidence" in lead_view.text
    with_deleted = await client.get(f"/reviews/{review.id}/evidence?include_deleted=true")
    assert "Entered twice" in with_deleted.text
    restored = await client.post(
        f"/reviews/{review.id}/evidence/{item.id}/restore", data={"csrf_token": lead_csrf}
    )
    assert restored.status_code == 303
    assert "The evidence has been restored." in (await client.get(restored.headers["location"])).text


async def test_observer_reads_but_sees_no_write_controls(client, team):
    review = team["review"]
    item = make_evidence(review, team["reviewer"])
    signed_in(client, team["observer"])
    listing = await client.get(f"/reviews/{review.id}/evidence")
    detail = await client.get(f"/reviews/{review.id}/evidence/{item.id}")
    assert listing.status_code == detail.status_code == 200
    assert "Add evidence" not in listing.text and "Import from a spreadsheet" not in listing.text
    assert "/edit" not in detail.text and "/delete" not in detail.text
    assert (await client.get(f"/reviews/{review.id}/evidence/new")).status_code == 403


async def test_list_page_filters_and_pages(client, team):
    review, reviewer = team["review"], team["reviewer"]
    org = add_organisation(review, "Northshire Hospitals", "nhs_trust")
    make_evidence(
        review, reviewer, title="Only concern", polarity="concern", lines=["RE1"], organisations=[org.id]
    )
    for n in range(26):
        make_evidence(review, reviewer, title=f"Strength {n:02d}", polarity="strength", lines=["SV1"])
    signed_in(client, reviewer)

    first = await client.get(f"/reviews/{review.id}/evidence")
    assert "Showing 1 to 25 of 27 items." in first.text
    assert "Page 1 of 2" in first.text and 'rel="next"' in first.text
    second = await client.get(f"/reviews/{review.id}/evidence?page=2")
    assert "Showing 26 to 27 of 27 items." in second.text

    concern = await client.get(f"/reviews/{review.id}/evidence?polarity=concern&domain=relationships")
    assert "Only concern" in concern.text and "Strength 00" not in concern.text
    assert "Showing 1 of 1 item matching the filters." in concern.text
    assert '<span class="tag tag--concern">Concern</span>' in concern.text
    assert "Clear all filters" in concern.text
    by_org = await client.get(f"/reviews/{review.id}/evidence?organisation={org.id}&q=")
    assert "Only concern" in by_org.text and "Strength 01" not in by_org.text
    paged = await client.get(f"/reviews/{review.id}/evidence?polarity=strength&page=2")
    assert "polarity=strength" in paged.text  # the filters stay in the page links
    # A stale link naming a line the framework lacks: say so, and list everything.
    stale = await client.get(f"/reviews/{review.id}/evidence?ref=ZZ9")
    assert stale.status_code == 200
    assert "There is a problem" in stale.text and "ZZ9" in stale.text
    assert "of 27 items" in stale.text


async def test_hostile_narrative_is_harmless_on_every_page(client, team):
    review, reviewer = team["review"], team["reviewer"]
    item = make_evidence(
        review, reviewer, title="<b>Bold</b> title", narrative=HOSTILE, quote="<script>q()</script>"
    )
    signed_in(client, reviewer)

    pages = {
        "list": await client.get(f"/reviews/{review.id}/evidence"),
        "detail": await client.get(f"/reviews/{review.id}/evidence/{item.id}"),
        "edit": await client.get(f"/reviews/{review.id}/evidence/{item.id}/edit"),
        "coverage": await client.get(f"/reviews/{review.id}/coverage"),
    }

    for name, response in pages.items():
        assert response.status_code == 200, name
        no_live_script(response.text)
        assert "<b>Bold</b>" not in response.text, name
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in pages["detail"].text
    assert (
        "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in pages["edit"].text
    )  # the textarea, escaped
    assert "Ward notes" in pages["list"].text and "Ward notes" in pages["detail"].text
    assert "script-src 'self'" in pages["detail"].headers["content-security-policy"]


async def test_coverage_page_names_gaps_in_words(client, team):
    review, reviewer = team["review"], team["reviewer"]
    make_evidence(review, reviewer, lines=["SV1"], category="observation")
    make_evidence(review, reviewer, lines=["SV1"], category="people-experience")
    make_evidence(review, reviewer, lines=["SV2"], category="observation")
    signed_in(client, team["observer"])

    response = await client.get(f"/reviews/{review.id}/coverage")

    assert response.status_code == 200
    html = response.text
    sv1 = html[html.index('id="line-SV1"') : html.index('id="line-SV2"')]
    sv2 = html[html.index('id="line-SV2"') : html.index('id="line-SV3"')]
    sv3 = html[html.index('id="line-SV3"') : html.index('id="line-SV4"')]
    assert "Triangulated" in sv1 and "Not triangulated" not in sv1
    assert "Not triangulated" in sv2
    assert "No evidence" in sv3
    assert f"/reviews/{review.id}/evidence?ref=SV1&amp;category=observation" in sv1
    assert "41</p><p>of 43 lines have no evidence" in html.replace("\n", "")
    assert 'aria-current="page"' in html and ">Coverage<" in html


async def test_unknown_item_and_non_member_pages(client, team):
    review = team["review"]
    signed_in(client, team["reviewer"])
    assert (await client.get(f"/reviews/{review.id}/evidence/{uuid.uuid4()}")).status_code == 404
    stranger = add_member(make_review(title="Elsewhere"), "lead")
    signed_in(client, stranger)
    assert (await client.get(f"/reviews/{review.id}/evidence")).status_code == 404
    client.cookies.clear()
    anonymous = await client.get(f"/reviews/{review.id}/coverage", headers={"Accept": "text/html"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")


async def test_published_review_pages_are_read_only(client, team):
    review = team["review"]
    item = make_evidence(review, team["reviewer"])
    with session_scope() as s:
        stored = s.get(Review, review.id)
        stored.status = "published"
        s.add(stored)
    signed_in(client, team["lead"])
    detail = await client.get(f"/reviews/{review.id}/evidence/{item.id}")
    assert detail.status_code == 200 and f"{item.id}/edit" not in detail.text
    assert (await client.get(f"/reviews/{review.id}/evidence/new")).status_code == 409
