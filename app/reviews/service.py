"""Reviews: creation, reading, the status workflow, partners and team."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.permissions import Role
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.text import bounded_text
from app.core.timeutil import utcnow
from app.frameworks import service as frameworks
from app.frameworks.models import FrameworkVersion
from app.reviews import references, workflow
from app.reviews.access import WriteContext
from app.reviews.changes import Write, check_accepts, record, snapshot, touch
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


# Details -------------------------------------------------------------------------------------


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
            limit, ask = _TEXT_LIMITS[name]
            cleaned[name] = bounded_text(name, value, limit, ask=ask)
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


def _creator_context(review: Review, user_id: int | None) -> WriteContext:
    """The write context of the administrator who opens a review: they need no role in it."""
    return WriteContext(review=review, user_id=user_id, role=None, organisation_id=None)


def _add(session: Session, ctx: WriteContext, row: Any, *, entity: str) -> None:
    """Store a new record of the review and record its creation."""
    session.add(row)
    session.flush()
    # The revision is the report cache's bookkeeping, not content anyone wrote.
    after = snapshot(row, [name for name in type(row).model_fields if name != "revision"])
    record(session, ctx, write=Write.setup, entity=entity, entity_id=row.id, action="create", after=after)


def _remove(session: Session, ctx: WriteContext, row: Any, *, entity: str, refused: str) -> None:
    """Delete a record of the review and record it; Conflict(`refused`) when something refers to it."""
    entity_id = row.id
    before = snapshot(row)
    # The foreign keys have the last word, for any record whose package registered no counter.
    try:
        with session.begin_nested():
            session.delete(row)
            session.flush()
    except IntegrityError:
        raise Conflict(refused, field=f"{entity}_id") from None
    record(
        session, ctx, write=Write.setup, entity=entity, entity_id=entity_id, action="delete", before=before
    )


def create_review(
    session: Session,
    *,
    user_id: int | None,
    title: str,
    place: str,
    kind: str,
    framework_key: str,
    framework_version: str | None = None,
    **fields: object,
) -> Review:
    """Create a review pinned to a framework version (the newest when none is named).

    There is no review to take a write context from yet, so the creator is named by `user_id`
    and the opening is recorded with a context built for the new review.
    """
    details = _clean_details({"title": title, "place": place, "kind": kind, **fields})
    _check_fieldwork(details.get("fieldwork_start"), details.get("fieldwork_end"))
    row = _framework_row(session, framework_key, framework_version)
    # Recording the opening counts it as a change like any other; starting one below zero leaves
    # a new review at revision 0, so a revision counts the changes made since it was opened.
    review = Review(framework_key=row.key, framework_version=row.version, revision=-1, **details)
    _add(session, _creator_context(review, user_id), review, entity="review")
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
    user_id: int | None,
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
    _add_membership(
        session, _creator_context(review, user_id), member=lead, role=Role.lead, organisation=None
    )
    return review


def framework_lock_reason(session: Session, review: Review) -> str | None:
    """Why the review's framework can no longer change, or None while it still can.

    Evidence, ratings, figures and findings all refer to the framework's lines, categories
    and indicators; swapping the framework under them would leave them pointing at nothing.
    The packages that hold them say how many there are (`references`).
    """
    first = workflow.REVIEW_STATUSES[0]
    if review.status != first:
        return f"the framework can only change while the review is in {first}"
    present = references.framework_content(session, review)
    if present:
        return "the framework cannot change once work is recorded against it; this review has " + (
            references.listed(present)
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


def _apply(
    session: Session,
    ctx: WriteContext,
    row: Any,
    values: Mapping[str, object],
    *,
    write: Write,
    entity: str,
    action: str,
    fields: tuple[str, ...] | None = None,
) -> None:
    """Set checked values on a review record; when anything changed, record the change."""
    before = snapshot(row, fields)
    for name, value in values.items():
        setattr(row, name, value)
    after = snapshot(row, fields)
    if before != after:
        session.add(row)
        record(
            session,
            ctx,
            write=write,
            entity=entity,
            entity_id=row.id,
            action=action,
            before=before,
            after=after,
        )


def update_review(session: Session, *, ctx: WriteContext, changes: Mapping[str, object]) -> Review:
    """Change some of the review's details; only the fields present in `changes` are touched."""
    check_accepts(ctx.review, Write.setup)
    review = ctx.review
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
    _apply(
        session,
        ctx,
        review,
        details,
        write=Write.setup,
        entity="review",
        action="update",
        fields=DETAIL_FIELDS,
    )
    return review


