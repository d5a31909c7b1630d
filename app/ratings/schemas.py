"""Request and response shapes for the ratings API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

Rationale = Field(default="", max_length=20_000, description="Why this rating, in the rater's words.")
Reason = Field(default="", max_length=2000, description="Why the change was made; kept in the audit trail.")
Cited: list[str] = Field(
    default_factory=list, max_length=500, description="Ids of evidence items of this review."
)


class RatingBase(BaseModel):
    value: StrictInt = Field(description="A level of the review framework's scale.")
    rationale: str = Rationale
    cited_evidence: list[str] = Cited


class RatingWrite(RatingBase):
    """The caller's own rating of one line (self-assessment or review team, from their role)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Reason


class RatingPublic(RatingBase):
    id: int
    ref: str
    group: str
    value_label: str
    organisation_id: int | None
    updated_at: datetime


class Person(BaseModel):
    id: int
    name: str


class OrganisationRef(BaseModel):
    id: int
    name: str
    org_type: str | None


class RatingWithRater(RatingPublic):
    """A rating with who gave it: for the review team only."""

    rater: Person
    organisation: OrganisationRef | None


class LevelCountPublic(BaseModel):
    value: int
    label: str
    count: int


class LineSpreadPublic(BaseModel):
    """How many self-assessors chose each level of one line: never who."""

    ref: str
    domain_key: str
    question: str
    n: int
    counts: list[LevelCountPublic]
    median: float | None
    flag: str
    rule: str


class SpreadPublic(BaseModel):
    self_assessment_closed: bool
    lines: list[LineSpreadPublic]


class SelfAssessmentState(BaseModel):
    self_assessment_closed: bool


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Reason


class ModeratedWrite(BaseModel):
    """The lead's moderated rating. Send the version read (or an If-Match header) to change one."""

    model_config = ConfigDict(extra="forbid")

    value: StrictInt
    rationale: str = Rationale
    cited_evidence: list[str] = Cited
    version: StrictInt | None = Field(
        default=None, description='The version read; 0 (or none) to create. Same as If-Match: "v{version}".'
    )
    reason: str = Reason


class ModeratedPublic(BaseModel):
    ref: str
    value: int
    label: str
    rationale: str
    cited_evidence: list[str]
    version: int
    updated_by: Person
    updated_at: datetime


class ModerationSaved(BaseModel):
    moderated: ModeratedPublic
    warnings: list[str] = Field(description="Things worth a second look that did not stop the save.")


class OverrideWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["domain", "overall"]
    domain_key: str = Field(default="", max_length=64)
    level: StrictInt
    justification: str = Field(max_length=20_000)
    reason: str = Reason


class OverridePublic(BaseModel):
    scope: str
    domain_key: str
    target_name: str
    level: int
    label: str
    justification: str
    created_by: str
    created_at: datetime
