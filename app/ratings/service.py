"""Ratings: the self-assessment and the review team's ratings of each line of enquiry.

Three groups judge the same lines of enquiry. System leaders rate their own
system, each from their partner organisation's view (group
`self_assessment`); reviewers and the lead rate from the evidence (group
`review_team`); the lead then moderates one final rating per line, citing
evidence (`app.ratings.moderation`). The spread between them is a finding in
itself, so the results (`app.ratings.results`) keep every group's view side by side.

Plain functions over a `Session`: no HTTP, no commits. Every write takes the write
context and is recorded through `app.reviews.changes`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from app.accounts.models import User
from app.accounts.permissions import Action, Role
from app.core.db import insert_or_twin
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.models_base import aware
from app.core.timeutil import utcnow
from app.evidence import service as evidence_service
from app.evidence.models import Evidence, EvidenceLine
from app.frameworks.schema import Domain, Framework, LineOfEnquiry, NamedItem
from app.ratings.models import ModeratedRating, Rating
from app.reviews import changes, references
from app.reviews.access import ReviewScope, WriteContext
from app.reviews.changes import Write, review_framework
from app.reviews.models import Membership, Organisation, Review
from app.scoring import EvidenceSignal, agreement

SELF_ASSESSMENT = "self_assessment"
REVIEW_TEAM = "review_team"
_GROUP_OF_ROLE = {Role.self_assessor: SELF_ASSESSMENT, Role.lead: REVIEW_TEAM, Role.reviewer: REVIEW_TEAM}

Stored = TypeVar("Stored", bound=SQLModel)


# Lookups and checks ---------------------------------------------------------------------------


def line_of(framework: Framework, ref: str) -> tuple[Domain, LineOfEnquiry]:
    """The domain and line of enquiry named by `ref`, or 404 naming the ref."""
    for domain, line in framework.lines():
        if line.ref == ref:
            return domain, line
    raise NotFound(
        f"'{ref}' is not a line of enquiry of {framework.title} (version {framework.version})", field="ref"
    )


def scale_choices(framework: Framework) -> str:
    """The scale's levels as a reader would list them: '1 (Not yet), 2 (Partly), 3 (Fully)'."""
    return ", ".join(f"{level.value} ({level.label})" for level in framework.scale.levels)


def check_value(framework: Framework, value: int, *, field_name: str = "value") -> None:
    """Refuse a rating for a narrative framework, or one that is not a level of the scale."""
    if not framework.scale.rated:
        raise Invalid(
            f"{framework.title} is a narrative framework: its lines of enquiry are described, not rated",
            field=field_name,
        )
    if value not in framework.scale.values:
        raise Invalid(
            f"{value} is not on the scale: choose one of {scale_choices(framework)}", field=field_name
        )


def rater_group(ctx: WriteContext) -> str:
    """The group the caller rates in: self-assessors for their own system, the team from evidence."""
    group = _GROUP_OF_ROLE.get(ctx.role) if ctx.role is not None else None
    if group is None:
        raise Forbidden(
            "only self-assessors, reviewers and the review lead give ratings, "
            "and your account has none of those roles in this review"
        )
    return group


def acting_user(ctx: WriteContext) -> int:
    """The account behind a rating, a moderated rating or an override: never an anonymous actor."""
    if ctx.user_id is None:
        raise Forbidden("ratings are given by signed-in members of the review")
    return ctx.user_id


def check_cited(session: Session, review: Review, ids: Iterable[str]) -> list[Evidence]:
    """The cited evidence items (the one rule lives in the evidence service)."""
    return evidence_service.live_evidence(session, review, ids)


def when_text(moment: datetime | None) -> str:
    """A time as people read it in a message: '14:05 UTC on 3 March 2025'."""
    stamp = aware(moment)
    if stamp is None:
        return "an unknown time"
    return f"{stamp:%H:%M} UTC on {stamp.day} {stamp:%B %Y}"


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of these accounts, by id, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(col(User.id).in_(wanted))).all()
    return {user_id: name for user_id, name in rows if user_id is not None}