def set_report_text(session: Session, *, ctx: WriteContext, changes: Mapping[str, object]) -> Review:
    """Write the report's opening text (people's experience, summary, scope)."""
    check_accepts(ctx.review, Write.findings)
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
    _apply(
        session,
        ctx,
        ctx.review,
        cleaned,
        write=Write.findings,
        entity="review",
        action="report_text",
        fields=REPORT_TEXT_FIELDS,
    )
    return ctx.review


def move_status(session: Session, *, ctx: WriteContext, status: str) -> Review:
    """Move the review one step along its workflow (or one step back); publishing is final."""
    review = ctx.review
    workflow.check_move(review.status, status)
    published_at = utcnow() if status == workflow.FINAL_STATUS else review.published_at
    # Recorded before the move: the state table is read for the status the review is leaving
    # (a published review takes no status write, yet the move into publication is one).
    record(
        session,
        ctx,
        write=Write.status,
        entity="review",
        entity_id=review.id,
        action="status",
        before=snapshot(review, ("status", "published_at")),
        after={"status": status, "published_at": published_at},
    )
    review.status = status
    review.published_at = published_at
    session.add(review)
    return review


# Who sees which reviews -----------------------------------------------------------------------


@dataclass
class ReviewRole:
    """One review as seen from one person's account."""

    review: Review
    role: Role | None  # None: an administrator looking at a review they hold no role in


def _with_roles(
    session: Session, user: User, *, every: bool, status: str | None = None
) -> list[tuple[Review, str | None]]:
    """Reviews with the user's role in each, newest first: only theirs, or `every` review."""
    if status is not None:
        workflow.status_index(status)
    query = select(Review, Membership.role).join(
        Membership,
        (col(Membership.review_id) == col(Review.id)) & (col(Membership.user_id) == user.id),
        isouter=every,
    )
    if status is not None:
        query = query.where(Review.status == status)
    rows = session.exec(query.order_by(col(Review.created_at).desc(), col(Review.id).desc())).all()
    return [(review, role) for review, role in rows]


def reviews_for(
    session: Session, user: User, *, status: str | None = None
) -> list[tuple[Review, str | None]]:
    """Reviews the user has a role in, with that role; an administrator sees every review."""
    return _with_roles(session, user, every=user.is_admin, status=status)


def reviews_of(session: Session, user: User) -> list[ReviewRole]:
    """The reviews the user has a role in, newest first (an administrator's own ones too)."""
    return [ReviewRole(review, Role(str(role))) for review, role in _with_roles(session, user, every=False)]


def all_reviews(session: Session, user: User) -> list[ReviewRole]:
    """Every review (administrators only), with the user's own role where they hold one."""
    if not user.is_admin:
        raise Forbidden("only administrators can see every review")
    return [
        ReviewRole(review, Role(role) if role else None)
        for review, role in _with_roles(session, user, every=True)
    ]


def _refresh_reviews_of(session: Session, user: User) -> None:
    """A person's name is printed in the reports of their reviews: a new name is new content."""
    for review, _role in _with_roles(session, user, every=False):
        touch(session, review)


accounts.on_renamed.append(_refresh_reviews_of)


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


