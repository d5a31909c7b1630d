"""Reviews: creation, reading, the status workflow, partners and team."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.permissions import Role
from app.core import audit
from app.core.errors import Conflict, Invalid, NotFound, ReadOnly
from app.core.timeutil import utcnow
from app.dataprofile.models import IndicatorValue
from app.evidence.models import Evidence, EvidenceOrganisation
from app.findings.models import ActionItem, Finding, Recommendation
from app.frameworks import service as frameworks
from app.frameworks.models import FrameworkVersion
from app.frameworks.schema import Framework
from app.ratings.models import ModeratedRating, Rating
from app.reviews import workflow
from app.reviews.models import ORGANISATION_TYPES, REVIEW_KINDS, Membership, Organisation, Review

# The review fields people edit, and the report text written by report writers.
DETAIL_FIELDS = (
    "title",
    "place",
    "icb",
    "councils",
    "kind",
    "framework_key",
    "framework_version",
    "fieldwork_start",
    "fieldwork_end",
)
REPORT_TEXT_FIELDS = ("people_experience", "summary", "scope_note")
REPORT_TEXT_MAX = 100_000
ROLES = tuple(role.value for role in Role)

_TEXT_LIMITS: dict[str, tuple[int, str]] = {
    # field: (most characters, what to ask for when it is empty; "" when it may be empty)
    "title": (300, "enter a title for the review"),
    "place": (200, "enter the place whose system is reviewed, such as a county or city"),
    "icb": (200, ""),
}
_COUNCIL_MAX = 200


def review_framework(session: Session, review: Review) -> Framework:
    """The framework version this review is pinned to."""
    return frameworks.get_framework(session, review.framework_key, review.framework_version)


def touch(session: Session, review: Review) -> None:
    """Mark the review's content as changed (feeds the report cache key)."""
    # An SQL increment, so two concurrent writers cannot both store the same revision; the
    # new number comes back with it, so the object stays usable after the session closes.
    now = utcnow()
    revision = session.execute(
        update(Review)
        .where(col(Review.id) == review.id)
        .values(revision=Review.revision + 1, updated_at=now)
        .returning(Review.revision)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(review, "revision", revision)
    set_committed_value(review, "updated_at", now)


def ensure_writable(review: Review) -> None:
    if review.status == "published":
        raise ReadOnly("this review is published and can no longer be changed")


# Details -------------------------------------------------------------------------------------


def _clean_text(name: str, value: object) -> str:
    limit, ask = _TEXT_LIMITS[name]
    if value is not None and not isinstance(value, str):
        raise Invalid("must be text", field=name)
    text = (value or "").strip()
    if ask and not text:
        raise Invalid(ask, field=name)
    if len(text) > limit:
        raise Invalid(f"must be {limit} characters or fewer", field=name)
    return text


def _clean_councils(value: object) -> list[str]:
    """Council names, trimmed, blanks dropped and repeats removed (keeping the order given)."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise Invalid("must be a list of council names", field="councils")
    councils: list[str] = []
    for name in (v.strip() for v in value):
        if len(name) > _COUNCIL_MAX:
            raise Invalid(f"each council name must be {_COUNCIL_MAX} characters or fewer", field="councils")
        if name and name.casefold() not in {c.casefold() for c in councils}:
            councils.append(name)
    return councils


def _clean_kind(value: object) -> str:
    if value not in REVIEW_KINDS:
        raise Invalid(f"must be one of {', '.join(REVIEW_KINDS)}", field="kind")
    return str(value)


def _clean_date(name: str, value: object) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    raise Invalid("must be a date such as 2025-03-17", field=name)


def _check_fieldwork(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and end < start:
        raise Invalid("the end of fieldwork must be on or after its start", field="fieldwork_end")


def _clean_details(data: Mapping[str, object]) -> dict[str, Any]:
    """Checked, tidied values for the review detail fields present in `data`."""
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        if name in _TEXT_LIMITS:
            cleaned[name] = _clean_text(name, value)
        elif name == "councils":
            cleaned[name] = _clean_councils(value)
        elif name == "kind":
            cleaned[name] = _clean_kind(value)
        elif name in ("fieldwork_start", "fieldwork_end"):
            cleaned[name] = _clean_date(name, value)
        else:
            raise Invalid("is not a review detail that can be set here", field=name)
    return cleaned


def _framework_row(session: Session, key: object, version: object) -> FrameworkVersion:
    """The stored framework version, with the field at fault named when there is none."""
    if not isinstance(key, str) or not key:
        raise Invalid("choose a framework from the library", field="framework_key")
    if version is not None and not isinstance(version, str):
        raise Invalid("must be text such as 1.0", field="framework_version")
    try:
        return frameworks.get_version(session, key, version or None)
    except NotFound as exc:
        # A known framework without that version: the version is what is wrong.
        known_key = session.exec(select(FrameworkVersion.id).where(FrameworkVersion.key == key)).first()
        field = "framework_version" if version and known_key is not None else "framework_key"
        raise Invalid(exc.message, field=field) from None


def create_review(
    session: Session,
    *,
    user_id: int,
    title: str,
    place: str,
    kind: str,
    framework_key: str,
    framework_version: str | None = None,
    **fields: object,
) -> Review:
    """Create a review pinned to a framework version (the newest when none is named)."""
    details = _clean_details({"title": title, "place": place, "kind": kind, **fields})
    _check_fieldwork(details.get("fieldwork_start"), details.get("fieldwork_end"))
    row = _framework_row(session, framework_key, framework_version)
    review = Review(framework_key=row.key, framework_version=row.version, **details)
    session.add(review)
    session.flush()
    audit.record(
        session,
        user_id=user_id,
        review_id=review.id,
        entity="review",
        entity_id=review.id,
        action="create",
        after=audit.snapshot(review),
    )
    return review


def _find_user(session: Session, *, email: str | None, user_id: int | None, field: str) -> User:
    """An existing, active account named by email or id; 422 on `field` otherwise."""
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None:
            raise Invalid(f"there is no account with id {user_id}", field=field)
    else:
        if not email or not email.strip():
            raise Invalid("enter the email address of the person's account", field=field)
        user = accounts.user_by_email(session, email)
        if user is None:
            raise Invalid(
                f"there is no account for {email.strip()}: an administrator must create the account first",
                field=field,
            )
    if not user.is_active:
        raise Invalid(f"the account for {user.email} is switched off", field=field)
    return user


def create_review_with_lead(
    session: Session,
    *,
    user_id: int,
    lead_email: str | None = None,
    lead_user_id: int | None = None,
    **details: Any,
) -> Review:
    """An administrator opens a review and names its lead (who may be the administrator)."""
    if lead_email is None and lead_user_id is None:
        raise Invalid("name the review lead by the email address of their account", field="lead_email")
    lead_field = "lead_user_id" if lead_user_id is not None else "lead_email"
    # Check the lead before anything is written, so a bad address leaves no half-made review.
    lead = _find_user(session, email=lead_email, user_id=lead_user_id, field=lead_field)
    review = create_review(session, user_id=user_id, **details)
    _add_membership(session, review=review, user_id=user_id, member=lead, role=Role.lead, organisation=None)
    return review


def _content_counts(session: Session, review_id: int) -> dict[str, int]:
    """What already hangs off the review's framework (lines, categories, indicators)."""

    def count(model: Any) -> int:
        return session.exec(select(func.count()).select_from(model).where(model.review_id == review_id)).one()

    return {
        "evidence items": count(Evidence),
        "ratings": count(Rating) + count(ModeratedRating),
        "data profile figures": count(IndicatorValue),
        "findings": count(Finding),
    }


def framework_lock_reason(session: Session, review: Review) -> str | None:
    """Why the review's framework can no longer change, or None while it still can.

    Evidence, ratings, figures and findings all refer to the framework's lines, categories
    and indicators; swapping the framework under them would leave them pointing at nothing.
    """
    first = workflow.REVIEW_STATUSES[0]
    if review.status != first:
        return f"the framework can only change while the review is in {first}"
    present = [f"{n} {what}" for what, n in _content_counts(session, review.id or 0).items() if n]
    if present:
        return "the framework cannot change once work is recorded against it; this review has " + ", ".join(
            present
        )
    return None


def _repin(session: Session, review: Review, key: object, version: object) -> tuple[str, str] | None:
    """The (key, version) to pin the review to, or None when the framework does not change."""
    row = _framework_row(session, key, version)
    if (row.key, row.version) == (review.framework_key, review.framework_version):
        return None
    reason = framework_lock_reason(session, review)
    if reason is not None:
        raise Conflict(reason, field="framework_key")
    return row.key, row.version


def _apply_changes(
    session: Session,
    review: Review,
    user_id: int,
    fields: list[str],
    changes: Mapping[str, object],
    *,
    action: str,
) -> Review:
    """Set checked values on the review; if anything changed, mark it changed and audit it."""
    before = audit.snapshot(review, fields)
    for name, value in changes.items():
        setattr(review, name, value)
    after = audit.snapshot(review, fields)
    if before != after:
        touch(session, review)
        audit.record(
            session,
            user_id=user_id,
            review_id=review.id,
            entity="review",
            entity_id=review.id,
            action=action,
            before=before,
            after=after,
        )
    return review


def update_review(session: Session, *, review: Review, user_id: int, changes: Mapping[str, object]) -> Review:
    """Change some of the review's details; only the fields present in `changes` are touched."""
    ensure_writable(review)
    changes = dict(changes)
    framework_asked = "framework_key" in changes or "framework_version" in changes
    key = changes.pop("framework_key", review.framework_key)
    version = changes.pop("framework_version", None)
    details = _clean_details(changes)
    _check_fieldwork(
        details.get("fieldwork_start", review.fieldwork_start),
        details.get("fieldwork_end", review.fieldwork_end),
    )
    if framework_asked:
        if version is None and key == review.framework_key:
            version = review.framework_version  # naming the same framework again changes nothing
        pinned = _repin(session, review, key, version)
        if pinned is not None:
            details["framework_key"], details["framework_version"] = pinned
    return _apply_changes(session, review, user_id, list(DETAIL_FIELDS), details, action="update")


def set_report_text(
    session: Session, *, review: Review, user_id: int, changes: Mapping[str, object]
) -> Review:
    """Write the report's opening text (people's experience, summary, scope)."""
    ensure_writable(review)
    cleaned: dict[str, str] = {}
    for name, value in changes.items():
        if name not in REPORT_TEXT_FIELDS:
            raise Invalid("is not a report text field", field=name)
        if value is not None and not isinstance(value, str):
            raise Invalid("must be text", field=name)
        text = (value or "").strip()
        if len(text) > REPORT_TEXT_MAX:
            raise Invalid(f"must be {REPORT_TEXT_MAX:,} characters or fewer", field=name)
        cleaned[name] = text
    return _apply_changes(session, review, user_id, list(REPORT_TEXT_FIELDS), cleaned, action="report_text")


def move_status(session: Session, *, review: Review, user_id: int, status: str) -> Review:
    """Move the review one step along its workflow (or one step back); publishing is final."""
    workflow.check_move(review.status, status)
    fields = ("status", "published_at")
    before = audit.snapshot(review, fields)
    review.status = status
    if status == workflow.FINAL_STATUS:
        review.published_at = utcnow()
    touch(session, review)
    audit.record(
        session,
        user_id=user_id,
        review_id=review.id,
        entity="review",
        entity_id=review.id,
        action="status",
        before=before,
        after=audit.snapshot(review, fields),
    )
    return review


def reviews_for(
    session: Session, user: User, *, status: str | None = None
) -> list[tuple[Review, str | None]]:
    """Reviews the user has a role in, with that role; an administrator sees every review."""
    if status is not None:
        workflow.status_index(status)
    query = select(Review, Membership.role).join(
        Membership,
        (col(Membership.review_id) == col(Review.id)) & (col(Membership.user_id) == user.id),
        isouter=user.is_admin,
    )
    if status is not None:
        query = query.where(Review.status == status)
    rows = session.exec(query.order_by(col(Review.created_at).desc(), col(Review.id).desc())).all()
    return [(review, role) for review, role in rows]


# Partner organisations ----------------------------------------------------------------------


def list_organisations(session: Session, review: Review) -> list[Organisation]:
    """The review's partner organisations, by name."""
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.review_id == review.id)
            .order_by(func.lower(Organisation.name), col(Organisation.id))
        )
    )


