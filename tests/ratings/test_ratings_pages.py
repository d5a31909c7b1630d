"""The rating pages without JavaScript: forms post, redirect back, and show problems in place."""

from __future__ import annotations

import re

import pytest
from factories import auth
from ratings_helpers import add_evidence, cast, set_closed, web_session
from sqlmodel import select

from app.core.db import session_scope
from app.ratings.models import ModeratedRating, Rating, ResultOverride

pytestmark = pytest.mark.anyio


def page(review, tail: str) -> str:
    return f"/reviews/{review.id}{tail}"


async def signed_in(client, user) -> str:
    cookies, csrf = web_session(user)
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    return csrf


def stored_ratings(review) -> list[tuple[int, str, int]]:
    with session_scope() as s:
        rows = s.exec(select(Rating).where(Rating.review_id == review.id)).all()
        return sorted((r.rater_id, r.ref, r.value) for r in rows)


async def test_questionnaire_saves_a_line_and_comes_back_to_it(client):
    c = cast()
    csrf = await signed_in(client, c.nhs_leader)
    response = await client.get(page(c.review, "/self-assessment"))
    assert response.status_code == 200
    html = response.text
    assert "0</strong> of 5 lines rated" in html
    assert 'max="5" value="0"' in html
    assert "Northshire Hospitals NHS Trust" in html
    assert "People are rarely asked what matters to them." in html  # rubric text by its level
    assert html.count('name="value"') == 15  # 5 lines x 3 levels
    assert 'for="PC1-value"' in html and 'for="PC1-rationale"' in html

    saved = await client.post(
        page(c.review, "/self-assessment/PC2"), data={"csrf_token": csrf, "value": "2", "rationale": "Patchy"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("/self-assessment?saved=PC2#line-PC2")
    assert stored_ratings(c.review) == [(c.nhs_leader.id, "PC2", 2)]

    again = (await client.get(saved.headers["location"].split("#")[0])).text
    assert "1</strong> of 5 lines rated" in again
    assert re.search(r'id="PC2-value-2" name="value" value="2" checked', again)
    assert ">Patchy</textarea>" in again
    assert '<span class="save-status__ok">Saved</span>' in again


async def test_questionnaire_shows_problems_by_the_line_keeping_what_was_typed(client):
    c = cast()
    csrf = await signed_in(client, c.nhs_leader)
    response = await client.post(
        page(c.review, "/self-assessment/PC3"), data={"csrf_token": csrf, "rationale": "Not sure yet"}
    )
    assert response.status_code == 422
    html = response.text
    assert '<a href="#PC3-value">Choose a level for PC3.</a>' in html
    assert 'id="PC3-value-error"' in html
    assert ">Not sure yet</textarea>" in html
    assert stored_ratings(c.review) == []


async def test_questionnaire_refuses_a_post_without_the_csrf_secret(client):
    c = cast()
    await signed_in(client, c.nhs_leader)
    response = await client.post(page(c.review, "/self-assessment/PC1"), data={"value": "2"})
    assert response.status_code == 403
    assert stored_ratings(c.review) == []


async def test_after_closing_the_questionnaire_is_read_only_and_shows_the_spread(client):
    c = cast()
    for user, value in ((c.nhs_leader, 1), (c.council_leader, 3)):
        await client.put(
            f"/api/v1/reviews/{c.review.id}/ratings/PC1", json={"value": value}, headers=auth(user)
        )
    set_closed(c.review)
    csrf = await signed_in(client, c.nhs_leader)
    html = (await client.get(page(c.review, "/self-assessment"))).text
    assert "has closed the self-assessment" in html
    assert "How all self-assessors rated PC1 (2 people, no names)" in html
    assert "Carla" not in html and "Northshire County Council" not in html
    assert "data-autosave" not in html and "ratings.js" not in html
    refused = await client.post(
        page(c.review, "/self-assessment/PC1"), data={"csrf_token": csrf, "value": "3"}
    )
    assert refused.status_code == 409
    assert stored_ratings(c.review) == sorted([(c.nhs_leader.id, "PC1", 1), (c.council_leader.id, "PC1", 3)])


async def test_team_members_are_sent_from_the_questionnaire_to_the_ratings(client):
    c = cast()
    await signed_in(client, c.reviewer)
    response = await client.get(page(c.review, "/self-assessment"))
    assert response.status_code == 303
    assert response.headers["location"] == page(c.review, "/ratings")


async def test_ratings_grid_with_radar_for_the_team_and_not_for_self_assessors(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1", "PC2", "PC3", "PP1", "PP2"))
    for ref, value in (("PC1", 3), ("PC2", 2), ("PP1", 3)):
        await client.put(
            f"/api/v1/reviews/{c.review.id}/ratings/{ref}", json={"value": value}, headers=auth(c.nhs_leader)
        )
        await client.put(
            f"/api/v1/reviews/{c.review.id}/moderated/{ref}",
            json={"value": 1, "rationale": "Evidence shows little", "cited_evidence": [evidence]},
            headers=auth(c.lead),
        )
    await signed_in(client, c.lead)
    html = (await client.get(page(c.review, "/ratings"))).text
    assert "<svg" in html and "Self-assessment and moderated ratings by line of enquiry" in html
    assert 'id="row-PC1"' in html and "Nadia Trust" in html  # progress table names self-assessors
    assert "Close the self-assessment" in html
    assert "Largest gaps" in html and "+2" in html
    assert page(c.review, "/ratings/PC1/rate") in html

    await signed_in(client, c.nhs_leader)
    assert (await client.get(page(c.review, "/ratings"))).status_code == 403


async def test_rating_a_line_as_the_review_team(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",), title="Carers' focus group notes")
    csrf = await signed_in(client, c.reviewer)
    form = (await client.get(page(c.review, "/ratings/PC1/rate"))).text
    assert "Carers&#39; focus group notes" in form

    missing = await client.post(
        page(c.review, "/ratings/PC1/rate"), data={"csrf_token": csrf, "value": "2", "rationale": "Mixed"}
    )
    assert missing.status_code == 422
    assert '<a href="#rate-cited_evidence">' in missing.text
    assert ">Mixed</textarea>" in missing.text

    saved = await client.post(
        page(c.review, "/ratings/PC1/rate"),
        data={
            "csrf_token": csrf,
            "value": "2",
            "rationale": "Mixed",
            "cited_evidence": evidence,
            "then": "next",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == page(c.review, "/ratings/PC2/rate?done=rated")
    assert stored_ratings(c.review) == [(c.reviewer.id, "PC1", 2)]


async def test_moderation_page_refuses_a_stale_save_and_shows_the_new_stored_value(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",), title="Case file audit")
    csrf = await signed_in(client, c.lead)
    html = (await client.get(page(c.review, "/moderation/PC1"))).text
    assert '<input type="hidden" name="version" value="0">' in html
    assert "Case file audit" in html and "A hint from the balance" in html

    first = await client.post(
        page(c.review, "/moderation/PC1"),
        data={
            "csrf_token": csrf,
            "version": "0",
            "value": "2",
            "rationale": "Partly",
            "cited_evidence": evidence,
        },
    )
    assert first.status_code == 303

    # Someone else saves version 2 through the API while this page still holds version 1.
    other = await client.put(
        f"/api/v1/reviews/{c.review.id}/moderated/PC1",
        json={"value": 3, "rationale": "Fully, on reflection", "cited_evidence": [evidence], "version": 1},
        headers=auth(c.lead),
    )
    assert other.status_code == 200
    stale = await client.post(
        page(c.review, "/moderation/PC1"),
        data={
            "csrf_token": csrf,
            "version": "1",
            "value": "1",
            "rationale": "Not yet",
            "cited_evidence": evidence,
        },
    )
    assert stale.status_code == 409
    html = stale.text
    assert "There is a problem" in html and "since you loaded it" in html
    assert "Fully, on reflection" in html  # the stored rating is shown
    assert ">Not yet</textarea>" in html  # what this person typed is kept
    assert '<input type="hidden" name="version" value="2">' in html
    with session_scope() as s:
        row = s.exec(select(ModeratedRating).where(ModeratedRating.review_id == c.review.id)).one()
        assert (row.value, row.version) == (3, 2)


async def test_moderation_form_without_cited_evidence_shows_the_error(client):
    c = cast()
    add_evidence(c.review, c.reviewer, refs=("PC1",))
    csrf = await signed_in(client, c.lead)
    response = await client.post(
        page(c.review, "/moderation/PC1"),
        data={"csrf_token": csrf, "version": "0", "value": "2", "rationale": "x"},
    )
    assert response.status_code == 422
    assert (
        '<a href="#moderate-cited_evidence">A line cannot be moderated with no cited evidence.</a>'
        in response.text
    )


async def test_results_page_and_override_form(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1", "PC2", "PC3"))
    for ref in ("PC1", "PC2", "PC3"):
        await client.put(
            f"/api/v1/reviews/{c.review.id}/moderated/{ref}",
            json={"value": 2, "rationale": "Partly", "cited_evidence": [evidence]},
            headers=auth(c.lead),
        )
    csrf = await signed_in(client, c.lead)
    html = (await client.get(page(c.review, "/scores"))).text
    assert "How this was worked out" in html and "People at the centre" in html

    short = await client.post(
        page(c.review, "/scores/overrides"),
        data={
            "csrf_token": csrf,
            "target": "domain:people-at-centre",
            "level": "3",
            "justification": "Better",
        },
    )
    assert short.status_code == 422
    assert '<a href="#override-justification">' in short.text

    saved = await client.post(
        page(c.review, "/scores/overrides"),
        data={
            "csrf_token": csrf,
            "target": "domain:people-at-centre",
            "level": "3",
            "justification": "Every care plan we read was written with the person and their carer.",
        },
    )
    assert saved.status_code == 303
    html = (await client.get(page(c.review, "/scores"))).text
    assert "Every care plan we read" in html and "Overridden" in html

    removed = await client.post(
        page(c.review, "/scores/overrides/remove"),
        data={"csrf_token": csrf, "target": "domain:people-at-centre"},
    )
    assert removed.status_code == 303
    with session_scope() as s:
        assert s.exec(select(ResultOverride)).all() == []


async def test_pages_need_a_signed_in_member(client):
    c = cast()
    client.cookies.clear()
    anonymous = await client.get(page(c.review, "/ratings"), headers={"Accept": "text/html"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")
    await signed_in(client, c.outsider)
    assert (await client.get(page(c.review, "/ratings"))).status_code == 404


async def test_every_page_renders_for_a_narrative_framework(client):
    c = cast("narrative-review")
    from app.frameworks.service import get_framework

    with session_scope() as s:
        ref = get_framework(s, "narrative-review", "1.0").refs()[0]
    await signed_in(client, c.nhs_leader)
    questionnaire = await client.get(page(c.review, "/self-assessment"))
    assert questionnaire.status_code == 200 and "nothing to fill in here" in questionnaire.text
    await signed_in(client, c.lead)
    for tail in ("/ratings", f"/ratings/{ref}/rate", f"/moderation/{ref}", "/scores"):
        response = await client.get(page(c.review, tail))
        assert response.status_code == 200, tail
        assert "narrative framework" in response.text, tail
    assert "Set the moderated rating" not in (await client.get(page(c.review, f"/moderation/{ref}"))).text


async def test_the_main_framework_draws_the_radar_by_domain(client):
    c = cast("local-system-review")
    from app.frameworks.service import get_framework

    with session_scope() as s:
        framework = get_framework(s, "local-system-review", "1.0")
    for domain in framework.domains:
        ref = domain.lines[0].ref
        await client.put(
            f"/api/v1/reviews/{c.review.id}/ratings/{ref}", json={"value": 3}, headers=auth(c.council_leader)
        )
    await signed_in(client, c.lead)
    html = (await client.get(page(c.review, "/ratings"))).text
    assert "Self-assessment and moderated ratings by domain" in html
    assert all(domain.name.replace("'", "&#39;") in html for domain in framework.domains)
    questionnaire_lines = len(framework.refs())
    await signed_in(client, c.nhs_leader)
    html = (await client.get(page(c.review, "/self-assessment"))).text
    assert f"0</strong> of {questionnaire_lines} lines rated" in html