def evidence_signal(evidence: Evidence, ref: str) -> EvidenceSignal:
    """An evidence item as the scoring engine reads it for one line."""
    return EvidenceSignal(
        evidence_id=evidence.id,
        ref=ref,
        polarity=evidence.polarity,  # type: ignore[arg-type]
        category=evidence.category,
        source_type=evidence.source_type,
    )


def save_unique(
    session: Session,
    *,
    ctx: WriteContext,
    write: Write,
    entity: str,
    model: type[Stored],
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    stamp: str,
    reason: str = "",
) -> Stored:
    """Create the one row of `model` that `key` names, or set `values` on it, and record the change.

    `stamp` names the row's time field, set on every change. Saving the same values again
    (a retry after a lost answer) changes and records nothing.
    """

    def stored() -> Stored | None:
        return session.exec(select(model).filter_by(**key)).first()

    found = stored()
    created = False
    if found is None:
        # When a concurrent request stores the row first, this save changes what it stored.
        inserted: tuple[Stored, bool] = insert_or_twin(session, model(**key, **values), stored)
        row, created = inserted
    else:
        row = found
    before = None if created else changes.snapshot(row)
    if not created:
        if all(getattr(row, name) == value for name, value in values.items()):
            return row
        for name, value in values.items():
            setattr(row, name, value)
        setattr(row, stamp, utcnow())
        session.add(row)
        session.flush()
    changes.record(
        session,
        ctx,
        write=write,
        entity=entity,
        entity_id=getattr(row, "id", None),
        action="create" if created else "update",
        before=before,
        after=changes.snapshot(row),
        reason=reason,
    )
    return row


# Ratings by one rater -----------------------------------------------------------------------


def _own_rating(session: Session, review_id: int | None, ref: str, rater_id: int | None) -> Rating | None:
    return session.exec(
        select(Rating).where(Rating.review_id == review_id, Rating.ref == ref, Rating.rater_id == rater_id)
    ).first()


def save_rating(
    session: Session,
    *,
    ctx: WriteContext,
    ref: str,
    value: int,
    rationale: str = "",
    cited_evidence: Sequence[str] = (),
    reason: str = "",
) -> Rating:
    """Store the caller's own rating of one line, creating or replacing it.

    A self-assessor rates in the self-assessment group, tied to their partner
    organisation (the context's), until the lead closes the self-assessment (then 409);
    the rationale is optional and no review evidence is cited. A reviewer or the
    lead rates in the review-team group and must give a rationale and cite at
    least one live evidence item of this review.
    """
    review = ctx.review
    changes.check_accepts(review, Write.rating)
    group = rater_group(ctx)
    rater_id = acting_user(ctx)
    framework = review_framework(session, review)
    line_of(framework, ref)
    if group == SELF_ASSESSMENT and review.self_assessment_closed:
        raise Conflict("the review lead has closed the self-assessment, so its ratings can no longer change")
    check_value(framework, value)
    rationale = rationale.strip()
    if group == SELF_ASSESSMENT:
        if any(i.strip() for i in cited_evidence):
            raise Invalid(
                "self-assessment ratings do not cite the review team's evidence: "
                "explain your rating in the rationale instead",
                field="cited_evidence",
            )
        cited: list[str] = []
        organisation_id = ctx.organisation_id
    else:
        if not rationale:
            raise Invalid(
                "give the reasons for your rating: a review team rating needs a rationale", field="rationale"
            )
        if not any(i.strip() for i in cited_evidence):
            raise Invalid(
                "cite at least one piece of evidence for a review team rating", field="cited_evidence"
            )
        cited = [row.id for row in check_cited(session, review, cited_evidence)]
        organisation_id = None
    return save_unique(
        session,
        ctx=ctx,
        write=Write.rating,
        entity="rating",
        model=Rating,
        key={"review_id": review.id, "ref": ref, "rater_id": rater_id},
        values={
            "group": group,
            "organisation_id": organisation_id,
            "value": value,
            "rationale": rationale,
            "cited_evidence": cited,
        },
        stamp="updated_at",
        reason=reason,
    )


