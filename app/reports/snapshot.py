"""Everything one report is made from, as plain frozen data.

`gather.py` fills a `ReportSnapshot` from the database; `context.py` turns it
into what the templates show. Nothing here touches the database or the web, so
a snapshot can be built by hand in a test, and its canonical JSON is the
content part of the report cache key: the same content gives the same key,
whatever `Review.revision` says.

Evidence narratives are deliberately not part of a snapshot: they are the
review team's working notes (they may name staff or patients) and the report
never prints them. A report cites evidence by reference number, title, source
and date, and quotes only the anonymised `quote` field.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.frameworks.schema import Framework
from app.scoring import EvidenceSignal, RatingInput, ResultOverride


@dataclass(frozen=True)
class ReviewInfo:
    id: int
    title: str
    place: str
    icb: str
    councils: tuple[str, ...]
    kind: str
    status: str
    fieldwork_start: date | None
    fieldwork_end: date | None
    published_at: datetime | None
    people_experience: str
    summary: str
    scope_note: str

    @property
    def published(self) -> bool:
        return self.status == "published"


@dataclass(frozen=True)
class PartnerInfo:
    id: int
    name: str
    org_type: str


@dataclass(frozen=True)
class TeamMember:
    name: str
    role: str


@dataclass(frozen=True)
class EvidenceItem:
    id: str
    title: str
    quote: str
    source_type: str
    category: str
    polarity: str
    collected_on: date
    refs: tuple[str, ...]
    stages: tuple[str, ...]
    organisation_ids: tuple[int, ...]


@dataclass(frozen=True)
class ModeratedLine:
    ref: str
    value: int
    rationale: str
    cited_evidence: tuple[str, ...]


@dataclass(frozen=True)
class FindingItem:
    id: int
    kind: str  # strength | improvement
    domain_key: str
    stage: str
    text: str
    cited_evidence: tuple[str, ...]
    position: int


@dataclass(frozen=True)
class RecommendationItem:
    id: int
    number: int
    text: str
    domain_key: str
    owner_organisation_ids: tuple[int, ...]
    priority: str
    target_date: date | None


@dataclass(frozen=True)
class ActionInfo:
    id: int
    recommendation_id: int | None
    text: str
    owner_organisation_id: int | None
    status: str
    due_date: date | None
    latest_note: str


@dataclass(frozen=True)
class IndicatorFigure:
    key: str
    value: float
    period: str
    source: str
    england: float | None
    similar_areas: float | None
    note: str


@dataclass(frozen=True)
class ReportSnapshot:
    """One review's report content at one moment, with the framework it is pinned to."""

    framework: Framework
    review: ReviewInfo
    partners: tuple[PartnerInfo, ...] = ()
    team: tuple[TeamMember, ...] = ()
    evidence: tuple[EvidenceItem, ...] = ()  # never deleted items
    ratings: tuple[RatingInput, ...] = ()
    # One signal per link of a (never deleted) evidence item to a line, for the scoring engine.
    signals: tuple[EvidenceSignal, ...] = ()
    moderated: tuple[ModeratedLine, ...] = ()
    overrides: tuple[ResultOverride, ...] = ()
    findings: tuple[FindingItem, ...] = ()
    recommendations: tuple[RecommendationItem, ...] = ()
    actions: tuple[ActionInfo, ...] = ()
    indicators: tuple[IndicatorFigure, ...] = ()

    def content(self) -> dict[str, Any]:
        """The snapshot as plain data; the framework by key and version (a stored version never changes)."""
        data = {
            field.name: _plain(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if field.name != "framework"
        }
        data["framework"] = {"key": self.framework.key, "version": self.framework.version}
        return data

    def canonical_json(self) -> str:
        """Sorted-key, whitespace-free JSON: equal content gives equal text."""
        return json.dumps(self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
