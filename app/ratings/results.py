"""Results: what the scoring engine makes of a review's ratings, moderation and overrides.

One place gathers the engine's inputs (`scoring_inputs`), shared by the results pages and
API, the moderation view and the report, so every place that shows a number computes it
from the same inputs. Read only: nothing here changes a review.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlmodel import Session, col, select

from app.evidence.models import Evidence, EvidenceLine
from app.frameworks.schema import Framework
from app.ratings.models import ModeratedRating, Rating, ResultOverride
from app.ratings.service import evidence_signal
from app.reviews.changes import review_framework
from app.reviews.models import Organisation, Review
from app.scoring import EvidenceSignal, LineScore, RatingInput, ReviewScores, score_review
from app.scoring import ResultOverride as OverrideInput
from app.scoring.types import Group


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

    `cited` maps each moderated line to the evidence ids its moderated rating cites.
    """
    framework = framework or review_framework(session, review)
    refs = set(framework.refs())
    ratings = [
        RatingInput(
            ref=rating.ref,
            value=rating.value,
            rater_id=rating.rater_id,
            group=cast(Group, rating.group),  # the table holds only the two groups
            org_type=org,
        )
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
        evidence_signal(evidence, ref)
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
