"""Ratings: self-assessment, review-team ratings, moderation, overrides and results.

Three groups judge the same lines of enquiry. System leaders rate their own
system, each from their partner organisation's view (group
`self_assessment`); reviewers and the lead rate from the evidence (group
`review_team`); the lead then moderates one final rating per line, citing
evidence. The spread between them is a finding in itself, so the results
keep every group's view side by side.

Plain functions over a `Session`: no HTTP, no commits. Every write is audited
and marks the review's content as changed.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.permissions import Action, Role
from app.core import audit
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.models_base import aware
from app.core.timeutil import utcnow
from app.evidence import service as evidence_service
from app.evidence.models import Evidence, EvidenceLine
from app.frameworks.schema import Domain, Framework, LineOfEnquiry, NamedItem
from app.ratings.models import ModeratedRating, Rating, ResultOverride
from app.reviews import references
from app.reviews.access import ReviewScope
from app.reviews.changes import review_framework, touch
from app.reviews.models import Membership, Organisation, Review
from app.scoring import (
    AgreementResult,
    EvidenceSignal,
    LineScore,
    RatingInput,
    Readiness,
    ReviewScores,
    agreement,
    level_label,
    readiness,
    score_review,
)
from app.scoring import ResultOverride as OverrideInput

SELF_ASSESSMENT = "self_assessment"
REVIEW_TEAM = "review_team"
_GROUP_OF_ROLE = {Role.self_assessor: SELF_ASSESSMENT, Role.lead: REVIEW_TEAM, Role.reviewer: REVIEW_TEAM}
RESULT_SCOPES = ("domain", "overall")
MIN_JUSTIFICATION = 20


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


def rater_group(scope: ReviewScope) -> str:
    """The group the caller rates in: self-assessors for their own system, the team from evidence."""
    group = _GROUP_OF_ROLE.get(scope.role) if scope.role is not None else None
    if group is None:
        raise Forbidden(
            "only self-assessors, reviewers and the review lead give ratings, "
            "and your account has none of those roles in this review"
        )
    return group


def check_cited(session: Session, review: Review, ids: Iterable[str]) -> list[Evidence]:
    """The cited evidence items (the one rule lives in the evidence service)."""
    return evidence_service.live_evidence(session, review, ids)


def when_text(moment: datetime | None) -> str:
    """A time as people read it in a message: '14:05 UTC on 3 March 2025'."""
    stamp = aware(moment)
    if stamp is None:
        return "an unknown time"
    return f"{stamp:%H:%M} UTC on {stamp.day} {stamp:%B %Y}"


def _user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(col(User.id).in_(wanted))).all()
    return {user_id: name for user_id, name in rows}


def _signal(evidence: Evidence, ref: str) -> EvidenceSignal:
    return EvidenceSignal(
        evidence_id=evidence.id,
        ref=ref,
        polarity=evidence.polarity,  # type: ignore[arg-type]
        category=evidence.category,
        source_type=evidence.source_type,
    )


def _insert(session: Session, row: Rating | ModeratedRating | ResultOverride) -> bool:
    """Insert a row inside a savepoint; False when a concurrent request inserted its twin first.

    Two saves of the same thing can cross on a slow network (a double tap, a retry).
    Under PostgreSQL the second insert then breaks the unique constraint; rolling back
    to the savepoint keeps the rest of the unit of work so the caller can re-read.
    """
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


# Ratings by one rater -----------------------------------------------------------------------


def _own_rating(session: Session, review_id: int, ref: str, rater_id: int) -> Rating | None:
    return session.exec(
        select(Rating).where(Rating.review_id == review_id, Rating.ref == ref, Rating.rater_id == rater_id)
    ).first()


def save_rating(
    session: Session,
    *,
    scope: ReviewScope,
    ref: str,
    value: int,
    rationale: str = "",
    cited_evidence: Sequence[str] = (),
    reason: str = "",
) -> Rating:
    """Store the caller's own rating of one line, creating or replacing it.

    A self-assessor rates in the self-assessment group, tied to their partner
    organisation, until the lead closes the self-assessment (then 409); the
    rationale is optional and no review evidence is cited. A reviewer or the
    lead rates in the review-team group and must give a rationale and cite at
    least one live evidence item of this review.
    """
    review = scope.review
    group = rater_group(scope)
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
        organisation_id = scope.membership.organisation_id if scope.membership else None
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

    assert review.id is not None and scope.user.id is not None
    rating = _own_rating(session, review.id, ref, scope.user.id)
    before = audit.snapshot(rating) if rating is not None else None
    if rating is None:
        rating = Rating(
            review_id=review.id,
            ref=ref,
            rater_id=scope.user.id,
            group=group,
            organisation_id=organisation_id,
            value=value,
            rationale=rationale,
            cited_evidence=cited,
        )
        if not _insert(session, rating):
            rating = _own_rating(session, review.id, ref, scope.user.id)
            assert rating is not None
            before = audit.snapshot(rating)
    if before is not None:
        unchanged = (
            rating.group,
            rating.organisation_id,
            rating.value,
            rating.rationale,
            rating.cited_evidence,
        )
        if unchanged == (group, organisation_id, value, rationale, cited):
            return rating  # a repeated save (a retry after a lost answer): nothing to record
        rating.group = group
        rating.organisation_id = organisation_id
        rating.value = value
        rating.rationale = rationale
        rating.cited_evidence = cited
        rating.updated_at = utcnow()
        session.add(rating)
        session.flush()
    audit.record(
        session,
        user_id=scope.user.id,
        review_id=review.id,
        entity="rating",
        entity_id=rating.id,
        action="create" if before is None else "update",
        before=before,
        after=audit.snapshot(rating),
        reason=reason,
    )
    touch(session, review)
    return rating


def own_rating(session: Session, *, scope: ReviewScope, ref: str) -> Rating | None:
    """The caller's own rating of one line, if they have given one."""
    assert scope.review.id is not None and scope.user.id is not None
    return _own_rating(session, scope.review.id, ref, scope.user.id)


