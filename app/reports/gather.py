"""Load everything one report needs, in a fixed number of queries, into a `ReportSnapshot`.

The query count does not grow with the size of the review: one query per kind
of row, joined where a row needs a name from another table. The scoring inputs
come from `ratings.results.scoring_inputs`, the one place that decides which
ratings and evidence links the engine sees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.permissions import Role
from app.core.models_base import aware
from app.dataprofile.models import IndicatorValue
from app.evidence.models import Evidence, EvidenceLine, EvidenceOrganisation, EvidenceStage
from app.findings.models import ActionItem, ActionNote, Finding, Recommendation
from app.frameworks.schema import Framework
from app.ratings.models import ModeratedRating
from app.ratings.results import scoring_inputs
from app.reports.snapshot import (
    ActionInfo,
    EvidenceItem,
    FindingItem,
    IndicatorFigure,
    ModeratedLine,
    PartnerInfo,
    RecommendationItem,
    ReportSnapshot,
    ReviewInfo,
    TeamMember,
)
from app.reviews.changes import review_framework
from app.reviews.models import Membership, Organisation, Review

# Self-assessors are system leaders of the partners, not members of the review team.
TEAM_ROLES = (Role.lead, Role.reviewer, Role.report_writer, Role.observer)


S = TypeVar("S")


def _copied(kind: type[S], row: object, **given: Any) -> S:
    """A snapshot record of `kind` from a stored row: each field not `given` is the row's attribute
    of the same name, as the snapshot mirrors the tables it reads."""
    names = [f.name for f in fields(kind) if f.name not in given]  # type: ignore[arg-type]
    return kind(**{name: getattr(row, name) for name in names}, **given)


def gather_snapshot(session: Session, review: Review, framework: Framework | None = None) -> ReportSnapshot:
    """Everything the report of `review` shows, as plain data."""
    framework = framework or review_framework(session, review)
    inputs = scoring_inputs(session, review, framework)
    return ReportSnapshot(
        framework=framework,
        review=_review_info(review),
        partners=_partners(session, review),
        team=_team(session, review),
        evidence=_evidence(session, review),
        ratings=tuple(inputs.ratings),
        signals=tuple(inputs.evidence),
        moderated=_moderated(session, review, set(inputs.moderated)),
        overrides=tuple(inputs.overrides),
        findings=_findings(session, review),
        recommendations=_recommendations(session, review),
        actions=_actions(session, review),
        indicators=_indicators(session, review),
    )


def _review_info(review: Review) -> ReviewInfo:
    assert review.id is not None
    return _copied(
        ReviewInfo,
        review,
        id=review.id,
        councils=tuple(review.councils or ()),
        published_at=aware(review.published_at),
    )


def _partners(session: Session, review: Review) -> tuple[PartnerInfo, ...]:
    rows = session.exec(
        select(Organisation).where(Organisation.review_id == review.id).order_by(col(Organisation.id))
    )
    return tuple(PartnerInfo(id=o.id or 0, name=o.name, org_type=o.org_type) for o in rows)


def _team(session: Session, review: Review) -> tuple[TeamMember, ...]:
    order = {role.value: index for index, role in enumerate(TEAM_ROLES)}
    rows = session.exec(
        select(User.display_name, Membership.role)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.review_id == review.id, col(Membership.role).in_(list(order)))
    ).all()
    members = sorted(rows, key=lambda row: (order[row[1]], row[0].casefold()))
    return tuple(TeamMember(name=name, role=role) for name, role in members)


def _listed_by_evidence(
    session: Session, live: tuple[Any, ...], evidence_id: Any, value: Any
) -> dict[str, list[Any]]:
    """One of the lists an evidence item holds (its lines, stages or organisations), for every
    live item of the review, each in order."""
    found: dict[str, list[Any]] = defaultdict(list)
    for item_id, item_value in session.exec(
        select(evidence_id, value)
        .join(Evidence, col(Evidence.id) == evidence_id)
        .where(*live)
        .order_by(col(value))
    ):
        found[item_id].append(item_value)
    return found


def _evidence(session: Session, review: Review) -> tuple[EvidenceItem, ...]:
    live = (Evidence.review_id == review.id, col(Evidence.deleted_at).is_(None))
    refs = _listed_by_evidence(session, live, EvidenceLine.evidence_id, EvidenceLine.ref)
    stages = _listed_by_evidence(session, live, EvidenceStage.evidence_id, EvidenceStage.stage)
    organisations = _listed_by_evidence(
        session, live, EvidenceOrganisation.evidence_id, EvidenceOrganisation.organisation_id
    )
    rows = session.exec(
        select(Evidence)
        # The narrative is the team's working notes: the report never prints it, so never loads it.
        .options(defer(Evidence.narrative))  # type: ignore[arg-type]
        .where(*live)
        .order_by(col(Evidence.collected_on), col(Evidence.id))
    ).all()
    return tuple(
        _copied(
            EvidenceItem,
            row,
            refs=tuple(refs[row.id]),
            stages=tuple(stages[row.id]),
            organisation_ids=tuple(organisations[row.id]),
        )
        for row in rows
    )


def _moderated(session: Session, review: Review, refs: set[str]) -> tuple[ModeratedLine, ...]:
    rows = session.exec(
        select(ModeratedRating)
        .where(ModeratedRating.review_id == review.id)
        .order_by(col(ModeratedRating.ref))
    )
    return tuple(
        _copied(ModeratedLine, row, cited_evidence=tuple(row.cited_evidence))
        for row in rows
        if row.ref in refs  # the same lines the engine scores
    )


def _findings(session: Session, review: Review) -> tuple[FindingItem, ...]:
    rows = session.exec(
        select(Finding).where(Finding.review_id == review.id).order_by(col(Finding.position), col(Finding.id))
    )
    return tuple(
        _copied(FindingItem, row, id=row.id or 0, cited_evidence=tuple(row.cited_evidence)) for row in rows
    )


def _recommendations(session: Session, review: Review) -> tuple[RecommendationItem, ...]:
    rows = session.exec(
        select(Recommendation)
        .where(Recommendation.review_id == review.id)
        .order_by(col(Recommendation.number), col(Recommendation.id))
    )
    return tuple(
        _copied(
            RecommendationItem, row, id=row.id or 0, owner_organisation_ids=tuple(row.owner_organisation_ids)
        )
        for row in rows
    )


def _actions(session: Session, review: Review) -> tuple[ActionInfo, ...]:
    rows = session.exec(
        select(ActionItem).where(ActionItem.review_id == review.id).order_by(col(ActionItem.id))
    ).all()
    latest: dict[int, str] = {}
    if rows:
        notes = session.exec(
            select(ActionNote.action_item_id, ActionNote.note)
            .join(ActionItem, col(ActionItem.id) == ActionNote.action_item_id)
            .where(ActionItem.review_id == review.id)
            .order_by(col(ActionNote.created_at), col(ActionNote.id))
        )
        for action_id, note in notes:
            latest[action_id] = note  # later notes replace earlier ones
    return tuple(
        _copied(ActionInfo, row, id=row.id or 0, latest_note=latest.get(row.id or 0, "")) for row in rows
    )


def _indicators(session: Session, review: Review) -> tuple[IndicatorFigure, ...]:
    rows = session.exec(
        select(IndicatorValue)
        .where(IndicatorValue.review_id == review.id)
        .order_by(col(IndicatorValue.indicator_key))
    )
    return tuple(_copied(IndicatorFigure, row, key=row.indicator_key) for row in rows)
