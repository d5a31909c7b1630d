"""Findings, recommendations and the action plan change a review only through the recorder:
the write context says who acts, the state table says when, and each change bumps the revision."""

from __future__ import annotations

import pytest
from findings_helpers import audit_rows, make_team, set_status

from app.accounts.models import User
from app.core.db import session_scope
from app.core.errors import Forbidden, ReadOnly
from app.findings import action_plan, findings, recommendations
from app.reviews.access import WriteContext, anonymous_context, scope_for
from app.reviews.models import Review


def _context(session, review: Review, user: User) -> WriteContext:  # type: ignore[no-untyped-def]
    row = session.get(Review, review.id)
    person = session.get(User, user.id)
    assert row is not None and person is not None
    return scope_for(session, row, person)


def _revision(review: Review) -> int:
    with session_scope() as s:
        row = s.get(Review, review.id)
        assert row is not None
        return row.revision


def test_each_write_bumps_the_revision_and_names_the_acting_member(db) -> None:
    team = make_team()
    before = _revision(team.review)
    with session_scope() as s:
        ctx = _context(s, team.review, team.writer)
        finding = findings.create_finding(
            s, ctx=ctx, kind="strength", text="Carers are heard.", domain_key="shared-vision"
        )
        rec = recommendations.create_recommendation(
            s, ctx=ctx, text="Publish the carers' offer.", owner_organisation_ids=[team.council.id]
        )
        created = (finding.created_by_id, rec.created_by_id)
    assert created == (team.writer.id, team.writer.id)
    assert _revision(team.review) > before
    assert [(u, a) for u, a, _, _ in audit_rows(team.review, "finding")] == [(team.writer.id, "create")]


def test_moving_a_recommendation_records_each_renumbered_one(db) -> None:
    team = make_team()
    with session_scope() as s:
        ctx = _context(s, team.review, team.writer)
        ids = [
            recommendations.create_recommendation(
                s, ctx=ctx, text=f"Recommendation {n}.", owner_organisation_ids=[team.council.id]
            ).id
            for n in (1, 2, 3)
        ]
    with session_scope() as s:
        ctx = _context(s, team.review, team.lead)
        recommendations.update_recommendation(s, ctx=ctx, recommendation_id=ids[2], changes={"number": 1})
    renumbered = [(u, e, c) for u, a, e, c in audit_rows(team.review, "recommendation") if a == "renumber"]
    assert renumbered == [
        (team.lead.id, str(ids[0]), {"number": [1, 2]}),
        (team.lead.id, str(ids[1]), {"number": [2, 3]}),
    ]


def test_the_state_table_closes_findings_at_publication_and_opens_the_plan(db) -> None:
    team = make_team()
    with session_scope() as s:
        ctx = _context(s, team.review, team.lead)
        with pytest.raises(ReadOnly, match="action plan starts once the review is published"):
            action_plan.create_action(
                s, ctx=ctx, text="Recruit two carers' champions.", owner_organisation_id=None
            )
    set_status(team.review, "published")
    with session_scope() as s:
        ctx = _context(s, team.review, team.lead)
        with pytest.raises(ReadOnly):
            findings.create_finding(s, ctx=ctx, kind="strength", text="Too late.", domain_key="shared-vision")
        action = action_plan.create_action(
            s, ctx=ctx, text="Recruit two carers' champions.", owner_organisation_id=team.trust.id
        )
        assert action.created_by_id == team.lead.id


def test_a_self_assessor_acts_for_their_own_organisation_only(db) -> None:
    team = make_team()
    set_status(team.review, "published")
    with session_scope() as s:
        ctx = _context(s, team.review, team.council_assessor)
        assert action_plan.acting_organisation(ctx) == team.council.id
        own = action_plan.create_action(s, ctx=ctx, text="Open a carers' hub.")
        assert own.owner_organisation_id == team.council.id
        with pytest.raises(Forbidden):
            action_plan.create_action(s, ctx=ctx, text="Someone else's.", owner_organisation_id=team.trust.id)
    with session_scope() as s:
        lead = _context(s, team.review, team.lead)
        theirs = action_plan.create_action(
            s, ctx=lead, text="Weekend discharge team.", owner_organisation_id=team.trust.id
        )
        ctx = _context(s, team.review, team.council_assessor)
        assert not action_plan.may_update_action(ctx, theirs)
        with pytest.raises(Forbidden):
            action_plan.add_action_note(s, ctx=ctx, action_id=theirs.id or 0, note="Not ours.", status="done")


def test_someone_without_an_account_cannot_write_a_finding(db) -> None:
    team = make_team()
    with session_scope() as s:
        row = s.get(Review, team.review.id)
        assert row is not None
        with pytest.raises(Forbidden):
            findings.create_finding(
                s,
                ctx=anonymous_context(row, "survey respondent"),
                kind="strength",
                text="Kind staff.",
                domain_key="shared-vision",
            )
