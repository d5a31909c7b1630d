"""Request and response shapes for findings, recommendations and the action plan."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Input(BaseModel):
    # An unknown field is a mistake worth naming, not something to drop silently.
    model_config = ConfigDict(extra="forbid")


class PersonRef(BaseModel):
    id: int
    name: str


class OrganisationRef(BaseModel):
    id: int
    name: str
    org_type: str


class EvidenceRef(BaseModel):
    """A piece of cited evidence as a finding shows it; `deleted` when withdrawn since citing."""

    id: str
    title: str
    polarity: str
    deleted: bool = False


# Findings


class FindingBase(_Input):
    kind: str = Field(description="strength | improvement")
    text: str = Field(description="The finding, in Markdown.")
    domain_key: str = Field(default="", description="A domain of the review's framework.")
    stage: str = Field(default="", description="A pathway stage key of the review's framework.")
    cited_evidence: list[str] = Field(default_factory=list, description="Ids of evidence of this review.")


class FindingCreate(FindingBase):
    position: int | None = Field(
        default=None, ge=1, description="Place within its group (same domain, stage and kind); default last."
    )


class FindingUpdate(_Input):
    kind: str | None = None
    text: str | None = None
    domain_key: str | None = None
    stage: str | None = None
    cited_evidence: list[str] | None = None
    position: int | None = Field(default=None, ge=1)


class FindingPublic(BaseModel):
    id: int
    review_id: int
    kind: str
    kind_label: str
    text: str
    text_html: str
    domain_key: str
    domain_name: str
    stage: str
    stage_name: str
    cited_evidence: list[EvidenceRef]
    position: int
    created_by: PersonRef
    created_at: datetime
    updated_at: datetime | None


# Recommendations


class RecommendationBase(_Input):
    text: str = Field(description="The recommendation, in Markdown.")
    domain_key: str = ""
    owner_organisation_ids: list[int] = Field(
        default_factory=list, description="Partner organisations of this review that own it (one or more)."
    )
    priority: str = Field(default="medium", description="high | medium | low")
    target_date: date | None = None


class RecommendationCreate(RecommendationBase):
    number: int | None = Field(default=None, ge=1, description="Where it goes in the list; default last.")


class RecommendationUpdate(_Input):
    text: str | None = None
    domain_key: str | None = None
    owner_organisation_ids: list[int] | None = None
    priority: str | None = None
    target_date: date | None = None
    number: int | None = Field(default=None, ge=1, description="Move it to this number; others renumber.")


class RecommendationPublic(BaseModel):
    id: int
    review_id: int
    number: int
    text: str
    text_html: str
    domain_key: str
    domain_name: str
    owners: list[OrganisationRef]
    priority: str
    target_date: date | None
    created_by: PersonRef
    created_at: datetime
    updated_at: datetime | None


# The action plan


class ActionCreate(_Input):
    text: str = Field(default="", description="The action; defaults to the recommendation's text.")
    recommendation_id: int | None = None
    owner_organisation_id: int | None = Field(
        default=None, description="The partner organisation that owns it (a self-assessor's own by default)."
    )
    status: str = "not_started"
    due_date: date | None = None


class ActionUpdate(_Input):
    text: str | None = None
    recommendation_id: int | None = None
    owner_organisation_id: int | None = None
    status: str | None = None
    due_date: date | None = None


class ActionNoteCreate(_Input):
    note: str = Field(description="What has happened since the last update.")
    status: str = Field(description="The action's status after this update.")


class ActionNotePublic(BaseModel):
    id: int
    note: str
    note_html: str
    status: str
    created_by: PersonRef
    created_at: datetime


class RecommendationRef(BaseModel):
    id: int
    number: int


class ActionPublic(BaseModel):
    id: int
    review_id: int
    text: str
    text_html: str
    recommendation: RecommendationRef | None
    owner: OrganisationRef | None
    status: str
    due_date: date | None
    overdue: bool
    notes: list[ActionNotePublic]
    created_by: PersonRef
    created_at: datetime
    updated_at: datetime | None
