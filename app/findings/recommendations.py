"""Recommendations: numbered 1, 2, 3... without gaps in the order the report lists them, each
owned by one or more partner organisations of the review.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.core.errors import Conflict, Invalid, NotFound
from app.core.models_base import aware
from app.core.text import render_markdown
from app.findings import checks
from app.findings.models import PRIORITIES, ActionItem, Recommendation
from app.findings.schemas import RecommendationPublic
from app.reviews.access import WriteContext
from app.reviews.changes import Write, check_accepts, review_framework, snapshot
from app.reviews.models import Review

RECOMMENDATION_FIELDS = ("text", "domain_key", "owner_organisation_ids", "priority", "target_date", "number")
ENTITY = "recommendation"


def list_recommendations(session: Session, *, review: Review) -> list[Recommendation]:
    """The review's recommendations by number."""
    return list(
        session.exec(
            select(Recommendation)
            .where(Recommendation.review_id == review.id)
            .order_by(col(Recommendation.number), col(Recommendation.id))
        )
    )


def get_recommendation(session: Session, *, review: Review, recommendation_id: int) -> Recommendation:
    """One recommendation of this review; NotFound otherwise."""
    rec = session.get(Recommendation, recommendation_id)
    if rec is None or rec.review_id != review.id:
        raise NotFound("recommendation not found")
    return rec


def _owners(session: Session, review: Review, ids: Iterable[int] | None) -> list[int]:
    owners = list(dict.fromkeys(ids or []))
    if not owners:
        raise Invalid(
            "choose at least one organisation to own the recommendation", field="owner_organisation_ids"
        )
    partners = checks.organisations(session, review)
    for org_id in owners:
        if org_id not in partners:
            raise Invalid(
                f"organisation {org_id} is not a partner of this review", field="owner_organisation_ids"
            )
    return owners


def create_recommendation(
    session: Session,
    *,
    ctx: WriteContext,
    text: str,
    owner_organisation_ids: Sequence[int],
    priority: str = "medium",
    target_date: date | None = None,
    domain_key: str = "",
    number: int | None = None,
) -> Recommendation:
    """Add a recommendation, numbered last unless `number` places it (the rest renumber)."""
    review = ctx.review
    check_accepts(review, Write.findings)
    fw = review_framework(session, review)
    found = checks.Checks()
    clean: dict[str, Any] = {
        "text": found.run(checks.text, text, field="text", what="the recommendation"),
        "owner_organisation_ids": found.run(_owners, session, review, owner_organisation_ids),
        "priority": found.run(checks.choice, priority, PRIORITIES, field="priority"),
        "target_date": found.run(checks.not_past, target_date, field="target_date"),
        "domain_key": found.run(checks.domain, fw, domain_key),
    }
    found.done()
    review_id, author_id = checks.author(ctx)
    rec = Recommendation(review_id=review_id, number=0, created_by_id=author_id, **clean)
    checks.lock_review(session, review)
    existing = list_recommendations(session, review=review)
    session.add(rec)
    session.flush()
    checks.renumber(
        session, ctx, checks.place([*existing, rec], rec, number), attr="number", entity=ENTITY, moved=rec
    )
    checks.record_new(session, ctx, write=Write.findings, entity=ENTITY, row=rec)
    return rec


def update_recommendation(
    session: Session, *, ctx: WriteContext, recommendation_id: int, changes: Mapping[str, Any]
) -> Recommendation:
    """Change some fields; `number` moves it in the list and the others renumber around it."""
    checks.only_fields(changes, RECOMMENDATION_FIELDS)
    review = checks.review_for_numbering(session, ctx)
    fw = review_framework(session, review)
    rec = get_recommendation(session, review=review, recommendation_id=recommendation_id)
    before = snapshot(rec)
    checkers: dict[str, Callable[[Any], Any]] = {
        "text": lambda v: checks.text(v, field="text", what="the recommendation"),
        "owner_organisation_ids": lambda v: _owners(session, review, v),
        "priority": lambda v: checks.choice(v, PRIORITIES, field="priority"),
        # A target already set may lie in the past by now; only a new date has to be in the future.
        "target_date": lambda v: v if v == rec.target_date else checks.not_past(v, field="target_date"),
        "domain_key": lambda v: checks.domain(fw, v),
    }
    for name, value in checks.Checks().each(checkers, changes).items():
        setattr(rec, name, value)
    if changes.get("number") is not None:
        moved = checks.place(list_recommendations(session, review=review), rec, changes["number"])
        checks.renumber(session, ctx, moved, attr="number", entity=ENTITY, moved=rec)
    checks.record_edit(session, ctx, write=Write.findings, entity=ENTITY, row=rec, before=before)
    return rec


def delete_recommendation(session: Session, *, ctx: WriteContext, recommendation_id: int) -> None:
    """Remove a recommendation; those after it move up a number."""
    review = checks.review_for_numbering(session, ctx)
    rec = get_recommendation(session, review=review, recommendation_id=recommendation_id)
    linked = session.exec(select(ActionItem.id).where(ActionItem.recommendation_id == rec.id)).first()
    if linked is not None:
        raise Conflict(
            f"recommendation {rec.number} has actions in the action plan; remove or unlink them first",
            field="recommendation_id",
        )
    rest = [r for r in list_recommendations(session, review=review) if r is not rec]
    checks.remove_numbered(session, ctx, rec, rest, attr="number", entity=ENTITY)


def present_recommendations(
    session: Session, *, review: Review, recommendations: Sequence[Recommendation]
) -> list[RecommendationPublic]:
    """Recommendations with owner organisations and domain names (two queries)."""
    fw = review_framework(session, review)
    domains = {d.key: d.name for d in fw.domains}
    orgs = checks.organisations(session, review)
    people = checks.people(session, (r.created_by_id for r in recommendations))
    return [
        RecommendationPublic(
            id=r.id or 0,
            review_id=r.review_id,
            number=r.number,
            text=r.text,
            text_html=str(render_markdown(r.text)),
            domain_key=r.domain_key,
            domain_name=domains.get(r.domain_key, r.domain_key),
            owners=[checks.organisation_ref(orgs[o]) for o in r.owner_organisation_ids if o in orgs],
            priority=r.priority,
            target_date=r.target_date,
            created_by=checks.person(people, r.created_by_id),
            created_at=aware(r.created_at) or r.created_at,
            updated_at=aware(r.updated_at),
        )
        for r in recommendations
    ]
