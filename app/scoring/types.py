"""Plain data in and out of the scoring engine.

Everything here is a frozen dataclass of numbers, strings and lists, so a
result can be compared in tests, cached, or turned into JSON with `to_dict`.
Every number a reader might question travels with a `rule` string saying, in
plain English, how it was worked out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Group = Literal["self_assessment", "review_team"]
Polarity = Literal["strength", "concern", "context"]
Flag = Literal["none", "single", "agreed", "split"]
Confidence = Literal["none", "low", "medium", "high"]
PositionWord = Literal["low", "middle", "high"]

GROUPS: tuple[Group, ...] = ("self_assessment", "review_team")
POLARITIES: tuple[Polarity, ...] = ("strength", "concern", "context")


# Inputs ---------------------------------------------------------------------


@dataclass(frozen=True)
class RatingInput:
    """One person's rating of one line of enquiry."""

    ref: str
    value: int
    rater_id: int
    group: Group
    org_type: str | None = None


@dataclass(frozen=True)
class EvidenceSignal:
    """One piece of evidence as linked to one line, with what it says about that line."""

    evidence_id: str
    ref: str
    polarity: Polarity
    category: str
    source_type: str


@dataclass(frozen=True)
class ResultOverride:
    """The review team's recorded decision to set a domain or overall level by judgement."""

    scope: Literal["domain", "overall"]
    domain_key: str | None
    level: int
    justification: str


# Building blocks --------------------------------------------------------------


@dataclass(frozen=True)
class AgreementResult:
    """How far a set of ratings agree: spread statistics and the agreed/split flag."""

    n: int
    values: list[float]
    median: float | None
    minimum: float | None
    maximum: float | None
    range: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    far_count: int
    flag: Flag
    rule: str

    @property
    def split(self) -> bool:
        return self.flag == "split"


@dataclass(frozen=True)
class OrgGap:
    """Median self-assessment of one set of organisation types against another."""

    name: str
    types_a: list[str]
    types_b: list[str]
    n_a: int
    n_b: int
    median_a: float | None
    median_b: float | None
    gap: float | None
    far_apart: bool
    rule: str


@dataclass(frozen=True)
class LineCoverage:
    """What evidence a line has: counts by polarity, category and source type."""

    ref: str
    evidence_count: int
    by_polarity: dict[str, int]
    by_category: dict[str, int]
    by_source_type: dict[str, int]
    category_names: list[str]
    no_evidence: bool
    not_triangulated: bool
    rule: str


@dataclass(frozen=True)
class Suggestion:
    """An evidence-based hint for a line's rating. Never a rating: people decide."""

    level: int | None
    label: str | None
    position: float | None
    balance: float | None
    strengths: int
    concerns: int
    context: int
    categories: list[str]
    confidence: Confidence
    reasons: list[str]
    rule: str
    is_hint: bool = True


@dataclass(frozen=True)
class Readiness:
    """Whether a line has the cited evidence a moderated rating needs."""

    can_moderate: bool
    reason: str | None
    warnings: list[str]
    cited_count: int
    categories: list[str]
    rule: str


@dataclass(frozen=True)
class BandInfo:
    level: int
    label: str
    from_pct: int
    to_pct: int


@dataclass(frozen=True)
class LimiterResult:
    """A limiter whose condition holds for a result, and the cap it sets."""

    kind: str
    description: str
    cap: int
    cap_label: str
    lowered: bool
    rule: str


@dataclass(frozen=True)
class OverrideApplied:
    """A judgement that replaced a computed level; the computed level stays beside it."""

    level: int
    label: str
    justification: str
    replaces_level: int | None
    replaces_label: str | None


# Results ----------------------------------------------------------------------


@dataclass(frozen=True)
class LineScore:
    ref: str
    domain_key: str
    self_assessment: AgreementResult
    review_team: AgreementResult
    moderated: int | None
    moderated_label: str | None
    gap: float | None
    gap_rule: str
    org_gaps: list[OrgGap]
    suggestion: Suggestion
    readiness: Readiness
    coverage: LineCoverage
    evidence_count: int


@dataclass(frozen=True, kw_only=True)
class LevelResult:
    """What a roll-up works out, for a domain or the overall result: the sum over the maximum,
    its band, the limiters that cap it and any override. Numeric fields are None when there is
    no result; `reason` then says why."""

    score_sum: int | None = None
    max_sum: int | None = None
    percent: float | None = None
    rounded_percent: int | None = None
    band: BandInfo | None = None
    band_position: float | None = None
    band_position_word: PositionWord | None = None
    computed_level: int | None = None
    computed_label: str | None = None
    limiters: list[LimiterResult] = field(default_factory=list)
    limited_level: int | None = None
    final_level: int | None = None
    final_label: str | None = None
    override: OverrideApplied | None = None
    rule: str = ""
    level_rule: str = ""
    reason: str | None = None

    @property
    def has_result(self) -> bool:
        return self.percent is not None


@dataclass(frozen=True, kw_only=True)
class DomainScore(LevelResult):
    """A domain's roll-up, with how its self-assessment compares with its moderated ratings."""

    key: str
    name: str
    lines_rated: int
    lines_total: int
    complete: bool
    self_assessment_mean: float | None = None
    moderated_mean: float | None = None
    gap: float | None = None
    gap_lines: int = 0
    gap_rule: str = ""


@dataclass(frozen=True, kw_only=True)
class OverallScore(LevelResult):
    """The overall roll-up of a rated framework."""

    weighting: str
    domains_with_result: int
    domains_total: int
    complete: bool


@dataclass(frozen=True)
class GapItem:
    """One line in the list of largest gaps between self-assessment and moderation."""

    ref: str
    domain_key: str
    self_median: float
    moderated: int
    gap: float
    rule: str


@dataclass(frozen=True)
class ReviewScores:
    """Everything the engine works out for one review."""

    framework_key: str
    framework_version: str
    rated: bool
    lines: list[LineScore]
    domains: list[DomainScore]
    overall: OverallScore | None
    splits: list[str]
    largest_gaps: list[GapItem]

    def to_dict(self) -> dict[str, Any]:
        """The whole result as plain JSON-safe data (dicts, lists, str, int, float, None)."""
        return asdict(self)

    def line(self, ref: str) -> LineScore:
        for line in self.lines:
            if line.ref == ref:
                return line
        raise KeyError(ref)

    def domain(self, key: str) -> DomainScore:
        for domain in self.domains:
            if domain.key == key:
                return domain
        raise KeyError(key)
