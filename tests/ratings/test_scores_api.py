"""Results and overrides: the scores endpoint returns the engine's numbers for the stored data."""

from __future__ import annotations

import json

import pytest
from factories import add_member, auth, make_user
from ratings_helpers import add_evidence, audit_rows, cast
from sqlalchemy import event

from app.core.db import get_engine, session_scope
from app.frameworks.service import get_framework
from app.ratings.models import ModeratedRating, Rating
from app.ratings.results import scoring_inputs
from app.reviews.models import Review
from app.scoring import EvidenceSignal, RatingInput, ResultOverride, score_review

pytestmark = pytest.mark.anyio


def url(review, tail: str) -> str:
    return f"/api/v1/reviews/{review.id}{tail}"


JUSTIFICATION = "The partnership board minutes show joint plans in place across every locality."


async def seed(client, c) -> dict:
    """Ratings from five self-assessors and two reviewers, moderation of four lines, evidence
    and a domain override, all through the API; returns what the test knows it stored."""
    extra_council = add_member(c.review, "self_assessor", user=make_user(), organisation=c.council)
    extra_trust = add_member(c.review, "self_assessor", user=make_user(), organisation=c.trust)
    unaffiliated = add_member(c.review, "self_assessor", user=make_user())  # factory gives a council org
    strength = add_evidence(c.review, c.reviewer, refs=("PC1", "PC2", "PP1"), category="voices")
    concern = add_evidence(c.review, c.reviewer, refs=("PC1", "PP2"), polarity="concern", category="records")
    context = add_evidence(c.review, c.reviewer, refs=("PC3",), polarity="context", category="records")
    add_evidence(c.review, c.reviewer, refs=("PC3",), polarity="concern", deleted=True)

    self_values = [
        (c.council_leader, "local_authority", {"PC1": 3, "PC2": 3, "PC3": 2, "PP1": 3, "PP2": 3}),
        (extra_council, "local_authority", {"PC1": 3, "PC2": 2, "PP1": 3}),
        (unaffiliated, "local_authority", {"PC1": 2}),
        (c.nhs_leader, "nhs_trust", {"PC1": 1, "PC2": 1, "PC3": 1, "PP1": 2, "PP2": 1}),
        (extra_trust, "nhs_trust", {"PC1": 1, "PP2": 2}),
    ]
    team_values = [(c.reviewer, {"PC1": 2, "PC2": 2, "PP1": 2}), (c.lead, {"PC1": 2, "PP1": 3})]
    moderated = {
        "PC1": (2, [strength, concern]),
        "PC2": (1, [strength]),
        "PP1": (3, [strength]),
        "PP2": (1, [concern]),
    }
    for user, _, values in self_values:
        for ref, value in values.items():
            r = await client.put(url(c.review, f"/ratings/{ref}"), json={"value": value}, headers=auth(user))
            assert r.status_code == 200, r.text
    for user, values in team_values:
        for ref, value in values.items():
            r = await client.put(
                url(c.review, f"/ratings/{ref}"),
                json={"value": value, "rationale": "From the evidence", "cited_evidence": [strength]},
                headers=auth(user),
            )
            assert r.status_code == 200, r.text
    for ref, (value, cited) in moderated.items():
        r = await client.put(
            url(c.review, f"/moderated/{ref}"),
            json={"value": value, "rationale": "Agreed at moderation", "cited_evidence": cited},
            headers=auth(c.lead),
        )
        assert r.status_code == 201, r.text
    r = await client.put(
        url(c.review, "/overrides"),
        json={
            "scope": "domain",
            "domain_key": "place-partnership",
            "level": 3,
            "justification": JUSTIFICATION,
        },
        headers=auth(c.lead),
    )
    assert r.status_code == 200, r.text

    ratings = [
        RatingInput(ref, value, user.id, "self_assessment", org_type)
        for user, org_type, values in self_values
        for ref, value in values.items()
    ] + [
        RatingInput(ref, value, user.id, "review_team")
        for user, values in team_values
        for ref, value in values.items()
    ]
    signals = [
        EvidenceSignal(strength, ref, "strength", "voices", "peer-conversation")
        for ref in ("PC1", "PC2", "PP1")
    ]
    signals += [
        EvidenceSignal(concern, ref, "concern", "records", "peer-conversation") for ref in ("PC1", "PP2")
    ]
    signals += [EvidenceSignal(context, "PC3", "context", "records", "peer-conversation")]
    return {
        "ratings": ratings,
        "moderated": {ref: value for ref, (value, _) in moderated.items()},
        "evidence": signals,
        "overrides": [ResultOverride("domain", "place-partnership", 3, JUSTIFICATION)],
    }


