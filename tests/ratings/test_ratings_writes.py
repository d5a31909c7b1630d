"""Every ratings write takes the write context and goes through the change recorder."""

from __future__ import annotations

import pytest
from factories import make_review
from ratings_helpers import add_evidence, audit_rows, cast, web_session
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.accounts.models import User
from app.accounts.permissions import Role
from app.core.db import insert_or_twin, session_scope
from app.core.errors import Forbidden, ReadOnly
from app.ratings import moderation, service
from app.ratings.models import Rating, ResultOverride
from app.reviews.access import WriteContext, anonymous_context, scope_for
from app.reviews.models import Review

pytestmark = pytest.mark.usefixtures("db")


def _scope(s, review: Review, user: User):
    row = s.get(Review, review.id)
    member = s.get(User, user.id)
    assert row is not None and member is not None
    return scope_for(s, row, member)


def _revision(review: Review) -> int:
    with session_scope() as s:
        row = s.get(Review, review.id)
        assert row is not None
        return row.revision


def test_a_self_assessment_rating_is_for_the_organisation_of_the_write_context():
    c = cast()
    with session_scope() as s:
        review = s.get(Review, c.review.id)
        assert review is not None
        # The context, not a membership looked up again, says whose view the rating gives.
        ctx = WriteContext(
            review=review, user_id=c.nhs_leader.id, role=Role.self_assessor, organisation_id=c.council.id
        )
        rating = service.save_rating(s, ctx=ctx, ref="PC1", value=2)
        assert (rating.group, rating.organisation_id) == (service.SELF_ASSESSMENT, c.council.id)


def test_each_rating_write_is_audited_and_bumps_the_revision_once():
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    start = _revision(c.review)
    with session_scope() as s:
        service.save_rating(s, ctx=_scope(s, c.review, c.nhs_leader), ref="PC1", value=2)
        service.save_rating(
            s,
            ctx=_scope(s, c.review, c.reviewer),
            ref="PC1",
            value=3,
            rationale="Clear",
            cited_evidence=[evidence],
        )
        # The same save again (a retry) changes nothing and records nothing.
        service.save_rating(s, ctx=_scope(s, c.review, c.nhs_leader), ref="PC1", value=2)
    assert _revision(c.review) == start + 2
    assert [row.action for row in audit_rows(c.review, "rating")] == ["create", "create"]

    with session_scope() as s:
        service.set_self_assessment_closed(s, ctx=_scope(s, c.review, c.lead), closed=True)
    assert _revision(c.review) == start + 3
    assert audit_rows(c.review, "review")[-1].changes == {"self_assessment_closed": [False, True]}


def test_repeating_an_override_records_it_once():
    c = cast()
    justification = "The evidence of partnership working outweighs the computed level."
    with session_scope() as s:
        for _ in range(2):
            moderation.set_override(
                s,
                ctx=_scope(s, c.review, c.lead),
                result_scope="overall",
                level=3,
                justification=justification,
            )
    assert [row.action for row in audit_rows(c.review, "result_override")] == ["create"]
    with session_scope() as s:
        assert len(s.exec(select(ResultOverride).where(ResultOverride.review_id == c.review.id)).all()) == 1


def test_a_published_review_takes_no_ratings_moderation_or_closing():
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    with session_scope() as s:
        row = s.get(Review, c.review.id)
        assert row is not None
        row.status = "published"
        s.add(row)
    with session_scope() as s:
        with pytest.raises(ReadOnly):
            service.save_rating(s, ctx=_scope(s, c.review, c.nhs_leader), ref="PC1", value=2)
        with pytest.raises(ReadOnly):
            moderation.moderate(
                s,
                ctx=_scope(s, c.review, c.lead),
                ref="PC1",
                value=2,
                rationale="Partly",
                cited_evidence=[evidence],
                expected_version=None,
            )
        with pytest.raises(ReadOnly):
            moderation.set_override(
                s,
                ctx=_scope(s, c.review, c.lead),
                result_scope="overall",
                level=3,
                justification="A justification long enough to be accepted.",
            )
        with pytest.raises(ReadOnly):
            service.set_self_assessment_closed(s, ctx=_scope(s, c.review, c.lead), closed=True)


def test_someone_without_an_account_gives_no_ratings():
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    with session_scope() as s:
        review = s.get(Review, c.review.id)
        assert review is not None
        ctx = anonymous_context(review, "survey respondent")
        with pytest.raises(Forbidden):
            service.save_rating(s, ctx=ctx, ref="PC1", value=2)
        with pytest.raises(Forbidden):
            moderation.moderate(
                s,
                ctx=ctx,
                ref="PC1",
                value=2,
                rationale="Partly",
                cited_evidence=[evidence],
                expected_version=None,
            )


def test_insert_or_twin_takes_the_row_a_concurrent_writer_stored_first():
    c = cast()
    with session_scope() as s:
        s.add(Rating(review_id=c.review.id, ref="PC1", rater_id=c.reviewer.id, group="review_team", value=2))

    def twin(s):
        return s.exec(
            select(Rating).where(
                Rating.review_id == c.review.id, Rating.ref == "PC1", Rating.rater_id == c.reviewer.id
            )
        ).first()

    with session_scope() as s:
        late = Rating(review_id=c.review.id, ref="PC1", rater_id=c.reviewer.id, group="review_team", value=3)
        stored, inserted = insert_or_twin(s, late, lambda: twin(s))
        assert not inserted and stored.value == 2
        # The rest of the unit of work is still usable after losing the race.
        assert s.exec(select(Review).where(Review.id == c.review.id)).one().id == c.review.id


def test_insert_or_twin_raises_an_integrity_error_that_is_not_the_race():
    other = make_review()
    with session_scope() as s:
        orphan = Rating(review_id=other.id, ref="PC1", rater_id=10_000_000, group="review_team", value=2)
        with pytest.raises(IntegrityError):
            insert_or_twin(s, orphan, lambda: None)


@pytest.mark.anyio
async def test_a_stale_moderation_links_to_the_stored_rating_it_asks_the_lead_to_check(client):
    c = cast()
    evidence = add_evidence(c.review, c.reviewer, refs=("PC1",))
    with session_scope() as s:
        moderation.moderate(
            s,
            ctx=_scope(s, c.review, c.lead),
            ref="PC1",
            value=3,
            rationale="Fully",
            cited_evidence=[evidence],
            expected_version=None,
        )
    cookies, csrf = web_session(c.lead)
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    stale = await client.post(
        f"/reviews/{c.review.id}/moderation/PC1",
        data={
            "csrf_token": csrf,
            "version": "0",
            "value": "1",
            "rationale": "Not yet",
            "cited_evidence": evidence,
        },
    )
    assert stale.status_code == 409
    assert '<a href="#current-heading">' in stale.text
    assert 'id="current-heading"' in stale.text
