"""Seed the demo review from its data files, through the same services as the pages and the API.

Every service call of the demo is in this module. Each person acts through the scope they hold
in the review (`scope_for`, built once per person), so the audit trail names who did what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.core.errors import NotFound
from app.core.timeutil import utcnow
from app.dataprofile import service as dataprofile
from app.demo.loader import load_demo_data
from app.demo.plan import (
    evidence_by_line,
    fieldwork_dates,
    target_date,
    team_rationale,
    triangulated,
    weighed_by_reviewer,
)
from app.demo.schema import DemoData, Person
from app.evidence import service as evidence_service
from app.evidence.schemas import EvidenceUpdate
from app.findings import findings, recommendations
from app.frameworks import service as frameworks
from app.ratings import moderation
from app.ratings import service as ratings
from app.reviews import service as reviews
from app.reviews.access import ReviewScope, scope_for
from app.reviews.changes import review_framework
from app.reviews.models import Review

# The command line and the tests name the demo by these; every demo account shares the password.
DEMO_PASSWORD = "sysreview-demo"
ADMIN_EMAIL = "admin@demo.sysreview.local"
REVIEW_TITLE = "Local system review: Northshire"
# The installation's administrator, who opens the review: not one of the review's people.
ADMIN = Person(key="admin", name="Demo Administrator", email=ADMIN_EMAIL)

Scopes = dict[str, ReviewScope]  # person key: their scope in the demo review
Partners = dict[str, int]  # partner key: the id of the review's organisation


@dataclass
class DemoAccount:
    role: str
    name: str
    email: str


@dataclass
class DemoResult:
    """What `seed_demo` did: `created` is False when a review already existed (nothing added)."""

    created: bool
    review_id: int | None = None
    password: str = DEMO_PASSWORD
    accounts: list[DemoAccount] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def seed_demo(session: Session, data: DemoData | None = None) -> DemoResult:
    """Create the demo review, its people and its content, unless any review exists already.

    Runs in the caller's unit of work (nothing is committed here). Reads the data files unless
    `data` is given. Raises NotFound, naming the command to run, when the framework the demo
    uses has not been loaded, and `DemoDataInvalid` when a data file is wrong.
    """
    if session.exec(select(Review.id)).first() is not None:
        return DemoResult(created=False)
    data = data or load_demo_data()
    _require_framework(session, data.review.framework)
    today = utcnow().date()
    start, end = fieldwork_dates(today)

    admin = _account(session, ADMIN, admin=None)
    people = {p.key: _account(session, p, admin=admin) for p in data.everyone}
    review = _open_review(session, data, admin, people[data.lead.key], start, end)
    lead = scope_for(session, review, people[data.lead.key])
    partners = _partners_and_team(session, lead, data)
    # Each person's scope once they are members; the lead's was needed to add the others.
    scopes = {
        key: lead if key == data.lead.key else scope_for(session, review, user)
        for key, user in people.items()
    }

    reviews.move_status(session, ctx=lead, status="fieldwork")
    _evidence(session, scopes, data, partners, start)
    _data_profile(session, scopes[data.indicators.entered_by], data)
    _self_assessment(session, scopes, data)

    reviews.move_status(session, ctx=lead, status="moderation")
    ratings.set_self_assessment_closed(session, ctx=lead, closed=True)
    _team_ratings_and_moderation(session, scopes, data)

    reviews.move_status(session, ctx=lead, status="reporting")
    _findings(session, scopes, data)
    _recommendations(session, scopes, data, partners, today)
    writer = scopes[data.writer.key]
    report = data.review.report.model_dump()
    reviews.set_report_text(session, ctx=writer, changes=report)
    return _result(data, review)


def admin_exists(session: Session) -> bool:
    """True when the demo administrator's account is there to sign in with."""
    return accounts.user_by_email(session, ADMIN_EMAIL) is not None


def _require_framework(session: Session, key: str) -> None:
    try:
        frameworks.get_version(session, key)
    except NotFound:
        raise NotFound(
            f"the demo needs the '{key}' framework: load it first with `sysreview frameworks load`"
        ) from None


def _saved(record_id: int | None) -> int:
    # Models type ids as optional for rows not yet flushed; every record here has been.
    if record_id is None:
        raise ValueError("the demo refers to a record that has not been saved")
    return record_id


def _account(session: Session, person: Person, *, admin: User | None) -> User:
    """The person's account, made if it does not exist (a rerun after a manual reset keeps it)."""
    existing = accounts.user_by_email(session, person.email)
    if existing is not None:
        return existing
    return accounts.create_user(
        session,
        email=person.email,
        display_name=person.name,
        password=DEMO_PASSWORD,
        is_admin=admin is None,
        acting_user_id=admin.id if admin else None,
    )


def _open_review(session: Session, data: DemoData, admin: User, lead: User, start: date, end: date) -> Review:
    details = data.review
    return reviews.create_review_with_lead(
        session,
        user_id=_saved(admin.id),
        lead_user_id=lead.id,
        title=REVIEW_TITLE,
        place=details.place,
        icb=details.icb,
        councils=list(details.councils),
        kind=details.kind,
        framework_key=details.framework,
        fieldwork_start=start,
        fieldwork_end=end,
    )