def get_organisation(session: Session, review: Review, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or organisation.review_id != review.id:
        raise NotFound("this review has no such partner organisation")
    return organisation


def _clean_organisation(
    session: Session, review: Review, data: Mapping[str, object], *, current: Organisation | None = None
) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for name, value in data.items():
        if name == "name":
            text = value.strip() if isinstance(value, str) else ""
            if not text:
                raise Invalid("enter the organisation's name", field="name")
            if len(text) > 200:
                raise Invalid("must be 200 characters or fewer", field="name")
            clash = session.exec(
                select(Organisation).where(
                    Organisation.review_id == review.id,
                    func.lower(Organisation.name) == text.lower(),
                )
            ).first()
            if clash is not None and (current is None or clash.id != current.id):
                raise Conflict(f"{clash.name} is already a partner in this review", field="name")
            cleaned["name"] = text
        elif name == "org_type":
            if value not in ORGANISATION_TYPES:
                raise Invalid(f"must be one of {', '.join(ORGANISATION_TYPES)}", field="org_type")
            cleaned["org_type"] = str(value)
        else:
            raise Invalid("is not a detail of a partner organisation", field=name)
    return cleaned


def add_organisation(
    session: Session, *, review: Review, user_id: int, name: str, org_type: str
) -> Organisation:
    """Add a partner organisation to the review."""
    ensure_writable(review)
    cleaned = _clean_organisation(session, review, {"name": name, "org_type": org_type})
    organisation = Organisation(review_id=review.id, **cleaned)  # type: ignore[arg-type]
    session.add(organisation)
    session.flush()
    touch(session, review)
    audit.record(
        session,
        user_id=user_id,
        review_id=review.id,
        entity="organisation",
        entity_id=organisation.id,
        action="create",
        after=audit.snapshot(organisation),
    )
    return organisation


def update_organisation(
    session: Session, *, review: Review, user_id: int, organisation_id: int, changes: Mapping[str, object]
) -> Organisation:
    """Rename a partner organisation or change its type."""
    ensure_writable(review)
    organisation = get_organisation(session, review, organisation_id)
    cleaned = _clean_organisation(session, review, changes, current=organisation)
    before = audit.snapshot(organisation)
    for name, value in cleaned.items():
        setattr(organisation, name, value)
    after = audit.snapshot(organisation)
    if before != after:
        session.add(organisation)
        touch(session, review)
        audit.record(
            session,
            user_id=user_id,
            review_id=review.id,
            entity="organisation",
            entity_id=organisation.id,
            action="update",
            before=before,
            after=after,
        )
    return organisation


def organisation_references(session: Session, review: Review, organisation_id: int) -> dict[str, int]:
    """How many records refer to a partner organisation, by what they are (only non-zero counts)."""

    def count(query: Any) -> int:
        return int(session.exec(query).one())

    recommendations = session.exec(
        select(Recommendation.owner_organisation_ids).where(Recommendation.review_id == review.id)
    ).all()
    counts = {
        "evidence items": count(
            select(func.count())
            .select_from(EvidenceOrganisation)
            .where(EvidenceOrganisation.organisation_id == organisation_id)
        ),
        "team members": count(
            select(func.count()).select_from(Membership).where(Membership.organisation_id == organisation_id)
        ),
        "ratings": count(
            select(func.count()).select_from(Rating).where(Rating.organisation_id == organisation_id)
        ),
        "recommendations": sum(1 for owners in recommendations if organisation_id in (owners or [])),
        "actions": count(
            select(func.count())
            .select_from(ActionItem)
            .where(ActionItem.owner_organisation_id == organisation_id)
        ),
    }
    return {what: n for what, n in counts.items() if n}


def delete_organisation(session: Session, *, review: Review, user_id: int, organisation_id: int) -> None:
    """Remove a partner organisation nothing refers to (evidence, members, ratings, actions)."""
    ensure_writable(review)
    organisation = get_organisation(session, review, organisation_id)
    references = organisation_references(session, review, organisation_id)
    if references:
        listed = ", ".join(f"{n} {what}" for what, n in references.items())
        raise Conflict(
            f"{organisation.name} cannot be removed because {listed} refer to it; "
            "change or remove those first",
            field="organisation_id",
        )
    before = audit.snapshot(organisation)
    session.delete(organisation)
    touch(session, review)
    audit.record(
        session,
        user_id=user_id,
        review_id=review.id,
        entity="organisation",
        entity_id=organisation_id,
        action="delete",
        before=before,
    )


# Team ---------------------------------------------------------------------------------------


@dataclass
class TeamMember:
    """A membership with the person and (for self-assessors) the organisation they speak for."""

    membership: Membership
    user: User
    organisation: Organisation | None


def list_members(session: Session, review: Review) -> list[TeamMember]:
    """The review team, leads first, then by role and name."""
    rows = session.exec(
        select(Membership, User, Organisation)
        .join(User, col(User.id) == col(Membership.user_id))
        .join(Organisation, col(Organisation.id) == col(Membership.organisation_id), isouter=True)
        .where(Membership.review_id == review.id)
    ).all()
    members = [TeamMember(m, u, o) for m, u, o in rows]
    members.sort(key=lambda t: (ROLES.index(t.membership.role), t.user.display_name.lower(), t.user.id))
    return members


def team_member(session: Session, review: Review, membership_id: int) -> TeamMember:
    """One member of the review team, with their account and organisation."""
    membership = get_membership(session, review, membership_id)
    user = session.get(User, membership.user_id)
    if user is None:  # the foreign key makes this impossible; say so plainly if it ever happens
        raise NotFound("this team member's account no longer exists")
    organisation = (
        session.get(Organisation, membership.organisation_id) if membership.organisation_id else None
    )
    return TeamMember(membership, user, organisation)


def get_membership(session: Session, review: Review, membership_id: int) -> Membership:
    membership = session.get(Membership, membership_id)
    if membership is None or membership.review_id != review.id:
        raise NotFound("this review has no such team member")
    return membership


def _clean_role(value: object) -> Role:
    try:
        return Role(str(value))
    except ValueError:
        raise Invalid(f"must be one of {', '.join(ROLES)}", field="role") from None


def _member_organisation(
    session: Session, review: Review, role: Role, organisation_id: int | None
) -> Organisation | None:
    """Self-assessors speak for one partner organisation of this review; no one else has one."""
    if role is Role.self_assessor:
        if organisation_id is None:
            raise Invalid(
                "a self-assessor rates from their organisation's view: choose one of the review's "
                "partner organisations",
                field="organisation_id",
            )
        organisation = session.get(Organisation, organisation_id)
        if organisation is None or organisation.review_id != review.id:
            raise Invalid("is not a partner organisation of this review", field="organisation_id")
        return organisation
    if organisation_id is not None:
        raise Invalid(
            f"only self-assessors are tied to a partner organisation; leave it empty for a "
            f"{role.value.replace('_', ' ')}",
            field="organisation_id",
        )
    return None


def _lock_team(session: Session, review: Review) -> None:
    # Two leads stepping down at once must not leave the review with none: serialise team
    # changes on the review row (PostgreSQL; SQLite already serialises writers).
    session.refresh(review, with_for_update=True)


def _lead_count(session: Session, review: Review) -> int:
    return session.exec(
        select(func.count())
        .select_from(Membership)
        .where(Membership.review_id == review.id, Membership.role == Role.lead.value)
    ).one()


def _add_membership(
    session: Session,
    *,
    review: Review,
    user_id: int,
    member: User,
    role: Role,
    organisation: Organisation | None,
) -> Membership:
    membership = Membership(
        review_id=review.id,  # type: ignore[arg-type]
        user_id=member.id,  # type: ignore[arg-type]
        role=role.value,
        organisation_id=organisation.id if organisation else None,
    )
    session.add(membership)
    session.flush()
    touch(session, review)
    audit.record(
        session,
        user_id=user_id,
        review_id=review.id,
        entity="membership",
        entity_id=membership.id,
        action="create",
        after=audit.snapshot(membership),
    )
    return membership


def add_member(
    session: Session,
    *,
    review: Review,
    user_id: int,
    email: str,
    role: str,
    organisation_id: int | None = None,
) -> Membership:
    """Give an existing account a role in the review (self-assessors name their organisation)."""
    ensure_writable(review)
    member = _find_user(session, email=email, user_id=None, field="email")
    checked_role = _clean_role(role)
    organisation = _member_organisation(session, review, checked_role, organisation_id)
    _lock_team(session, review)
    existing = session.exec(
        select(Membership).where(Membership.review_id == review.id, Membership.user_id == member.id)
    ).first()
    if existing is not None:
        raise Conflict(
            f"{member.display_name} is already in this review's team as {existing.role.replace('_', ' ')}; "
            "change their role instead",
            field="email",
        )
    return _add_membership(
        session, review=review, user_id=user_id, member=member, role=checked_role, organisation=organisation
    )


def update_member(
    session: Session, *, review: Review, user_id: int, membership_id: int, changes: Mapping[str, object]
) -> Membership:
    """Change a member's role and/or organisation; the review always keeps a lead.

    When the role changes away from self-assessor and no organisation is given, the
    organisation is cleared, since only self-assessors have one.
    """
    ensure_writable(review)
    unknown = set(changes) - {"role", "organisation_id"}
    if unknown:
        raise Invalid("is not a detail of a team member", field=sorted(unknown)[0])
    _lock_team(session, review)
    membership = get_membership(session, review, membership_id)
    role = _clean_role(changes["role"]) if "role" in changes else Role(membership.role)
    if "organisation_id" in changes:
        raw = changes["organisation_id"]
        if raw is not None and not isinstance(raw, int):
            raise Invalid("must be the id of a partner organisation", field="organisation_id")
        organisation_id = raw
    else:
        organisation_id = membership.organisation_id if role is Role.self_assessor else None
    organisation = _member_organisation(session, review, role, organisation_id)
    if membership.role == Role.lead.value and role is not Role.lead and _lead_count(session, review) <= 1:
        raise Conflict(
            "a review must always have a lead: make someone else lead before changing this role",
            field="role",
        )
    before = audit.snapshot(membership)
    membership.role = role.value
    membership.organisation_id = organisation.id if organisation else None
    after = audit.snapshot(membership)
    if before != after:
        session.add(membership)
        touch(session, review)
        audit.record(
            session,
            user_id=user_id,
            review_id=review.id,
            entity="membership",
            entity_id=membership.id,
            action="update",
            before=before,
            after=after,
        )
    return membership


def remove_member(session: Session, *, review: Review, user_id: int, membership_id: int) -> None:
    """Take someone off the review team; the last lead cannot be removed."""
    ensure_writable(review)
    _lock_team(session, review)
    membership = get_membership(session, review, membership_id)
    if membership.role == Role.lead.value and _lead_count(session, review) <= 1:
        raise Conflict(
            "a review must always have a lead: make someone else lead before removing this one",
            field="role",
        )
    before = audit.snapshot(membership)
    session.delete(membership)
    touch(session, review)
    audit.record(
        session,
        user_id=user_id,
        review_id=review.id,
        entity="membership",
        entity_id=membership_id,
        action="delete",
        before=before,
    )