def own_rating(session: Session, *, scope: ReviewScope, ref: str) -> Rating | None:
    """The caller's own rating of one line, if they have given one."""
    return _own_rating(session, scope.review.id, ref, scope.user_id)


def own_ratings(session: Session, *, scope: ReviewScope) -> list[Rating]:
    """The caller's own ratings in this review, in framework order."""
    framework = review_framework(session, scope.review)
    order = {ref: index for index, ref in enumerate(framework.refs())}
    rows = session.exec(
        select(Rating).where(Rating.review_id == scope.review.id, Rating.rater_id == scope.user_id)
    ).all()
    return sorted(rows, key=lambda r: order.get(r.ref, len(order)))


# Everyone's ratings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RaterRating:
    """A rating with who gave it and, for a self-assessment, the organisation they rated for."""

    rating: Rating
    rater_name: str
    organisation_name: str | None
    organisation_type: str | None


def ratings_with_raters(session: Session, *, review: Review, ref: str | None = None) -> list[RaterRating]:
    """Every rating in the review (or of one line), with names and organisations, in one query.

    For the review team only: self-assessors see the anonymous spread, never this.
    """
    query = (
        select(Rating, User.display_name, Organisation.name, Organisation.org_type)
        .join(User, col(User.id) == Rating.rater_id)
        .join(Organisation, col(Organisation.id) == Rating.organisation_id, isouter=True)
        .where(Rating.review_id == review.id)
    )
    if ref is not None:
        query = query.where(Rating.ref == ref)
    framework = review_framework(session, review)
    order = {r: index for index, r in enumerate(framework.refs())}
    rows = [
        RaterRating(rating, name, org_name, org_type)
        for rating, name, org_name, org_type in session.exec(query)
    ]
    # Framework order, then self-assessment before review team, then by name: stable for readers.
    return sorted(
        rows,
        key=lambda r: (order.get(r.rating.ref, len(order)), r.rating.group != SELF_ASSESSMENT, r.rater_name),
    )


@dataclass(frozen=True)
class LevelCount:
    value: int
    label: str
    count: int


@dataclass(frozen=True)
class LineSpread:
    """The anonymous spread of self-assessment ratings for one line: counts, median, flag."""

    ref: str
    domain_key: str
    question: str
    counts: list[LevelCount]
    n: int
    median: float | None
    flag: str
    rule: str


def _level_counts(framework: Framework, values: Sequence[int]) -> list[LevelCount]:
    counted = Counter(values)
    return [
        LevelCount(level.value, level.label, counted.get(level.value, 0)) for level in framework.scale.levels
    ]


def self_assessment_spread(session: Session, *, scope: ReviewScope) -> list[LineSpread]:
    """How all self-assessors rated each line, with no names and no organisations.

    The review team (read_ratings) may always see it. A self-assessor sees it only once
    the lead has closed the self-assessment, so no one's answer is swayed by the others'.
    """
    review = scope.review
    if not scope.can(Action.read_ratings) and not (
        scope.role is Role.self_assessor and review.self_assessment_closed
    ):
        # 409, not 403: the self-assessor may see it, just not yet (the review's state decides).
        raise Conflict("the spread of everyone's self-assessment is shown once the review lead closes it")
    framework = review_framework(session, review)
    values: dict[str, list[int]] = defaultdict(list)
    for ref, value in session.exec(
        select(Rating.ref, Rating.value).where(Rating.review_id == review.id, Rating.group == SELF_ASSESSMENT)
    ):
        values[ref].append(value)
    spread = []
    for domain, line in framework.lines():
        own = values.get(line.ref, [])
        result = agreement(own, framework.agreement, noun="self-assessment rating")
        spread.append(
            LineSpread(
                ref=line.ref,
                domain_key=domain.key,
                question=line.question,
                counts=_level_counts(framework, own),
                n=result.n,
                median=result.median,
                flag=result.flag,
                rule=result.rule,
            )
        )
    return spread


@dataclass(frozen=True)
class SelfAssessorProgress:
    """How far one self-assessor has got, for the lead to see who still needs to finish."""

    user_id: int
    name: str
    organisation_name: str | None
    rated: int
    total: int


