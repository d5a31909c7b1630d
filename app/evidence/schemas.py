"""Request and response shapes for evidence, its history and coverage.

Input models only parse types; the rules that depend on the review (the framework's
keys, the review's partners and team) live in `app.evidence.rules`, so the API, the
web form and the bulk import all give the same answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator


def _split_commas(value: Any) -> Any:
    """A comma-separated string becomes a list, so forms and spreadsheets can send one field."""
    if isinstance(value, str):
        return [part for part in value.split(",") if part.strip()]
    return value


class EvidenceBase(BaseModel):
    """The content of one item of evidence, as a client sends it."""

    title: str = Field(description="A short title, up to 300 characters.")
    narrative: str = Field(default="", description="What was found, in Markdown.")
    source_type: str = Field(description="Key of one of the framework's source types.")
    category: str = Field(description="Key of one of the framework's evidence categories.")
    lines: list[str] = Field(description="Refs of the lines of enquiry it speaks to (at least one).")
    stages: list[str] = Field(default_factory=list, description="Keys of the pathway stages it concerns.")
    organisations: list[int] = Field(
        default_factory=list, description="Ids of this review's partner organisations it concerns."
    )
    polarity: str = Field(description="strength, concern or context.")
    collected_on: dt.date | None = Field(
        default=None,
        description="When it was collected: not in the future. Defaults to today for a new item "
        "and to the stored date when replacing.",
    )
    collected_by: int | None = Field(
        default=None,
        description="User id of the team member who collected it. Defaults to the caller for a new "
        "item and to the stored collector when replacing.",
    )
    quote: str = Field(default="", description="An anonymised quote, if any.")
    tags: list[str] = Field(
        default_factory=list, description="Short free-text tags (or one comma-separated string)."
    )

    _split_tags = field_validator("tags", mode="before")(_split_commas)


class EvidenceCreate(EvidenceBase):
    """POST body: the client may choose the id (a UUID) so that a retried POST is harmless."""

    id: str | None = Field(default=None, description="A UUID chosen by the client; one is made if absent.")


class EvidenceUpdate(EvidenceBase):
    """PUT body: the whole item, and optionally why it changed."""

    reason: str = Field(default="", max_length=2000, description="Why the item was changed.")


class EvidenceFilters(BaseModel):
    """Filters and paging for the evidence list; every filter narrows the list further."""

    ref: str | None = Field(default=None, description="Only items linked to this line of enquiry.")
    domain: str | None = Field(default=None, description="Only items linked to a line of this domain.")
    category: str | None = None
    source_type: str | None = None
    stage: str | None = None
    organisation: int | None = Field(default=None, description="Only items concerning this partner (id).")
    polarity: str | None = None
    collector: int | None = Field(default=None, description="Only items collected by this user (id).")
    q: str | None = Field(default=None, description="Words in the title, narrative, quote or tags.")
    include_deleted: bool = Field(default=False, description="Also deleted items (review lead only).")
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=50, ge=1, le=200)

    @model_validator(mode="before")
    @classmethod
    def _drop_blanks(cls, values: Any) -> Any:
        # An empty select in the filter form means "any".
        if isinstance(values, dict):
            return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}
        return values

    def active(self) -> dict[str, Any]:
        """The filters in use (not paging), e.g. to keep them in page links."""
        return {
            name: value
            for name, value in self.model_dump(exclude={"page", "per_page"}).items()
            if value not in (None, False, "")
        }


class NamedKey(BaseModel):
    key: str
    name: str


class LineRef(BaseModel):
    ref: str
    question: str
    domain_key: str
    domain_name: str


class OrganisationRef(BaseModel):
    id: int
    name: str
    type: str


class PersonRef(BaseModel):
    id: int
    name: str


class AttachmentRef(BaseModel):
    id: int
    name: str
    size: int
    content_type: str
    url: str


class EvidencePublic(BaseModel):
    """One item of evidence as every reader sees it."""

    id: str
    review_id: int
    title: str
    narrative: str
    narrative_html: str = Field(description="The narrative as sanitised HTML.")
    source_type: str
    source_type_name: str
    category: str
    category_name: str
    polarity: str
    lines: list[LineRef]
    stages: list[NamedKey]
    organisations: list[OrganisationRef]
    collected_on: dt.date
    collected_by: PersonRef
    quote: str
    tags: list[str]
    attachments: list[AttachmentRef]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: PersonRef | None
    deleted: bool
    deleted_at: dt.datetime | None

    @property
    def etag(self) -> str:
        return etag_for(self.version)


def etag_for(version: int) -> str:
    """The entity tag of a version, as sent in ETag and expected back in If-Match."""
    return f'"v{version}"'


class EvidencePage(BaseModel):
    items: list[EvidencePublic]
    total: int
    page: int
    per_page: int
    pages: int


class EvidenceVersionPublic(BaseModel):
    """A previous version: its content, and who replaced it, when and why."""

    version: int
    content: dict[str, Any]
    reason: str
    replaced_by: PersonRef
    replaced_at: dt.datetime


class EvidenceHistory(BaseModel):
    evidence_id: str
    version: int
    versions: list[EvidenceVersionPublic] = Field(description="Previous versions, newest first.")


class LineCoveragePublic(BaseModel):
    """Evidence for one line of enquiry, counted every way the matrix and report need."""

    ref: str
    question: str
    domain_key: str
    evidence_count: int
    by_category: dict[str, int]
    by_source_type: dict[str, int]
    by_polarity: dict[str, int]
    by_stage: dict[str, int]
    category_names: list[str]
    no_evidence: bool
    not_triangulated: bool
    rule: str


class CoverageTotals(BaseModel):
    """Distinct items of evidence (an item linked to two lines counts once)."""

    evidence_count: int
    by_category: dict[str, int]
    by_polarity: dict[str, int]
    by_stage: dict[str, int]
    lines_total: int
    lines_with_no_evidence: int
    lines_not_triangulated: int


class DomainCoveragePublic(CoverageTotals):
    key: str
    name: str
    refs: list[str]


class CoveragePublic(BaseModel):
    framework_key: str
    framework_version: str
    categories: list[NamedKey]
    source_types: list[NamedKey]
    stages: list[NamedKey]
    lines: list[LineCoveragePublic]
    domains: list[DomainCoveragePublic]
    totals: CoverageTotals


class CoverageSummary(BaseModel):
    """Coverage at a glance, for the review home page."""

    evidence_count: int
    lines_total: int
    lines_with_no_evidence: int
    lines_not_triangulated: int
