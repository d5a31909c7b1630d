"""Every table, imported in one place so Alembic and tests see the whole schema."""

from sqlmodel import SQLModel

from app.accounts.models import AuthToken, SignInAttempt, User
from app.core.audit import AuditEvent
from app.dataprofile.models import IndicatorValue
from app.evidence.models import (
    Attachment,
    Evidence,
    EvidenceLine,
    EvidenceOrganisation,
    EvidenceStage,
    EvidenceVersion,
)
from app.findings.models import ActionItem, ActionNote, Finding, Recommendation
from app.frameworks.models import FrameworkVersion
from app.ratings.models import ModeratedRating, Rating, ResultOverride
from app.reports.models import ReportJob, ReportRender
from app.reviews.models import Membership, Organisation, Review

metadata = SQLModel.metadata

__all__ = [
    "ActionItem",
    "ActionNote",
    "Attachment",
    "AuditEvent",
    "AuthToken",
    "Evidence",
    "EvidenceLine",
    "EvidenceOrganisation",
    "EvidenceStage",
    "EvidenceVersion",
    "Finding",
    "FrameworkVersion",
    "IndicatorValue",
    "Membership",
    "ModeratedRating",
    "Organisation",
    "Rating",
    "Recommendation",
    "ReportJob",
    "ReportRender",
    "ResultOverride",
    "Review",
    "SignInAttempt",
    "User",
    "metadata",
]
