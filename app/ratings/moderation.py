"""Moderation: the lead's one final rating per line, and overrides of computed results.

The lead weighs every rating of a line, the evidence linked to it and the engine's hint,
then sets the moderated rating, citing evidence. Two leads may moderate the same line at
once, so a moderated rating carries a version and a change must name the version it read.
An override records the lead's judgement that a domain or the overall result should be a
level other than the computed one, which stays beside it.

Plain functions over a `Session`: no HTTP, no commits. Every write takes the write context
and is recorded through `app.reviews.changes` as a moderation write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from app.core.db import insert_or_twin
from app.core.errors import Conflict, Invalid, NotFound
from app.core.models_base import aware
from app.core.timeutil import utcnow
from app.frameworks.schema import Domain, Framework, LineOfEnquiry
from app.ratings.models import ModeratedRating, ResultOverride
from app.ratings.results import scoring_inputs
from app.ratings.schemas import OverridePublic
from app.ratings.service import (
    EvidenceItem,
    RaterRating,
    acting_user,
    check_cited,
    check_value,
    evidence_for_line,
    evidence_signal,
    line_of,
    ratings_with_raters,
    save_unique,
    user_names,
    when_text,
)
from app.reviews import changes
from app.reviews.access import WriteContext
from app.reviews.changes import Write, review_framework
from app.reviews.models import Review
from app.scoring import AgreementResult, EvidenceSignal, LineScore, Readiness, level_label, readiness

RESULT_SCOPES = ("domain", "overall")
MIN_JUSTIFICATION = 20


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
    session: Session, review_id: int | None, ref: str, *, lock: bool = False
) -> ModeratedRating | None:
    query = select(ModeratedRating).where(ModeratedRating.review_id == review_id, ModeratedRating.ref == ref)
    if lock:
        # PostgreSQL: a second writer waits here, then sees the first one's version.
        query = query.with_for_update()
    return session.exec(query).first()


def _moderated_state(session: Session, framework: Framework, row: ModeratedRating) -> ModeratedState:
    names = user_names(session, [row.updated_by_id])
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


def moderation_view(session: Session, *, review: Review, ref: str) -> ModerationView:
    """The line, every rating and its spread, the self-assessment gap, the evidence linked to the
    line (and any cited from elsewhere), the evidence-based hint, readiness and the current
    moderated rating with its version."""
    framework = review_framework(session, review)
    domain, line = line_of(framework, ref)
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
    return ModerationView(
        domain=domain,
        line=line,
        framework=framework,
        ratings=ratings_with_raters(session, review=review, ref=ref),
        score=score,
        evidence=items,
        readiness=judged,
        readiness_of=readiness_of,
        moderated=_moderated_state(session, framework, row) if row else None,
        previous_ref=refs[position - 1] if position > 0 else None,
        next_ref=refs[position + 1] if position + 1 < len(refs) else None,
    )


def current_moderated(session: Session, *, review: Review, ref: str) -> ModeratedState | None:
    """The stored moderated rating of a line, or None."""
    framework = review_framework(session, review)
    line_of(framework, ref)
    row = _moderated_row(session, review.id, ref)
    return _moderated_state(session, framework, row) if row is not None else None


def _stale(session: Session, framework: Framework, row: ModeratedRating) -> Conflict:
    state = _moderated_state(session, framework, row)
    return Conflict(
        f"{row.ref} was changed by {state.updated_by} at {when_text(state.updated_at)} since you loaded it: "
        f"it is now {state.value} ({state.label}), version {state.version}. "
        "Check their rating, then save yours again if it should replace it",
        field="version",
    )


def _check_version(
    session: Session, framework: Framework, row: ModeratedRating | None, expected_version: int | None
) -> None:
    """Refuse a change made from a version other than the stored one (409 naming who and when)."""
    if row is None and expected_version not in (None, 0):
        raise Conflict(
            f"the moderated rating you loaded (version {expected_version}) is no longer stored: "
            "reload the line",
            field="version",
        )
    if row is not None and expected_version is None:
        state = _moderated_state(session, framework, row)
        raise Conflict(
            f"this line already has a moderated rating (version {row.version}, by "
            f"{state.updated_by} at {when_text(state.updated_at)}): "
            "send the version you read to change it",
            field="version",
        )
    if row is not None and expected_version != row.version:
        raise _stale(session, framework, row)


@dataclass(frozen=True)
class ModerationOutcome:
    """A saved moderated rating, with warnings that do not stop the save."""

    moderated: ModeratedState
    warnings: list[str] = field(default_factory=list)
    created: bool = False


def moderate(
    session: Session,
    *,
    ctx: WriteContext,
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
    review = ctx.review
    changes.check_accepts(review, Write.moderation)
    moderator_id = acting_user(ctx)
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

    review_id = review.id
    assert review_id is not None

    def stored() -> ModeratedRating | None:
        return _moderated_row(session, review_id, ref)

    row = _moderated_row(session, review_id, ref, lock=True)
    _check_version(session, framework, row, expected_version)
    ids = [evidence.id for evidence in cited]
    before = changes.snapshot(row) if row is not None else None
    if row is None:
        new = ModeratedRating(
            review_id=review_id,
            ref=ref,
            value=value,
            rationale=rationale,
            cited_evidence=ids,
            version=1,
            updated_by_id=moderator_id,
        )
        inserted: tuple[ModeratedRating, bool] = insert_or_twin(session, new, stored)
        row, created = inserted
        if not created:
            # Another lead created it between our read and our write.
            raise _stale(session, framework, row)
    else:
        row.value = value
        row.rationale = rationale
        row.cited_evidence = ids
        row.version += 1
        row.updated_by_id = moderator_id
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
    changes.record(
        session,
        ctx,
        write=Write.moderation,
        entity="moderated_rating",
        entity_id=row.id,
        action="create" if before is None else "update",
        before=before,
        after=changes.snapshot(row),
        reason=reason,
    )
    judged = readiness(framework, [evidence_signal(evidence, ref) for evidence in cited])
    return ModerationOutcome(
        moderated=_moderated_state(session, framework, row),
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


def set_override(
    session: Session,
    *,
    ctx: WriteContext,
    result_scope: str,
    domain_key: str = "",
    level: int,
    justification: str,
    reason: str = "",
) -> ResultOverride:
    """Record the lead's judgement that a domain or the overall result should be `level`.

    The computed result is kept and shown beside it. Needs a written justification.
    """
    review = ctx.review
    changes.check_accepts(review, Write.moderation)
    lead_id = acting_user(ctx)
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
    return save_unique(
        session,
        ctx=ctx,
        write=Write.moderation,
        entity="result_override",
        model=ResultOverride,
        key={"review_id": review.id, "scope": result_scope, "domain_key": key},
        values={"level": level, "justification": justification, "created_by_id": lead_id},
        stamp="created_at",
        reason=reason,
    )


def delete_override(
    session: Session, *, ctx: WriteContext, result_scope: str, domain_key: str = "", reason: str = ""
) -> None:
    """Remove an override, so the computed result stands again."""
    review = ctx.review
    changes.check_accepts(review, Write.moderation)
    framework = review_framework(session, review)
    key = _override_target(framework, result_scope, domain_key.strip())
    row = session.exec(
        select(ResultOverride).where(
            ResultOverride.review_id == review.id,
            ResultOverride.scope == result_scope,
            ResultOverride.domain_key == key,
        )
    ).first()
    if row is None:
        target = "the overall result" if result_scope == "overall" else f"domain '{key}'"
        raise NotFound(f"there is no override of {target} to remove")
    before = changes.snapshot(row)
    session.delete(row)
    session.flush()
    changes.record(
        session,
        ctx,
        write=Write.moderation,
        entity="result_override",
        entity_id=before["id"],
        action="delete",
        before=before,
        reason=reason,
    )


def list_overrides(session: Session, *, review: Review) -> list[OverridePublic]:
    """The review's overrides with who made each (for the results page and the API), overall
    first, then domains in framework order."""
    framework = review_framework(session, review)
    rows = session.exec(select(ResultOverride).where(ResultOverride.review_id == review.id)).all()
    names = user_names(session, [row.created_by_id for row in rows])
    order = {domain.key: index for index, domain in enumerate(framework.domains)}
    domain_names = {domain.key: domain.name for domain in framework.domains}
    states = [
        OverridePublic(
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
