"""Request and response shapes for reviews, partner organisations, the team and "your reviews".

The schemas check types; the services check the rules (and name the field at fault), so the
web forms, which call the services directly, get the same answers as the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.accounts.schemas import UserPublic
from app.reviews.models import ORGANISATION_TYPES, REVIEW_KINDS, REVIEW_STATUSES

ReviewKind = Literal[REVIEW_KINDS]  # type: ignore[valid-type]
ReviewStatus = Literal[REVIEW_STATUSES]  # type: ignore[valid-type]
OrganisationType = Literal[ORGANISATION_TYPES]  # type: ignore[valid-type]
RoleName = Literal["lead", "reviewer", "self_assessor", "report_writer", "observer"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewBase(_Input):
    title: str = Field(
        max_length=300, description="What the review is called, e.g. 'Local system review of Northshire'"
    )
    place: str = Field(max_length=200, description="The place whose health and care system is reviewed")
    icb: str = Field(default="", max_length=200, description="The integrated care board for the place")
    councils: list[str] = Field(
        default_factory=list, description="The councils with adult social care duties"
    )
    kind: ReviewKind
    fieldwork_start: dt.date | None = None
    fieldwork_end: dt.date | None = None


class ReviewCreate(ReviewBase):
    framework_key: str = Field(description="Key of a framework in the library")
    framework_version: str | None = Field(
        default=None, description="Version to pin; the newest when left out"
    )
    lead_email: str | None = Field(default=None, description="Email of the lead's existing account")
    lead_user_id: int | None = Field(default=None, description="Or the lead's user id")


class ReviewUpdate(_Input):
    """Only the fields sent are changed. The framework changes only in planning, before any work."""

    title: str | None = Field(default=None, max_length=300)
    place: str | None = Field(default=None, max_length=200)
    icb: str | None = Field(default=None, max_length=200)
    councils: list[str] | None = None
    kind: ReviewKind | None = None
    framework_key: str | None = None
    framework_version: str | None = None
    fieldwork_start: dt.date | None = None
    fieldwork_end: dt.date | None = None


class ReportTextUpdate(_Input):
    """The report's opening text; only the fields sent are changed."""

    people_experience: str | None = None
    summary: str | None = None
    scope_note: str | None = None


class StatusMove(_Input):
    status: ReviewStatus


class ReviewPublic(BaseModel):
    id: int
    title: str
    place: str
    icb: str
    councils: list[str]
    kind: str
    framework_key: str
    framework_version: str
    fieldwork_start: dt.date | None
    fieldwork_end: dt.date | None
    status: str
    # The draft report's text follows the permission table: null for a caller whose role may not
    # read the report yet (a self-assessor before publication).
    people_experience: str | None = Field(description="Null when your role may not read the report yet")
    summary: str | None = Field(description="Null when your role may not read the report yet")
    scope_note: str | None = Field(description="Null when your role may not read the report yet")
    created_at: dt.datetime
    updated_at: dt.datetime | None
    published_at: dt.datetime | None
    revision: int
    role: str | None = Field(
        description="The caller's role in the review; null for an administrator with none"
    )
    allowed_moves: list[str] = Field(description="Statuses the review can move to next")


class OrganisationCreate(_Input):
    name: str = Field(max_length=200)
    org_type: OrganisationType


class OrganisationUpdate(_Input):
    name: str | None = Field(default=None, max_length=200)
    org_type: OrganisationType | None = None


class OrganisationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    review_id: int
    name: str
    org_type: str
    created_at: dt.datetime


class MemberCreate(_Input):
    email: str = Field(max_length=320, description="Email of an existing account")
    role: RoleName
    organisation_id: int | None = Field(default=None, description="Required for a self-assessor, else empty")


class MemberUpdate(_Input):
    role: RoleName | None = None
    organisation_id: int | None = None


class MemberPublic(BaseModel):
    id: int
    user_id: int
    email: str
    display_name: str
    role: str
    organisation_id: int | None
    organisation_name: str | None
    created_at: dt.datetime


class ReviewRolePublic(BaseModel):
    review_id: int
    title: str
    place: str
    status: str
    role: str


class MePublic(UserPublic):
    """The caller's account and their role in each review."""

    reviews: list[ReviewRolePublic]