def _partners_and_team(session: Session, lead: ReviewScope, data: DemoData) -> Partners:
    organisations = {
        p.key: reviews.add_organisation(
            session,
            ctx=lead,
            name=p.name,
            org_type=p.type,
        )
        for p in data.people.partners
    }
    partners = {key: _saved(organisation.id) for key, organisation in organisations.items()}
    for member in data.people.team:
        if member.key == data.lead.key:
            continue  # made lead when the review was opened
        reviews.add_member(
            session,
            ctx=lead,
            email=member.email,
            role=member.role.value,
        )
    for assessor in data.people.self_assessors:
        reviews.add_member(
            session,
            ctx=lead,
            email=assessor.email,
            role="self_assessor",
            organisation_id=partners[assessor.organisation],
        )
    return partners


def _evidence(session: Session, scopes: Scopes, data: DemoData, partners: Partners, start: date) -> None:
    review = scopes[data.lead.key].review
    rules = evidence_service.evidence_rules(session, review)
    for item in data.evidence:
        collector = scopes[item.collected_by]
        update = EvidenceUpdate(
            title=item.title,
            narrative=item.narrative,
            source_type=item.source,
            category=item.category,
            lines=list(item.lines),
            stages=list(item.stages),
            organisations=[partners[key] for key in item.organisations],
            polarity=item.polarity,
            collected_on=start + timedelta(days=item.day),
            collected_by=collector.user_id,
            quote=item.quote,
            tags=list(item.tags),
        )
        evidence_service.put_evidence(
            session,
            ctx=collector,
            evidence_id=item.id,
            data=update,
            rules=rules,
        )


def _data_profile(session: Session, analyst: ReviewScope, data: DemoData) -> None:
    for key, figures in data.indicators.indicators.items():
        dataprofile.set_value(session, ctx=analyst, indicator_key=key, **figures.model_dump())


def _self_assessment(session: Session, scopes: Scopes, data: DemoData) -> None:
    for assessor in data.people.self_assessors:
        for ref, line in data.lines.items():
            ratings.save_rating(
                session,
                ctx=scopes[assessor.key],
                ref=ref,
                value=line.self_assessment[assessor.key],
                rationale=line.self_assessment_reasons.get(assessor.key, ""),
            )


def _team_ratings_and_moderation(session: Session, scopes: Scopes, data: DemoData) -> None:
    """Each reviewer rates every line citing some of its evidence; the lead moderates every line."""
    lead = scopes[data.lead.key]
    scale = review_framework(session, lead.review).scale
    by_line = evidence_by_line(data.evidence)
    for ref, line in data.lines.items():
        items = by_line[ref]
        for index, reviewer in enumerate(data.reviewers):
            value = line.review_team[reviewer.key]
            weighed = weighed_by_reviewer(items, index)
            ratings.save_rating(
                session,
                ctx=scopes[reviewer.key],
                ref=ref,
                value=value,
                rationale=team_rationale(scale.label(value), weighed),
                cited_evidence=[item.id for item in weighed],
            )
        moderation.moderate(
            session,
            ctx=lead,
            ref=ref,
            value=line.moderated,
            rationale=line.rationale,
            cited_evidence=[item.id for item in triangulated(items, 4)],
            expected_version=None,
        )


def _findings(session: Session, scopes: Scopes, data: DemoData) -> None:
    for finding in data.findings:
        author = scopes[finding.written_by]
        findings.create_finding(
            session,
            ctx=author,
            kind=finding.kind,
            text=finding.text,
            domain_key=finding.domain,
            stage=finding.stage,
            cited_evidence=[data.evidence_ids[key] for key in finding.evidence],
        )


def _recommendations(
    session: Session, scopes: Scopes, data: DemoData, partners: Partners, today: date
) -> None:
    for rec in data.recommendations:
        author = scopes[rec.written_by]
        recommendations.create_recommendation(
            session,
            ctx=author,
            text=rec.text,
            owner_organisation_ids=[partners[key] for key in rec.owners],
            priority=rec.priority,
            target_date=target_date(today, rec.target_in_months),
            domain_key=rec.domain,
        )


def _result(data: DemoData, review: Review) -> DemoResult:
    people = [
        DemoAccount("admin", ADMIN.name, ADMIN.email),
        *(DemoAccount(p.role.value, p.name, p.email) for p in data.people.team),
        *(DemoAccount("self_assessor", p.name, p.email) for p in data.people.self_assessors),
    ]
    return DemoResult(
        created=True,
        review_id=review.id,
        accounts=people,
        counts={
            "partners": len(data.people.partners),
            "evidence": len(data.evidence),
            "findings": len(data.findings),
            "recommendations": len(data.recommendations),
            "indicators": len(data.indicators.indicators),
        },
    )