def own_ratings(session: Session, *, scope: ReviewScope) -> list[Rating]:
    """The caller's own ratings in this review, in framework order."""
    framework = review_framework(session, scope.review)
    order = {ref: index for index, ref in enumerate(framework.refs())}
    rows = session.exec(
        select(Rating).where(Rating.review_id == scope.review.id, Rating.rater_id == scope.user.id)
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
    ]


def set_self_assessment_closed(
    session: Session, *, scope: ReviewScope, closed: bool, reason: str = ""
) -> Review:
    """Close the self-assessment (its ratings freeze and self-assessors see the spread) or reopen it."""
    review = scope.review
    if review.self_assessment_closed == closed:
        return review  # already so: nothing changes, so nothing to record
    before = {"self_assessment_closed": review.self_assessment_closed}
    review.self_assessment_closed = closed
    session.add(review)
    audit.record(
        session,
        user_id=scope.user.id,
        review_id=review.id,
        entity="review",
        entity_id=review.id,
        action="update",
        before=before,
        after={"self_assessment_closed": closed},
        reason=reason,
    )
    touch(session, review)
    return review


# What the engine needs -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringInputs:
    """Everything the scoring engine needs about one review, as its plain dataclasses."""

    framework: Framework
    ratings: list[RatingInput]
    moderated: dict[str, int]
    cited: dict[str, list[str]]
    evidence: list[EvidenceSignal]
    overrides: list[OverrideInput]

    def score(self) -> ReviewScores:
        """Run the engine. Readiness per line then looks at all evidence linked to the line
        (what could be cited), which is what a reader of the whole grid needs; the moderation
        view judges the evidence actually cited."""
        return score_review(
            self.framework,
            ratings=self.ratings,
            moderated=self.moderated,
            evidence=self.evidence,
            overrides=self.overrides,
        )


