"""The scoring engine: pure functions over plain data, no database and no web.

Roll-up, limiters, agreement, gaps, evidence coverage, rating hints and
readiness for one review against its framework. Nothing here names a
framework: every rule comes from the `Framework` object passed in.
"""

from app.scoring.agreement import DEFAULT_ORG_PAIRS, agreement, org_gap
from app.scoring.coverage import coverage, readiness
from app.scoring.review import score_review
from app.scoring.rollup import (
    band_for,
    band_position,
    check_limiters,
    level_label,
    rollup_domains,
    rollup_overall,
    scale_label,
)
from app.scoring.suggestion import nearest_level, suggest
from app.scoring.types import (
    AgreementResult,
    BandInfo,
    DomainScore,
    EvidenceSignal,
    GapItem,
    LevelResult,
    LimiterResult,
    LineCoverage,
    LineScore,
    OrgGap,
    OverallScore,
    OverrideApplied,
    RatingInput,
    Readiness,
    ResultOverride,
    ReviewScores,
    Suggestion,
)

__all__ = [
    "DEFAULT_ORG_PAIRS",
    "AgreementResult",
    "BandInfo",
    "DomainScore",
    "EvidenceSignal",
    "GapItem",
    "LevelResult",
    "LimiterResult",
    "LineCoverage",
    "LineScore",
    "OrgGap",
    "OverallScore",
    "OverrideApplied",
    "RatingInput",
    "Readiness",
    "ResultOverride",
    "ReviewScores",
    "Suggestion",
    "agreement",
    "band_for",
    "band_position",
    "check_limiters",
    "coverage",
    "level_label",
    "nearest_level",
    "org_gap",
    "readiness",
    "rollup_domains",
    "rollup_overall",
    "scale_label",
    "score_review",
    "suggest",
]