def framework():
    with session_scope() as s:
        return get_framework(s, "peer-challenge", "2.1")


async def test_scores_equal_the_engine_on_the_same_inputs_and_name_their_rules(client):
    c = cast()
    known = await seed(client, c)
    response = await client.get(url(c.review, "/scores"), headers=auth(c.observer))
    assert response.status_code == 200, response.text
    expected = score_review(framework(), **known).to_dict()
    assert response.json() == json.loads(json.dumps(expected))

    scores = response.json()
    for line in scores["lines"]:
        assert line["self_assessment"]["rule"] and line["review_team"]["rule"]
        assert line["gap_rule"] and line["suggestion"]["rule"] and line["readiness"]["rule"]
    for domain in scores["domains"]:
        assert domain["rule"] and domain["level_rule"]
    assert scores["overall"]["rule"] and scores["overall"]["level_rule"]
    pc1 = next(line for line in scores["lines"] if line["ref"] == "PC1")
    assert pc1["self_assessment"]["n"] == 5 and pc1["moderated"] == 2
    assert pc1["org_gaps"][0]["gap"] == -2.0  # NHS median 1 against council median 3
    partnership = next(d for d in scores["domains"] if d["key"] == "place-partnership")
    assert partnership["override"]["justification"] == JUSTIFICATION
    assert (partnership["final_level"], partnership["override"]["level"]) == (3, 3)
    assert partnership["computed_level"] == partnership["override"]["replaces_level"] == 2


async def test_scores_are_for_the_review_team_only_until_publication(client):
    c = cast()
    assert (await client.get(url(c.review, "/scores"), headers=auth(c.nhs_leader))).status_code == 403
    assert (await client.get(url(c.review, "/scores"), headers=auth(c.outsider))).status_code == 404
    with session_scope() as s:
        review = s.get(Review, c.review.id)
        review.status = "published"
        s.add(review)
    assert (await client.get(url(c.review, "/scores"), headers=auth(c.nhs_leader))).status_code == 200


async def test_gathering_inputs_takes_the_same_number_of_queries_for_any_size_of_review(client):
    small, large = cast(), cast()
    evidence = add_evidence(small.review, small.reviewer, refs=("PC1",))
    with session_scope() as s:
        s.add(
            Rating(
                review_id=small.review.id,
                ref="PC1",
                rater_id=small.nhs_leader.id,
                group="self_assessment",
                value=2,
            )
        )
    await seed(client, large)

    def count_queries(review: Review) -> int:
        statements: list[str] = []

        def seen(*args: object) -> None:
            statements.append(str(args[2]))

        engine = get_engine()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            with session_scope(read_only=True) as s:
                inputs = scoring_inputs(s, s.get(Review, review.id))
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert inputs.ratings
        return len([q for q in statements if q.lstrip().upper().startswith("SELECT")])

    assert evidence
    assert count_queries(small.review) == count_queries(large.review)