def scoring_inputs(session: Session, review: Review, framework: Framework | None = None) -> ScoringInputs:
    """Gather the review's ratings, moderated ratings, evidence signals and overrides for the
    scoring engine, in a constant number of queries (four, plus the framework lookup) whatever
    the size of the review.

    Shared by the results pages and API here and by the report, so every place that shows
    a number computes it from the same inputs. `cited` maps each moderated line to the
    evidence ids its moderated rating cites.
    """
    framework = framework or review_framework(session, review)
    refs = set(framework.refs())
    ratings = [
        RatingInput(
            ref=rating.ref, value=rating.value, rater_id=rating.rater_id, group=rating.group, org_type=org
        )  # type: ignore[arg-type]
        for rating, org in session.exec(
            select(Rating, Organisation.org_type)
            .join(Organisation, col(Organisation.id) == Rating.organisation_id, isouter=True)
            .where(Rating.review_id == review.id)
            .order_by(col(Rating.id))
        )
        if rating.ref in refs
    ]
    moderated_rows = session.exec(select(ModeratedRating).where(ModeratedRating.review_id == review.id)).all()
    signals = [
        _signal(evidence, ref)
        for evidence, ref in session.exec(
            select(Evidence, EvidenceLine.ref)
            .join(EvidenceLine, col(EvidenceLine.evidence_id) == Evidence.id)
            .where(Evidence.review_id == review.id, col(Evidence.deleted_at).is_(None))
            .order_by(col(Evidence.id), col(EvidenceLine.ref))
        )
        # A link to a ref outside the pinned framework cannot be scored; leave it out
        # rather than fail every results page.
        if ref in refs
    ]
    overrides = [
        OverrideInput(
            scope=row.scope,  # type: ignore[arg-type]
            domain_key=row.domain_key or None,
            level=row.level,
            justification=row.justification,
        )
        for row in session.exec(select(ResultOverride).where(ResultOverride.review_id == review.id))
    ]
    return ScoringInputs(
        framework=framework,
        ratings=ratings,
        moderated={row.ref: row.value for row in moderated_rows if row.ref in refs},
        cited={row.ref: list(row.cited_evidence) for row in moderated_rows if row.ref in refs},
        evidence=signals,
        overrides=overrides,
    )


def review_scores(session: Session, review: Review) -> ReviewScores:
    """The engine's results for the review: lines, domains, overall, each with its rule."""
    return scoring_inputs(session, review).score()


# Moderation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceItem:
    """An evidence item as the moderation page lists it."""

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


@dataclass(frozen=True)
class ModeratedState:
    """The stored moderated rating of a line, with who last changed it."""

    value: int
    label: str
    rationale: str
    cited_evidence: list[str]
    version: int
    updated_by_id: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class ModerationView:
    """Everything the lead weighs to moderate one line."""

    domain: Domain
    line: LineOfEnquiry
    framework: Framework
    ratings: list[RaterRating]
    score: LineScore
    evidence: list[EvidenceItem]
    readiness: Readiness
    readiness_of: str  # "cited": the stored rating's citations; "linked": what could be cited
    moderated: ModeratedState | None
    previous_ref: str | None
    next_ref: str | None

    @property
    def version(self) -> int:
        return self.moderated.version if self.moderated else 0

    @property
    def self_assessment(self) -> AgreementResult:
        return self.score.self_assessment

    @property
    def review_team(self) -> AgreementResult:
        return self.score.review_team


def _moderated_row(
    session: Session, review_id: int, ref: str, *, lock: bool = False
) -> ModeratedRating | None:
    query = select(ModeratedRating).where(ModeratedRating.review_id == review_id, ModeratedRating.ref == ref)
    if lock:
        # PostgreSQL: a second writer waits here, then sees the first one's version.
        query = query.with_for_update()
    return session.exec(query).first()


def _moderated_state(framework: Framework, row: ModeratedRating, names: dict[int, str]) -> ModeratedState:
    return ModeratedState(
        value=row.value,
        label=framework.scale.label(row.value),
        rationale=row.rationale,
        cited_evidence=list(row.cited_evidence),
        version=row.version,
        updated_by_id=row.updated_by_id,
        updated_by=names.get(row.updated_by_id, "someone"),
        updated_at=aware(row.updated_at) or row.updated_at,
    )


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


