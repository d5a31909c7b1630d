"""The review pages through the app, as a browser without JavaScript uses them."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.core.db import session_scope
from app.reviews.models import Membership, Organisation, Review
from tests.factories import add_member, add_organisation, make_review, make_user
from tests.reviews.reviews_helpers import add_evidence, audit_rows, browser_session

pytestmark = pytest.mark.anyio


def fresh(review_id: int) -> Review:
    with session_scope() as s:
        review = s.get(Review, review_id)
        assert review is not None
        return review


def error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert match, "the page has no error summary"
    return match.group(0)


async def test_pages_need_a_session_and_a_role(client, db) -> None:
    review = make_review()
    response = await client.get(f"/reviews/{review.id}", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=")
    browser_session(client, make_user())
    assert (await client.get(f"/reviews/{review.id}")).status_code == 404


async def test_admin_creates_a_review_through_the_form(client, db) -> None:
    admin = make_user(admin=True)
    lead = make_user(email="lead@northshire.example")
    csrf = browser_session(client, admin)
    page = await client.get("/reviews/new")
    assert page.status_code == 200
    assert '<label class="field__label" for="title">' in page.text
    assert "local-system-review:1.0" in page.text
    response = await client.post(
        "/reviews/new",
        data={
            "csrf_token": csrf,
            "title": "Local system review of Northshire",
            "place": "Northshire",
            "icb": "",
            "councils": "Northshire County Council\r\n\r\nVale District Council",
            "kind": "external_review",
            "framework": "local-system-review:1.0",
            "fieldwork_start": "2025-03-10",
            "fieldwork_end": "2025-03-14",
            "lead_email": lead.email,
        },
    )
    assert response.status_code == 303
    location = response.headers["location"]
    review_id = int(re.match(r"/reviews/(\d+)\?done=created", location).group(1))  # type: ignore[union-attr]
    review = fresh(review_id)
    assert review.councils == ["Northshire County Council", "Vale District Council"]
    home = await client.get(location)
    assert "The review has been created" in home.text
    assert "10 March 2025 to 14 March 2025" in home.text


async def test_create_form_errors_are_summarised_and_tied_to_fields(client, db) -> None:
    admin = make_user(admin=True)
    csrf = browser_session(client, admin)
    response = await client.post(
        "/reviews/new",
        data={
            "csrf_token": csrf,
            "title": "Northshire",
            "place": "Northshire",
            "kind": "external_review",
            "framework": "local-system-review:1.0",
            "fieldwork_start": "2025-03-10",
            "fieldwork_end": "2025-03-01",
            "lead_email": "nobody@example.org",
        },
    )
    assert response.status_code == 422
    summary = error_summary(response.text)
    assert 'href="#lead_email"' in summary and "administrator must create the account first" in summary
    # What was typed is kept.
    assert 'value="nobody@example.org"' in response.text
    with session_scope() as s:
        assert s.exec(select(Review)).first() is None

    dates = await client.post(
        "/reviews/new",
        data={
            "csrf_token": csrf,
            "title": "Northshire",
            "place": "Northshire",
            "kind": "external_review",
            "framework": "local-system-review:1.0",
            "fieldwork_start": "2025-03-10",
            "fieldwork_end": "2025-03-01",
            "lead_email": admin.email,
        },
    )
    assert 'href="#fieldwork_end"' in error_summary(dates.text)
    assert 'aria-describedby="fieldwork_end-error"' in dates.text


async def test_forms_without_the_csrf_value_are_refused(client, db) -> None:
    admin = make_user(admin=True)
    browser_session(client, admin)
    response = await client.post("/reviews/new", data={"title": "x"})
    assert response.status_code == 403
    assert "form has expired" in response.text


async def test_only_admins_see_the_create_form(client, db) -> None:
    browser_session(client, make_user())
    assert (await client.get("/reviews/new")).status_code == 403


async def test_home_shows_the_review_at_a_glance(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    add_organisation(review, "Vale Hospitals NHS Trust", "nhs_trust")
    add_evidence(review, lead, refs=("SV1", "SV2"))
    browser_session(client, lead)
    page = await client.get(f"/reviews/{review.id}")
    assert page.status_code == 200
    html = page.text
    assert 'aria-current="step"' in html and "Status: Planning" in html
    assert "Move on to fieldwork" in html
    assert "Vale Hospitals NHS Trust" in html and "NHS trust" in html
    assert "Local system review" in html
    assert f'href="/reviews/{review.id}/data-profile"' in html
    # Coverage at a glance: one item, two of the framework's lines covered.
    assert re.search(r'<p class="stat">1</p>\s*<p>evidence items', html)
    assert re.search(r'<p class="stat">(\d+) <span class="stat__of">of (\d+)</span>', html)
    no_evidence, total = map(
        int, re.search(r'<p class="stat">(\d+) <span class="stat__of">of (\d+)</span>', html).groups()
    )  # type: ignore[union-attr]
    assert total - no_evidence == 2


async def test_observer_sees_no_status_buttons_and_self_assessor_no_coverage(client, db) -> None:
    review = make_review()
    observer = add_member(review, "observer")
    browser_session(client, observer)
    html = (await client.get(f"/reviews/{review.id}")).text
    assert "Move on to" not in html and "Change details" not in html
    assessor = add_member(review, "self_assessor")
    browser_session(client, assessor)
    html = (await client.get(f"/reviews/{review.id}")).text
    assert "Evidence at a glance" not in html
    assert "Your self-assessment" in html


async def test_lead_moves_status_with_the_buttons(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    csrf = browser_session(client, lead)
    response = await client.post(
        f"/reviews/{review.id}/status", data={"csrf_token": csrf, "status": "fieldwork"}
    )
    assert response.status_code == 303 and response.headers["location"] == f"/reviews/{review.id}?done=status"
    assert fresh(review.id).status == "fieldwork"
    page = await client.get(response.headers["location"])
    assert (
        "The review&#39;s status has changed." in page.text or "The review's status has changed." in page.text
    )
    assert "Move back to planning" in page.text

    skip = await client.post(f"/reviews/{review.id}/status", data={"csrf_token": csrf, "status": "published"})
    assert skip.status_code == 422
    assert fresh(review.id).status == "fieldwork"


async def test_publishing_needs_the_confirmation_box(client, db) -> None:
    review = make_review(status="reporting")
    lead = add_member(review, "lead")
    csrf = browser_session(client, lead)
    url = f"/reviews/{review.id}/status"
    unconfirmed = await client.post(url, data={"csrf_token": csrf, "status": "published"})
    assert unconfirmed.status_code == 422
    assert 'href="#confirm_publish"' in error_summary(unconfirmed.text)
    assert fresh(review.id).status == "reporting"
    confirmed = await client.post(
        url, data={"csrf_token": csrf, "status": "published", "confirm_publish": "yes"}
    )
    assert confirmed.status_code == 303
    assert fresh(review.id).published_at is not None
    page = await client.get(f"/reviews/{review.id}")
    assert "A published review cannot be changed" in page.text
    assert "Move back" not in page.text
    # Writes now answer with the read-only page.
    edit = await client.get(f"/reviews/{review.id}/edit")
    assert edit.status_code == 409


async def test_lead_edits_details(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    csrf = browser_session(client, lead)
    form = await client.get(f"/reviews/{review.id}/edit")
    assert form.status_code == 200
    assert 'value="Review of Northshire"' in form.text
    assert '<select class="select" id="framework"' in form.text  # still changeable in planning
    response = await client.post(
        f"/reviews/{review.id}/edit",
        data={
            "csrf_token": csrf,
            "title": "Northshire local system review",
            "place": "Northshire",
            "icb": "Northshire ICB",
            "councils": "Northshire Council",
            "kind": "peer_review",
            "framework": "local-system-review:1.0",
            "fieldwork_start": "",
            "fieldwork_end": "",
        },
    )
    assert response.status_code == 303
    review = fresh(review.id)
    assert (review.title, review.icb, review.kind, review.councils) == (
        "Northshire local system review",
        "Northshire ICB",
        "peer_review",
        ["Northshire Council"],
    )
    assert audit_rows(review.id, "review", "update")[-1].user_id == lead.id


async def test_framework_shows_as_fixed_once_work_exists(client, db) -> None:
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    browser_session(client, lead)
    form = await client.get(f"/reviews/{review.id}/edit")
    assert 'id="framework"' not in form.text
    assert "only change while the review is in planning" in form.text


async def test_bad_dates_in_the_edit_form_are_named(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    csrf = browser_session(client, lead)
    response = await client.post(
        f"/reviews/{review.id}/edit",
        data={
            "csrf_token": csrf,
            "title": "T",
            "place": "P",
            "kind": "peer_review",
            "fieldwork_start": "31/02/2025",
        },
    )
    assert response.status_code == 422
    assert 'href="#fieldwork_start"' in error_summary(response.text)


async def test_report_writer_writes_the_opening_text(client, db) -> None:
    review = make_review(status="reporting")
    writer = add_member(review, "report_writer")
    csrf = browser_session(client, writer)
    page = await client.get(f"/reviews/{review.id}/report-text")
    assert page.status_code == 200 and 'for="people_experience"' in page.text
    response = await client.post(
        f"/reviews/{review.id}/report-text",
        data={
            "csrf_token": csrf,
            "people_experience": "People told us...",
            "summary": "Good",
            "scope_note": "",
        },
    )
    assert response.status_code == 303
    assert fresh(review.id).people_experience == "People told us..."
    observer = add_member(review, "observer")
    browser_session(client, observer)
    assert (await client.get(f"/reviews/{review.id}/report-text")).status_code == 403


async def test_team_page_adds_changes_and_removes_members_and_partners(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    person = make_user(name="Priya Patel")
    csrf = browser_session(client, lead)
    base = f"/reviews/{review.id}/team"

    added = await client.post(
        f"{base}/organisations",
        data={"csrf_token": csrf, "name": "Vale Council", "org_type": "local_authority"},
    )
    assert added.status_code == 303
    with session_scope() as s:
        council = s.exec(select(Organisation).where(Organisation.review_id == review.id)).one()

    no_org = await client.post(
        f"{base}/members", data={"csrf_token": csrf, "email": person.email, "role": "self_assessor"}
    )
    assert no_org.status_code == 422
    assert 'href="#organisation_id"' in error_summary(no_org.text)
    assert f'value="{person.email}"' in no_org.text  # kept for the second try

    ok = await client.post(
        f"{base}/members",
        data={
            "csrf_token": csrf,
            "email": person.email,
            "role": "self_assessor",
            "organisation_id": str(council.id),
        },
    )
    assert ok.status_code == 303 and ok.headers["location"].endswith("done=member-added")
    page = await client.get(ok.headers["location"])
    assert "Priya Patel" in page.text and "Self-assessor" in page.text and "Vale Council" in page.text

    with session_scope() as s:
        membership = s.exec(select(Membership).where(Membership.user_id == person.id)).one()
    edit = await client.get(f"{base}/members/{membership.id}")
    assert edit.status_code == 200 and "Change Priya Patel" in edit.text
    changed = await client.post(
        f"{base}/members/{membership.id}",
        data={"csrf_token": csrf, "role": "reviewer", "organisation_id": ""},
    )
    assert changed.status_code == 303

    # The council is no longer referred to by anyone, so it can go; then the member can go.
    removed_partner = await client.post(
        f"{base}/organisations/{council.id}/remove", data={"csrf_token": csrf}
    )
    assert removed_partner.status_code == 303
    removed = await client.post(f"{base}/members/{membership.id}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    actions = [
        (e.entity, e.action)
        for e in audit_rows(review.id, "membership") + audit_rows(review.id, "organisation")
    ]
    assert ("membership", "delete") in actions and ("organisation", "delete") in actions


async def test_team_page_explains_refusals(client, db) -> None:
    review = make_review()
    lead = add_member(review, "lead")
    council = add_organisation(review, "Vale Council", "local_authority")
    add_evidence(review, lead, organisation_ids=(council.id,))
    csrf = browser_session(client, lead)
    base = f"/reviews/{review.id}/team"
    page = await client.get(base)
    assert "Remove<span" not in page.text.split("Partner organisations")[0]  # no button for the last lead
    partner = await client.post(f"{base}/organisations/{council.id}/remove", data={"csrf_token": csrf})
    assert partner.status_code == 422
    assert "1 evidence items" in error_summary(partner.text)
    with session_scope() as s:
        lead_membership = s.exec(select(Membership).where(Membership.user_id == lead.id)).one()
    last_lead = await client.post(f"{base}/members/{lead_membership.id}/remove", data={"csrf_token": csrf})
    assert last_lead.status_code == 422
    assert "must always have a lead" in error_summary(last_lead.text)


async def test_team_page_is_read_only_for_other_roles(client, db) -> None:
    review = make_review()
    reviewer = add_member(review, "reviewer")
    browser_session(client, reviewer)
    page = await client.get(f"/reviews/{review.id}/team")
    assert page.status_code == 200
    assert "Add someone to the team" not in page.text and "Remove" not in page.text