async def test_an_override_needs_a_written_justification(client):
    c = cast()
    put = url(c.review, "/overrides")
    short = await client.put(
        put, json={"scope": "overall", "level": 3, "justification": "Feels better"}, headers=auth(c.lead)
    )
    assert short.status_code == 422
    error = short.json()["errors"][0]
    assert error["field"] == "justification"
    assert "can be overridden only with a written justification" in error["message"]
    missing = await client.put(put, json={"scope": "overall", "level": 3}, headers=auth(c.lead))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "justification"
    unknown = await client.put(
        put,
        json={"scope": "domain", "domain_key": "nowhere", "level": 2, "justification": JUSTIFICATION},
        headers=auth(c.lead),
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "domain_key"
    off_scale = await client.put(
        put, json={"scope": "overall", "level": 7, "justification": JUSTIFICATION}, headers=auth(c.lead)
    )
    assert off_scale.status_code == 422 and off_scale.json()["errors"][0]["field"] == "level"
    reviewer = await client.put(
        put, json={"scope": "overall", "level": 3, "justification": JUSTIFICATION}, headers=auth(c.reviewer)
    )
    assert reviewer.status_code == 403


async def test_override_is_kept_beside_the_computed_result_and_can_be_removed(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1", "PC2", "PC3"))
    for ref in ("PC1", "PC2", "PC3"):
        await client.put(
            url(c.review, f"/moderated/{ref}"),
            json={"value": 2, "rationale": "Partly in place", "cited_evidence": [evidence]},
            headers=auth(c.lead),
        )
    saved = await client.put(
        url(c.review, "/overrides"),
        json={"scope": "overall", "level": 3, "justification": JUSTIFICATION, "reason": "moderation panel"},
        headers=auth(c.lead),
    )
    assert saved.status_code == 200
    assert saved.json()["label"] == "Fully" and saved.json()["created_by"] == "Lena Lead"
    overall = (await client.get(url(c.review, "/scores"), headers=auth(c.lead))).json()["overall"]
    assert overall["final_level"] == 3
    assert overall["override"]["replaces_level"] == overall["computed_level"] == 2
    listed = await client.get(url(c.review, "/overrides"), headers=auth(c.writer))
    assert [o["target_name"] for o in listed.json()] == ["Overall result"]

    removed = await client.delete(
        url(c.review, "/overrides?scope=overall&reason=rethought"), headers=auth(c.lead)
    )
    assert removed.status_code == 204
    overall = (await client.get(url(c.review, "/scores"), headers=auth(c.lead))).json()["overall"]
    assert overall["override"] is None and overall["final_level"] == 2
    gone = await client.delete(url(c.review, "/overrides?scope=overall"), headers=auth(c.lead))
    assert gone.status_code == 404

    rows = audit_rows(c.review, "result_override")
    assert [(r.action, r.user_id, r.reason) for r in rows] == [
        ("create", c.lead.id, "moderation panel"),
        ("delete", c.lead.id, "rethought"),
    ]
    assert rows[1].changes["level"] == [3, None]


async def test_a_narrative_framework_has_no_results_to_override(client):
    c = cast("narrative-review")
    scores = await client.get(url(c.review, "/scores"), headers=auth(c.lead))
    assert scores.status_code == 200
    assert scores.json()["rated"] is False and scores.json()["overall"] is None
    refused = await client.put(
        url(c.review, "/overrides"),
        json={"scope": "overall", "level": 1, "justification": JUSTIFICATION},
        headers=auth(c.lead),
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "scope"


async def test_every_write_touches_the_review(client):
    c = cast()
    with session_scope() as s:
        before = s.get(Review, c.review.id).revision
    await client.put(url(c.review, "/ratings/PC1"), json={"value": 2}, headers=auth(c.nhs_leader))
    await client.post(url(c.review, "/self-assessment/close"), headers=auth(c.lead))
    with session_scope() as s:
        assert s.get(Review, c.review.id).revision == before + 2


def test_moderated_rows_are_what_the_engine_reads(session):
    # The model's column names are what scoring_inputs maps; a rename should fail here first.
    assert {"ref", "value", "cited_evidence", "version"} <= set(ModeratedRating.model_fields)