def moderation_view(session: Session, *, review: Review, ref: str) -> ModerationView:
    """The line, every rating and its spread, the self-assessment gap, the evidence linked to the
    line (and any cited from elsewhere), the evidence-based hint, readiness and the current
    moderated rating with its version."""
    framework = review_framework(session, review)
    domain, line = line_of(framework, ref)
    assert review.id is not None
    score = scoring_inputs(session, review, framework).score().line(ref)
    row = _moderated_row(session, review.id, ref)
    items = evidence_for_line(
        session, review=review, framework=framework, ref=ref, cited=row.cited_evidence if row else ()
    )
    if row is not None:
        # Judge what the stored rating actually cites, in the order it cites it.
        by_id = {item.id: item for item in items}
        judged = readiness(
            framework,
            [
                EvidenceSignal(i, ref, by_id[i].polarity, by_id[i].category, by_id[i].source_type)  # type: ignore[arg-type]
                for i in row.cited_evidence
                if i in by_id
            ],
        )
        readiness_of = "cited"
    else:
        judged = score.readiness
        readiness_of = "linked"
    refs = framework.refs()
    position = refs.index(ref)
    names = _user_names(session, [row.updated_by_id] if row else [])
    return ModerationView(
        domain=domain,
        line=line,
        framework=framework,
        ratings=ratings_with_raters(session, review=review, ref=ref),
        score=score,
        evidence=items,
        readiness=judged,
        readiness_of=readiness_of,
        moderated=_moderated_state(framework, row, names) if row else None,
        previous_ref=refs[position - 1] if position > 0 else None,
        next_ref=refs[position + 1] if position + 1 < len(refs) else None,
    )


def current_moderated(session: Session, *, review: Review, ref: str) -> ModeratedState | None:
    """The stored moderated rating of a line, or None."""
    framework = review_framework(session, review)
    line_of(framework, ref)
    assert review.id is not None
    row = _moderated_row(session, review.id, ref)
    if row is None:
        return None
    return _moderated_state(framework, row, _user_names(session, [row.updated_by_id]))


def _stale(framework: Framework, row: ModeratedRating, names: dict[int, str]) -> Conflict:
    state = _moderated_state(framework, row, names)
    return Conflict(
        f"{row.ref} was changed by {state.updated_by} at {when_text(state.updated_at)} since you loaded it: "
        f"it is now {state.value} ({state.label}), version {state.version}. "
        "Check their rating, then save yours again if it should replace it",
        field="version",
    )


@dataclass(frozen=True)
class ModerationOutcome:
    """A saved moderated rating, with warnings that do not stop the save."""

    moderated: ModeratedState
    warnings: list[str] = field(default_factory=list)
    created: bool = False