def add_organisation(session: Session, *, ctx: WriteContext, name: str, org_type: str) -> Organisation:
    """Add a partner organisation to the review."""
    check_accepts(ctx.review, Write.setup)
    cleaned = _clean_organisation(session, ctx.review, {"name": name, "org_type": org_type})
    organisation = Organisation(review_id=ctx.review.id, **cleaned)  # type: ignore[arg-type]
    _add(session, ctx, organisation, entity="organisation")
    return organisation


def update_organisation(
    session: Session, *, ctx: WriteContext, organisation_id: int, changes: Mapping[str, object]
) -> Organisation:
    """Rename a partner organisation or change its type."""
    check_accepts(ctx.review, Write.setup)
    organisation = get_organisation(session, ctx.review, organisation_id)
    cleaned = _clean_organisation(session, ctx.review, changes, current=organisation)
    _apply(session, ctx, organisation, cleaned, write=Write.setup, entity="organisation", action="update")
    return organisation


def _count_members_of(session: Session, review: Review, organisation_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Membership).where(Membership.organisation_id == organisation_id)
    ).one()


references.register_organisation_counter("team members", _count_members_of)


def organisation_references(session: Session, review: Review, organisation_id: int) -> dict[str, int]:
    """How many records refer to a partner organisation, by what they are (only non-zero counts)."""
    return references.organisation_references(session, review, organisation_id)


def delete_organisation(session: Session, *, ctx: WriteContext, organisation_id: int) -> None:
    """Remove a partner organisation nothing refers to (evidence, members, ratings, actions)."""
    check_accepts(ctx.review, Write.setup)
    organisation = get_organisation(session, ctx.review, organisation_id)
    found = organisation_references(session, ctx.review, organisation_id)
    refused = (
        f"{organisation.name} cannot be removed because {references.listed(found) or 'other records'} "
        "refer to it; change or remove those first"
    )
    if found:
        raise Conflict(refused, field="organisation_id")
    _remove(session, ctx, organisation, entity="organisation", refused=refused)


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
    ctx: WriteContext,
    *,
    member: User,
    role: Role,
    organisation: Organisation | None,
) -> Membership:
    membership = Membership(
        review_id=ctx.review.id,  # type: ignore[arg-type]
        user_id=member.id,  # type: ignore[arg-type]
        role=role.value,
        organisation_id=organisation.id if organisation else None,
    )
    _add(session, ctx, membership, entity="membership")
    return membership


def add_member(
    session: Session,
    *,
    ctx: WriteContext,
    email: str,
    role: str,
    organisation_id: int | None = None,
) -> Membership:
    """Give an existing account a role in the review (self-assessors name their organisation)."""
    check_accepts(ctx.review, Write.setup)
    review = ctx.review
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
    return _add_membership(session, ctx, member=member, role=checked_role, organisation=organisation)


def update_member(
    session: Session, *, ctx: WriteContext, membership_id: int, changes: Mapping[str, object]
) -> Membership:
    """Change a member's role and/or organisation; the review always keeps a lead.

    When the role changes away from self-assessor and no organisation is given, the
    organisation is cleared, since only self-assessors have one.
    """
    check_accepts(ctx.review, Write.setup)
    review = ctx.review
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
    values = {"role": role.value, "organisation_id": organisation.id if organisation else None}
    _apply(session, ctx, membership, values, write=Write.setup, entity="membership", action="update")
    return membership


def remove_member(session: Session, *, ctx: WriteContext, membership_id: int) -> None:
    """Take someone off the review team; the last lead cannot be removed."""
    check_accepts(ctx.review, Write.setup)
    review = ctx.review
    _lock_team(session, review)
    membership = get_membership(session, review, membership_id)
    if membership.role == Role.lead.value and _lead_count(session, review) <= 1:
        raise Conflict(
            "a review must always have a lead: make someone else lead before removing this one",
            field="role",
        )
    _remove(session, ctx, membership, entity="membership", refused="other records still refer to this member")