def self_assessor_progress(session: Session, *, review: Review) -> list[SelfAssessorProgress]:
    """Every self-assessor of the review with the number of lines they have rated."""
    framework = review_framework(session, review)
    refs = set(framework.refs())
    rated: dict[int, int] = Counter(
        rater_id
        for rater_id, ref in session.exec(
            select(Rating.rater_id, Rating.ref).where(
                Rating.review_id == review.id, Rating.group == SELF_ASSESSMENT
            )
        )
        if ref in refs
    )
    rows = session.exec(
        select(User.id, User.display_name, Organisation.name)
        .join(Membership, col(Membership.user_id) == User.id)
        .join(Organisation, col(Organisation.id) == Membership.organisation_id, isouter=True)
        .where(Membership.review_id == review.id, Membership.role == Role.self_assessor.value)
        .order_by(Organisation.name, User.display_name)
    ).all()
    return [
        SelfAssessorProgress(user_id, name, org_name, rated.get(user_id, 0), len(refs))
        for user_id, name, org_name in rows
        if user_id is not None
    ]


def set_self_assessment_closed(
    session: Session, *, ctx: WriteContext, closed: bool, reason: str = ""
) -> Review:
    """Close the self-assessment (its ratings freeze and self-assessors see the spread) or reopen it."""
    review = ctx.review
    changes.check_accepts(review, Write.setup)
    if review.self_assessment_closed == closed:
        return review  # already so: nothing changes, so nothing to record
    before = {"self_assessment_closed": review.self_assessment_closed}
    review.self_assessment_closed = closed
    session.add(review)
    changes.record(
        session,
        ctx,
        write=Write.setup,
        entity="review",
        entity_id=review.id,
        action="update",
        before=before,
        after={"self_assessment_closed": closed},
        reason=reason,
    )
    return review


# The evidence a rater can cite ------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceItem:
    """An evidence item as the rating and moderation pages list it."""

    id: str
    title: str
    narrative: str
    polarity: str
    category: str
    category_name: str
    source_type: str
    source_type_name: str
    collected_on: str
    linked: bool
    cited: bool


def _named(items: Sequence[NamedItem], key: str) -> str:
    """The name the framework gives a category or source type; an unknown key stands for itself."""
    return next((item.name for item in items if item.key == key), key)


def evidence_for_line(
    session: Session, *, review: Review, framework: Framework, ref: str, cited: Sequence[str] = ()
) -> list[EvidenceItem]:
    """Live evidence linked to the line, plus any in `cited` that is not linked to it, newest first."""
    cited_ids = list(cited)
    rows = session.exec(
        select(Evidence, EvidenceLine.ref)
        .join(
            EvidenceLine,
            (col(EvidenceLine.evidence_id) == Evidence.id) & (col(EvidenceLine.ref) == ref),
            isouter=True,
        )
        .where(
            Evidence.review_id == review.id,
            col(Evidence.deleted_at).is_(None),
            (col(EvidenceLine.ref) == ref) | col(Evidence.id).in_(cited_ids or [""]),
        )
        .order_by(col(Evidence.collected_on).desc(), col(Evidence.title))
    ).all()
    return [
        EvidenceItem(
            id=evidence.id,
            title=evidence.title,
            narrative=evidence.narrative,
            polarity=evidence.polarity,
            category=evidence.category,
            category_name=_named(framework.evidence_categories, evidence.category),
            source_type=evidence.source_type,
            source_type_name=_named(framework.source_types, evidence.source_type),
            collected_on=evidence.collected_on.isoformat(),
            linked=linked_ref is not None,
            cited=evidence.id in cited_ids,
        )
        for evidence, linked_ref in rows
    ]


# What refers to a review's partners and framework, counted for the reviews package.
references.register_organisation_counter(
    "ratings", lambda s, review, org_id: references.count(s, Rating, Rating.organisation_id == org_id)
)
references.register_content_counter(
    "ratings",
    lambda s, review: sum(
        references.count(s, m, m.review_id == review.id) for m in (Rating, ModeratedRating)
    ),
)