def moderate(
    session: Session,
    *,
    scope: ReviewScope,
    ref: str,
    value: int,
    rationale: str,
    cited_evidence: Sequence[str],
    expected_version: int | None,
    reason: str = "",
) -> ModerationOutcome:
    """Set the moderated rating of one line.

    `expected_version` is the version the lead read (0 for a line not yet moderated). A new
    moderated rating may omit it; changing one needs it, and a stale version is refused with
    409 naming who changed it and when, leaving the stored rating as it was. Cited evidence is
    required; evidence from a single category (or only context) is saved with a warning.
    """
    review = scope.review
    framework = review_framework(session, review)
    line_of(framework, ref)
    check_value(framework, value)
    rationale = rationale.strip()
    if not rationale:
        raise Invalid("give the reasons for the moderated rating", field="rationale")
    if not any(i.strip() for i in cited_evidence):
        raise Invalid("a line cannot be moderated with no cited evidence", field="cited_evidence")
    cited = check_cited(session, review, cited_evidence)
    if expected_version is not None and expected_version < 0:
        raise Invalid("must be 0 or more", field="version")

    assert review.id is not None and scope.user.id is not None
    row = _moderated_row(session, review.id, ref, lock=True)
    if row is None and expected_version not in (None, 0):
        raise Conflict(
            f"the moderated rating you loaded (version {expected_version}) is no longer stored: "
            "reload the line",
            field="version",
        )
    if row is not None and expected_version is None:
        names = _user_names(session, [row.updated_by_id])
        raise Conflict(
            f"this line already has a moderated rating (version {row.version}, by "
            f"{names.get(row.updated_by_id, 'someone')} at {when_text(row.updated_at)}): "
            "send the version you read to change it",
            field="version",
        )
    if row is not None and expected_version != row.version:
        raise _stale(framework, row, _user_names(session, [row.updated_by_id]))

    ids = [evidence.id for evidence in cited]
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = ModeratedRating(
            review_id=review.id,
            ref=ref,
            value=value,
            rationale=rationale,
            cited_evidence=ids,
            version=1,
            updated_by_id=scope.user.id,
        )
        if not _insert(session, row):
            # Another lead created it between our read and our write.
            other = _moderated_row(session, review.id, ref)
            assert other is not None
            raise _stale(framework, other, _user_names(session, [other.updated_by_id]))
    else:
        row.value = value
        row.rationale = rationale
        row.cited_evidence = ids
        row.version += 1
        row.updated_by_id = scope.user.id
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
    audit.record(
        session,
        user_id=scope.user.id,
        review_id=review.id,
        entity="moderated_rating",
        entity_id=row.id,
        action="create" if before is None else "update",
        before=before,
        after=audit.snapshot(row),
        reason=reason,
    )
    touch(session, review)
    judged = readiness(framework, [_signal(evidence, ref) for evidence in cited])
    return ModerationOutcome(
        moderated=_moderated_state(framework, row, {scope.user.id: scope.user.display_name}),
        warnings=list(judged.warnings),
        created=before is None,
    )


# Overrides -------------------------------------------------------------------------------------


def _override_target(framework: Framework, result_scope: str, domain_key: str) -> str:
    """Check what is being overridden; the stored domain key ('' for the overall result)."""
    if not framework.scale.rated:
        raise Invalid(
            f"{framework.title} is a narrative framework: it has no results to override", field="scope"
        )
    if result_scope not in RESULT_SCOPES:
        raise Invalid("must be 'domain' or 'overall'", field="scope")
    if result_scope == "overall":
        return ""
    keys = [domain.key for domain in framework.domains]
    if domain_key not in keys:
        raise Invalid(
            f"'{domain_key}' is not a domain of {framework.title}: use one of {', '.join(keys)}",
            field="domain_key",
        )
    return domain_key


def _override_row(
    session: Session, review_id: int, result_scope: str, domain_key: str
) -> ResultOverride | None:
    return session.exec(
        select(ResultOverride).where(
            ResultOverride.review_id == review_id,
            ResultOverride.scope == result_scope,
            ResultOverride.domain_key == domain_key,
        )
    ).first()


def set_override(
    session: Session,
    *,
    scope: ReviewScope,
    result_scope: str,
    domain_key: str = "",
    level: int,
    justification: str,
    reason: str = "",
) -> ResultOverride:
    """Record the lead's judgement that a domain or the overall result should be `level`.

    The computed result is kept and shown beside it. Needs a written justification.
    """
    review = scope.review
    framework = review_framework(session, review)
    key = _override_target(framework, result_scope, domain_key.strip())
    check_value(framework, level, field_name="level")
    justification = justification.strip()
    if len(justification) < MIN_JUSTIFICATION:
        raise Invalid(
            "a result can be overridden only with a written justification "
            f"(at least {MIN_JUSTIFICATION} characters)",
            field="justification",
        )
    assert review.id is not None and scope.user.id is not None
    row = _override_row(session, review.id, result_scope, key)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = ResultOverride(
            review_id=review.id,
            scope=result_scope,
            domain_key=key,
            level=level,
            justification=justification,
            created_by_id=scope.user.id,
        )
        if not _insert(session, row):
            row = _override_row(session, review.id, result_scope, key)
            assert row is not None
            before = audit.snapshot(row)
    if before is not None:
        row.level = level
        row.justification = justification
        row.created_by_id = scope.user.id
        row.created_at = utcnow()
        session.add(row)
        session.flush()
    audit.record(
        session,
        user_id=scope.user.id,
        review_id=review.id,
        entity="result_override",
        entity_id=row.id,
        action="create" if before is None else "update",
        before=before,
        after=audit.snapshot(row),
        reason=reason,
    )
    touch(session, review)
    return row


def delete_override(
    session: Session, *, scope: ReviewScope, result_scope: str, domain_key: str = "", reason: str = ""
) -> None:
    """Remove an override, so the computed result stands again."""
    review = scope.review
    framework = review_framework(session, review)
    key = _override_target(framework, result_scope, domain_key.strip())
    assert review.id is not None
    row = _override_row(session, review.id, result_scope, key)
    if row is None:
        target = "the overall result" if result_scope == "overall" else f"domain '{key}'"
        raise NotFound(f"there is no override of {target} to remove")
    before = audit.snapshot(row)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        user_id=scope.user.id,
        review_id=review.id,
        entity="result_override",
        entity_id=before["id"],
        action="delete",
        before=before,
        reason=reason,
    )
    touch(session, review)


@dataclass(frozen=True)
class OverrideState:
    """A stored override with who made it, for the results page."""

    scope: str
    domain_key: str
    target_name: str
    level: int
    label: str
    justification: str
    created_by: str
    created_at: datetime


def list_overrides(session: Session, *, review: Review) -> list[OverrideState]:
    """The review's overrides, overall first, then domains in framework order."""
    framework = review_framework(session, review)
    rows = session.exec(select(ResultOverride).where(ResultOverride.review_id == review.id)).all()
    names = _user_names(session, [row.created_by_id for row in rows])
    order = {domain.key: index for index, domain in enumerate(framework.domains)}
    domain_names = {domain.key: domain.name for domain in framework.domains}
    states = [
        OverrideState(
            scope=row.scope,
            domain_key=row.domain_key,
            target_name="Overall result"
            if row.scope == "overall"
            else domain_names.get(row.domain_key, row.domain_key),
            level=row.level,
            label=level_label(framework, row.level),
            justification=row.justification,
            created_by=names.get(row.created_by_id, "someone"),
            created_at=aware(row.created_at) or row.created_at,
        )
        for row in rows
    ]
    return sorted(states, key=lambda s: (s.scope != "overall", order.get(s.domain_key, len(order))))


# Pictures of the results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """Self-assessment against moderated ratings along a set of axes, for a radar chart."""

    axis_kind: str  # "domain" or "line"
    axes: list[str]
    self_assessment: list[float | None]
    moderated: list[float | None]


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def rating_profile(framework: Framework, scores: ReviewScores) -> Profile | None:
    """Per domain: the mean of its lines' self-assessment medians and the mean of its moderated
    ratings. A framework with fewer than 3 (or more than 12) domains is drawn per line when it
    has 3 to 12 lines; otherwise there is no chart (None)."""
    if not framework.scale.rated:
        return None
    if 3 <= len(framework.domains) <= 12:
        by_domain: dict[str, list[LineScore]] = defaultdict(list)
        for line in scores.lines:
            by_domain[line.domain_key].append(line)
        return Profile(
            axis_kind="domain",
            axes=[domain.name for domain in framework.domains],
            self_assessment=[
                _mean(
                    [
                        s.self_assessment.median
                        for s in by_domain[d.key]
                        if s.self_assessment.median is not None
                    ]
                )
                for d in framework.domains
            ],
            moderated=[
                _mean([float(s.moderated) for s in by_domain[d.key] if s.moderated is not None])
                for d in framework.domains
            ],
        )
    if 3 <= len(scores.lines) <= 12:
        return Profile(
            axis_kind="line",
            axes=[line.ref for line in scores.lines],
            self_assessment=[line.self_assessment.median for line in scores.lines],
            moderated=[None if line.moderated is None else float(line.moderated) for line in scores.lines],
        )
    return None


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
