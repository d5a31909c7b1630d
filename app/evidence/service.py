"""Evidence: capture (idempotent by client-chosen id), replacement with history, soft delete,
restore, and listing with filters.

Review teams enter evidence on tablets over poor Wi-Fi, so every write can arrive twice: the
client picks the id (a UUID) and a repeat of a stored write changes nothing. The rules that
check an item against its review (framework keys, partners, team) are in one place,
`EvidenceRules`, used by the API, the web form and the bulk import alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import String, cast, delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.accounts.permissions import Action, Role, allows
from app.core import audit
from app.core.errors import Conflict, Invalid, InvalidMany, NotFound
from app.core.models_base import aware
from app.core.text import render_markdown
from app.core.timeutil import utcnow
from app.evidence.coverage import coverage_summary, review_coverage
from app.evidence.models import (
    POLARITIES,
    Attachment,
    Evidence,
    EvidenceLine,
    EvidenceOrganisation,
    EvidenceStage,
    EvidenceVersion,
)
from app.evidence.schemas import (
    AttachmentRef,
    EvidenceBase,
    EvidenceFilters,
    EvidenceHistory,
    EvidencePage,
    EvidencePublic,
    EvidenceVersionPublic,
    LineRef,
    NamedKey,
    OrganisationRef,
    PersonRef,
)
from app.frameworks.schema import Framework
from app.reviews import changes as reviews
from app.reviews import overview, references
from app.reviews.models import Membership, Organisation, Review

__all__ = [
    "EvidenceContent",
    "EvidenceRules",
    "canonical_id",
    "check_evidence",
    "coverage_summary",
    "create_evidence",
    "delete_evidence",
    "evidence_problems",
    "evidence_rules",
    "get_evidence",
    "list_evidence",
    "evidence_history",
    "put_evidence",
    "restore_evidence",
    "review_coverage",
]

TITLE_MAX = 300
NARRATIVE_MAX = 50_000
QUOTE_MAX = 5_000
TAG_MAX = 50
TAGS_MAX = 30
PER_PAGE_MAX = 200
ENTITY = "evidence"

# The latest calendar date anywhere (UTC+14): a team member entering today's date late in the
# evening, in any time zone, is not refused as "in the future".
_AHEAD_OF_UTC = dt.timedelta(hours=14)

T = TypeVar("T")


# Ids ------------------------------------------------------------------------------------------


def canonical_id(value: str | None, *, field: str = "evidence_id") -> str:
    """The canonical (lower-case, hyphenated) form of a client-chosen UUID, or Invalid naming `field`."""
    try:
        return str(uuid.UUID(str(value).strip()))
    except (ValueError, AttributeError, TypeError):
        raise Invalid(
            f"'{value}' is not a valid id: use a UUID such as 3f2b8c1e-6d4a-4b7e-9c0d-2a1b3c4d5e6f",
            field=field,
        ) from None


def live_evidence(
    session: Session, review: Review, ids: Iterable[object], *, field: str = "cited_evidence"
) -> list[Evidence]:
    """The cited items, in the order given and without repeats, once each is known to be live
    evidence of this review; otherwise Invalid naming `field` and the first bad id. Ratings,
    moderation and findings all cite evidence through this one check."""
    wanted: list[str] = []
    for raw in ids:
        if raw is None or not str(raw).strip():
            continue
        try:
            wanted.append(str(uuid.UUID(str(raw).strip())))
        except ValueError:
            raise Invalid(f"'{raw}' is not an evidence id", field=field) from None
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return []
    rows = session.exec(
        select(Evidence).where(
            Evidence.review_id == review.id, col(Evidence.id).in_(wanted), col(Evidence.deleted_at).is_(None)
        )
    ).all()
    found = {row.id: row for row in rows}
    for evidence_id in wanted:
        if evidence_id not in found:
            raise Invalid(
                f"evidence '{evidence_id}' is not evidence of this review, or has been deleted", field=field
            )
    return [found[i] for i in wanted]


def new_id() -> str:
    """A fresh id for an item the server is asked to name (a form, or a POST without an id)."""
    return str(uuid.uuid4())


# Content and its rules ------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceContent:
    """An item's content after normalising: what is hashed, kept in history and audited."""

    title: str
    narrative: str
    source_type: str
    category: str
    polarity: str
    collected_on: dt.date
    collected_by: int
    quote: str
    tags: tuple[str, ...]
    lines: tuple[str, ...]  # framework order
    stages: tuple[str, ...]  # framework order
    organisations: tuple[int, ...]  # ascending ids

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "narrative": self.narrative,
            "source_type": self.source_type,
            "category": self.category,
            "polarity": self.polarity,
            "collected_on": self.collected_on.isoformat(),
            "collected_by": self.collected_by,
            "quote": self.quote,
            "tags": list(self.tags),
            "lines": list(self.lines),
            "stages": list(self.stages),
            "organisations": list(self.organisations),
        }

    def digest(self) -> str:
        """SHA-256 of the canonical JSON: equal content, equal digest, whatever order it came in."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def collector_roles() -> list[str]:
    """Roles whose holders can be named as having collected evidence: the review team, i.e.
    everyone the permission table lets read evidence before publication."""
    return [role.value for role in Role if allows(role, Action.read_evidence, published=False)]


@dataclass(frozen=True)
class EvidenceRules:
    """What an item is checked against for one review, loaded once (reuse it for many items)."""

    review_id: int
    framework: Framework
    partners: dict[int, Organisation]
    team: dict[int, str]  # user id -> name of the members who may be named as collector

    def line_keys(self) -> list[str]:
        return self.framework.refs()

    def stage_keys(self) -> list[str]:
        return [stage.key for stage in self.framework.pathway_stages]

    def category_keys(self) -> list[str]:
        return [category.key for category in self.framework.evidence_categories]

    def source_type_keys(self) -> list[str]:
        return [source.key for source in self.framework.source_types]


def evidence_rules(session: Session, review: Review) -> EvidenceRules:
    """Load the rules for one review: its framework, partner organisations and team (3 queries)."""
    framework = reviews.review_framework(session, review)
    partners = {
        org.id: org
        for org in session.exec(select(Organisation).where(Organisation.review_id == review.id))
        if org.id is not None
    }
    team = {
        user_id: name
        for user_id, name in session.exec(
            select(User.id, User.display_name)
            .join(Membership, col(Membership.user_id) == col(User.id))
            .where(Membership.review_id == review.id, col(Membership.role).in_(collector_roles()))
        )
    }
    return EvidenceRules(review.id or 0, framework, partners, team)


def latest_date() -> dt.date:
    """The latest date that is not yet in the future somewhere."""
    return (utcnow() + _AHEAD_OF_UTC).date()


def _text(value: str) -> str:
    # Forms send CRLF and tablets add trailing spaces; neither should count as a change.
    lines = (value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _in_order(values: Iterable[T], order: Sequence[T]) -> tuple[T, ...]:
    wanted = set(values)
    return tuple(item for item in order if item in wanted)


def _choice(
    problems: list[dict[str, str]], field: str, raw: str, allowed: list[str], noun: str, ask: str
) -> str:
    value = raw.strip().lower()
    if not value:
        problems.append({"field": field, "message": ask})
    elif value not in allowed:
        message = f"'{raw.strip()}' is not {noun} of this framework; use one of: {', '.join(allowed)}"
        problems.append({"field": field, "message": message})
    return value


def _are(items: list[str]) -> str:
    return "is" if len(items) == 1 else "are"


def _normalise(
    rules: EvidenceRules, data: EvidenceBase, *, actor_id: int, existing: Evidence | None
) -> tuple[EvidenceContent | None, list[dict[str, str]]]:
    problems: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        problems.append({"field": field, "message": message})

    title = _one_line(data.title)
    if not title:
        bad("title", "enter a title")
    elif len(title) > TITLE_MAX:
        bad("title", f"the title must be {TITLE_MAX} characters or fewer (it has {len(title)})")
    narrative = _text(data.narrative)
    if len(narrative) > NARRATIVE_MAX:
        bad(
            "narrative",
            f"the notes must be {NARRATIVE_MAX:,} characters or fewer (they have {len(narrative):,})",
        )
    quote = _text(data.quote)
    if len(quote) > QUOTE_MAX:
        bad("quote", f"the quote must be {QUOTE_MAX:,} characters or fewer (it has {len(quote):,})")

    source_type = _choice(
        problems,
        "source_type",
        data.source_type,
        rules.source_type_keys(),
        "a source type",
        "choose the type of source",
    )
    category = _choice(
        problems,
        "category",
        data.category,
        rules.category_keys(),
        "an evidence category",
        "choose the evidence category",
    )
    polarity = data.polarity.strip().lower()
    if polarity not in POLARITIES:
        bad(
            "polarity",
            "choose whether this is a strength, a concern or context"
            if not polarity
            else f"'{data.polarity.strip()}' is not a polarity; use one of: {', '.join(POLARITIES)}",
        )

    refs = [ref.strip().upper() for ref in data.lines if ref.strip()]
    known_refs = set(rules.line_keys())
    unknown_refs = sorted({ref for ref in refs if ref not in known_refs})
    fw = rules.framework
    if not refs:
        bad("lines", "choose at least one line of enquiry")
    elif unknown_refs:
        bad(
            "lines",
            f"{', '.join(unknown_refs)} {_are(unknown_refs)} not a line of enquiry of the framework "
            f"this review uses ({fw.title}, version {fw.version})",
        )

    stages = [stage.strip().lower() for stage in data.stages if stage.strip()]
    unknown_stages = sorted({stage for stage in stages if stage not in rules.stage_keys()})
    if unknown_stages:
        bad(
            "stages",
            f"{', '.join(unknown_stages)} {_are(unknown_stages)} not a pathway stage of this framework; "
            f"use any of: {', '.join(rules.stage_keys())}",
        )

    unknown_orgs = sorted({org for org in data.organisations if org not in rules.partners})
    if unknown_orgs:
        bad(
            "organisations",
            f"organisation {', '.join(str(o) for o in unknown_orgs)} {_are([str(o) for o in unknown_orgs])} "
            "not a partner in this review",
        )

    collected_on = data.collected_on or (existing.collected_on if existing else utcnow().date())
    if collected_on > latest_date():
        bad("collected_on", "the date collected cannot be in the future")

    collected_by = data.collected_by or (existing.collected_by_id if existing else actor_id)
    # The caller (an administrator may have no role) and a collector already stored (who may
    # since have left the team) stay valid, so editing an old item never fails on a field
    # nobody touched.
    if (
        collected_by not in rules.team
        and collected_by != actor_id
        and (existing is None or collected_by != existing.collected_by_id)
    ):
        bad("collected_by", f"user {collected_by} is not a member of this review's team")

    tags = sorted({_one_line(tag).lower() for tag in data.tags if _one_line(tag)})
    long_tags = [tag for tag in tags if len(tag) > TAG_MAX]
    if long_tags:
        bad("tags", f"each tag must be {TAG_MAX} characters or fewer ('{long_tags[0][:TAG_MAX]}…' is longer)")
    elif len(tags) > TAGS_MAX:
        bad("tags", f"use {TAGS_MAX} tags or fewer (there are {len(tags)})")

    if problems:
        return None, problems
    content = EvidenceContent(
        title=title,
        narrative=narrative,
        source_type=source_type,
        category=category,
        polarity=polarity,
        collected_on=collected_on,
        collected_by=collected_by,
        quote=quote,
        tags=tuple(tags),
        lines=_in_order(refs, rules.line_keys()),
        stages=_in_order(stages, rules.stage_keys()),
        organisations=tuple(sorted(set(data.organisations))),
    )
    return content, []


def evidence_problems(
    rules: EvidenceRules, data: EvidenceBase, *, actor_id: int, existing: Evidence | None = None
) -> list[dict[str, str]]:
    """Every problem with an item, as [{"field", "message"}] (empty when it is valid)."""
    return _normalise(rules, data, actor_id=actor_id, existing=existing)[1]


def check_evidence(
    rules: EvidenceRules, data: EvidenceBase, *, actor_id: int, existing: Evidence | None = None
) -> EvidenceContent:
    """The normalised content of a valid item; raises Invalid (one problem) or InvalidMany.

    Defaults: the date collected is today for a new item and the stored date when replacing;
    the collector is the caller for a new item and the stored collector when replacing.
    """
    content, problems = _normalise(rules, data, actor_id=actor_id, existing=existing)
    if problems:
        raise invalid(problems)
    assert content is not None
    return content


def invalid(problems: list[dict[str, str]]) -> Invalid:
    """One error for a list of field problems; the detail names every field."""
    if len(problems) == 1:
        return Invalid(problems[0]["message"], field=problems[0]["field"])
    detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return InvalidMany(detail, errors=list(problems))  # type: ignore[arg-type]


# Writes -----------------------------------------------------------------------------------------


def _stored_content(session: Session, rules: EvidenceRules, row: Evidence) -> EvidenceContent:
    refs = session.exec(select(EvidenceLine.ref).where(EvidenceLine.evidence_id == row.id)).all()
    stages = session.exec(select(EvidenceStage.stage).where(EvidenceStage.evidence_id == row.id)).all()
    orgs = session.exec(
        select(EvidenceOrganisation.organisation_id).where(EvidenceOrganisation.evidence_id == row.id)
    ).all()
    return EvidenceContent(
        title=row.title,
        narrative=row.narrative,
        source_type=row.source_type,
        category=row.category,
        polarity=row.polarity,
        collected_on=row.collected_on,
        collected_by=row.collected_by_id,
        quote=row.quote,
        tags=tuple(row.tags),
        # Anything the framework no longer lists still belongs in the history, after the rest.
        lines=_in_order(refs, rules.line_keys()) + tuple(sorted(set(refs) - set(rules.line_keys()))),
        stages=_in_order(stages, rules.stage_keys()) + tuple(sorted(set(stages) - set(rules.stage_keys()))),
        organisations=tuple(sorted(orgs)),
    )


def _apply(row: Evidence, content: EvidenceContent) -> None:
    row.title = content.title
    row.narrative = content.narrative
    row.source_type = content.source_type
    row.category = content.category
    row.polarity = content.polarity
    row.collected_on = content.collected_on
    row.collected_by_id = content.collected_by
    row.quote = content.quote
    row.tags = list(content.tags)
    row.content_hash = content.digest()


def _write_links(
    session: Session, evidence_id: str, old: EvidenceContent | None, new: EvidenceContent
) -> None:
    """Add and remove link rows so they match `new` (only what changed is touched)."""
    pairs: list[tuple[type[Any], str, Iterable[Any], Iterable[Any]]] = [
        (EvidenceLine, "ref", old.lines if old else (), new.lines),
        (EvidenceStage, "stage", old.stages if old else (), new.stages),
        (EvidenceOrganisation, "organisation_id", old.organisations if old else (), new.organisations),
    ]
    for model, column, before, after in pairs:
        removed = set(before) - set(after)
        if removed:
            session.exec(  # type: ignore[call-overload]
                delete(model).where(
                    getattr(model, "evidence_id") == evidence_id,  # noqa: B009
                    getattr(model, column).in_(removed),
                )
            )
        for value in after:
            if value not in set(before):
                session.add(model(evidence_id=evidence_id, **{column: value}))


def _insert(
    session: Session, *, review: Review, user: User, evidence_id: str, content: EvidenceContent
) -> Evidence | None:
    """Insert a new item, or return None when another request stored this id first.

    Two clients (or one client retrying) may send the same new id at once. The insert runs in a
    savepoint so that losing that race leaves the rest of the unit of work usable; the caller
    then treats the request as a replace of what the winner stored.
    """
    now = utcnow()
    row = Evidence(
        id=evidence_id,
        review_id=review.id,
        collected_by_id=content.collected_by,
        collected_on=content.collected_on,
        title=content.title,
        source_type=content.source_type,
        category=content.category,
        polarity=content.polarity,
        content_hash="",
        created_at=now,
        updated_at=now,
        updated_by_id=user.id,
    )
    _apply(row, content)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        if session.get(Evidence, evidence_id, populate_existing=True) is None:
            raise  # not the race: some other constraint failed
        return None
    _write_links(session, evidence_id, None, content)
    audit.record(
        session,
        user_id=user.id,
        review_id=review.id,
        entity=ENTITY,
        entity_id=evidence_id,
        action="create",
        after={**content.as_dict(), "version": 1},
    )
    reviews.touch(session, review)
    session.flush()
    return row


def _locked(session: Session, evidence_id: str) -> Evidence | None:
    # FOR UPDATE on PostgreSQL makes concurrent replaces of one item queue up, so each sees the
    # version the other wrote; SQLite's writers are already serialised by BEGIN IMMEDIATE.
    return session.get(Evidence, evidence_id, with_for_update=True, populate_existing=True)


def _check_owned(row: Evidence, review: Review, field: str) -> None:
    if row.review_id != review.id:
        # Never say where the id is used: that would confirm evidence in a review the caller
        # may not belong to.
        raise Conflict(
            "this id is already used by other evidence; create the item with a new id", field=field
        )


def _when(moment: dt.datetime | None) -> str:
    moment = aware(moment)
    if moment is None:
        return "an unknown time"
    return f"{moment:%H:%M} on {moment.day} {moment:%B %Y} (UTC)"


def _stale(session: Session, row: Evidence, sent: int) -> Conflict:
    who = session.get(User, row.updated_by_id or row.collected_by_id)
    name = who.display_name if who else "someone"
    return Conflict(
        f"this evidence was changed by {name} at {_when(row.updated_at)} since you loaded it "
        f"(you edited version {sent}; it is now version {row.version}). "
        "Nothing was saved: reload it and make your change again.",
        field="version",
    )


def _replace(
    session: Session,
    *,
    review: Review,
    user: User,
    row: Evidence,
    data: EvidenceBase,
    rules: EvidenceRules,
    reason: str,
    if_match: int | None,
) -> EvidencePublic:
    if row.deleted_at is not None:
        raise Conflict("this evidence has been deleted; the review lead can restore it before it is changed")
    content = check_evidence(rules, data, actor_id=user.id or 0, existing=row)
    digest = content.digest()
    if digest == row.content_hash:
        # A repeat of a write already stored (a retry, or a double submit). The If-Match of the
        # first attempt is stale by now, so it is checked only when something would change.
        return _views(session, review, rules.framework, [row])[0]
    if if_match is not None and if_match != row.version:
        raise _stale(session, row, if_match)
    before = _stored_content(session, rules, row)
    now = utcnow()
    reason = reason.strip()
    session.add(
        EvidenceVersion(
            evidence_id=row.id,
            version=row.version,
            snapshot=before.as_dict(),
            reason=reason,
            changed_by_id=user.id,
            changed_at=now,
        )
    )
    _write_links(session, row.id, before, content)
    old_version = row.version
    _apply(row, content)
    row.version = old_version + 1
    row.updated_at = now
    row.updated_by_id = user.id
    session.add(row)
    audit.record(
        session,
        user_id=user.id,
        review_id=review.id,
        entity=ENTITY,
        entity_id=row.id,
        action="update",
        before={**before.as_dict(), "version": old_version},
        after={**content.as_dict(), "version": row.version},
        reason=reason,
    )
    reviews.touch(session, review)
    session.flush()
    return _views(session, review, rules.framework, [row])[0]


def put_evidence(
    session: Session,
    *,
    review: Review,
    user: User,
    evidence_id: str,
    data: EvidenceBase,
    reason: str = "",
    if_match: int | None = None,
    rules: EvidenceRules | None = None,
) -> tuple[EvidencePublic, bool]:
    """Create or replace the item with this client-chosen id; returns (item, created).

    The same content again changes nothing (no new version, no audit row). Different content
    keeps the previous version in the history with `reason`. `if_match` is the version the
    client last read: when it is stale nothing is stored (Conflict). An id used in another
    review is a Conflict that says nothing about that review.
    """
    evidence_id = canonical_id(evidence_id)
    rules = rules or evidence_rules(session, review)
    row = _locked(session, evidence_id)
    if row is None:
        if if_match:
            raise Conflict(
                f"there is no stored version {if_match} of this evidence to replace; "
                "send it without If-Match to create it",
                field="version",
            )
        content = check_evidence(rules, data, actor_id=user.id or 0)
        created = _insert(session, review=review, user=user, evidence_id=evidence_id, content=content)
        if created is not None:
            links = _new_item_links(rules, created, content, user)
            return _views(session, review, rules.framework, [created], links)[0], True
        row = _locked(session, evidence_id)
        assert row is not None
    _check_owned(row, review, "evidence_id")
    view = _replace(
        session, review=review, user=user, row=row, data=data, rules=rules, reason=reason, if_match=if_match
    )
    return view, False


def create_evidence(
    session: Session,
    *,
    review: Review,
    user: User,
    data: EvidenceBase,
    evidence_id: str | None = None,
    rules: EvidenceRules | None = None,
) -> tuple[EvidencePublic, bool]:
    """Add an item (POST); returns (item, created).

    The client may choose the id: sending the same id with the same content again returns the
    stored item (a safe retry); the same id with different content is a Conflict (use PUT to
    replace an item).
    """
    evidence_id = canonical_id(evidence_id, field="id") if evidence_id else new_id()
    rules = rules or evidence_rules(session, review)
    row = _locked(session, evidence_id)
    if row is None:
        content = check_evidence(rules, data, actor_id=user.id or 0)
        created = _insert(session, review=review, user=user, evidence_id=evidence_id, content=content)
        if created is not None:
            links = _new_item_links(rules, created, content, user)
            return _views(session, review, rules.framework, [created], links)[0], True
        row = _locked(session, evidence_id)
        assert row is not None
    _check_owned(row, review, "id")
    content = check_evidence(rules, data, actor_id=user.id or 0, existing=row)
    if row.deleted_at is not None or content.digest() != row.content_hash:
        raise Conflict(
            "evidence with this id already exists with different content; "
            "replace it with PUT, or create the new item with a new id",
            field="id",
        )
    return _views(session, review, rules.framework, [row])[0], False


def _row(
    session: Session, review: Review, evidence_id: str, *, include_deleted: bool, for_update: bool = False
) -> Evidence:
    try:
        evidence_id = canonical_id(evidence_id)
    except Invalid:
        raise NotFound("evidence not found") from None
    row = _locked(session, evidence_id) if for_update else session.get(Evidence, evidence_id)
    if row is None or row.review_id != review.id or (row.deleted_at is not None and not include_deleted):
        raise NotFound("evidence not found")
    return row


def delete_evidence(
    session: Session, *, review: Review, user: User, evidence_id: str, reason: str = ""
) -> None:
    """Soft-delete an item: it leaves lists, coverage and the report; the lead can restore it.
    Deleting an item already deleted changes nothing."""
    row = _row(session, review, evidence_id, include_deleted=True, for_update=True)
    if row.deleted_at is not None:
        return
    row.deleted_at = utcnow()
    row.deleted_by_id = user.id
    session.add(row)
    audit.record(
        session,
        user_id=user.id,
        review_id=review.id,
        entity=ENTITY,
        entity_id=row.id,
        action="delete",
        before={"deleted_at": None, "deleted_by_id": None},
        after={"deleted_at": row.deleted_at, "deleted_by_id": user.id},
        reason=reason.strip(),
    )
    reviews.touch(session, review)
    session.flush()


def restore_evidence(
    session: Session, *, review: Review, user: User, evidence_id: str, reason: str = ""
) -> EvidencePublic:
    """Undo a soft delete (the route allows only the lead). Restoring a live item changes nothing."""
    row = _row(session, review, evidence_id, include_deleted=True, for_update=True)
    framework = reviews.review_framework(session, review)
    if row.deleted_at is None:
        return _views(session, review, framework, [row])[0]
    before = {"deleted_at": row.deleted_at, "deleted_by_id": row.deleted_by_id}
    row.deleted_at = None
    row.deleted_by_id = None
    session.add(row)
    audit.record(
        session,
        user_id=user.id,
        review_id=review.id,
        entity=ENTITY,
        entity_id=row.id,
        action="restore",
        before=before,
        after={"deleted_at": None, "deleted_by_id": None},
        reason=reason.strip(),
    )
    reviews.touch(session, review)
    session.flush()
    return _views(session, review, framework, [row])[0]


# Reads -------------------------------------------------------------------------------------------


def _grouped(pairs: Iterable[tuple[str, T]]) -> dict[str, list[T]]:
    out: dict[str, list[T]] = defaultdict(list)
    for key, value in pairs:
        out[key].append(value)
    return out


def _attachment_url(review_id: int, evidence_id: str, attachment_id: int) -> str:
    return f"/api/v1/reviews/{review_id}/evidence/{evidence_id}/attachments/{attachment_id}"


@dataclass(frozen=True)
class _Links:
    """What hangs off a set of items: lines, stages, partners, live files, people's names."""

    lines: dict[str, list[str]]
    stages: dict[str, list[str]]
    organisations: dict[str, list[Organisation]]
    attachments: dict[str, list[Attachment]]
    people: dict[int, str]


def _load_links(session: Session, rows: Sequence[Evidence]) -> _Links:
    """Everything the representations need, in five queries whatever the number of items."""
    ids = [row.id for row in rows]
    lines = _grouped(
        session.exec(
            select(EvidenceLine.evidence_id, EvidenceLine.ref).where(col(EvidenceLine.evidence_id).in_(ids))
        )
    )
    stages = _grouped(
        session.exec(
            select(EvidenceStage.evidence_id, EvidenceStage.stage).where(
                col(EvidenceStage.evidence_id).in_(ids)
            )
        )
    )
    organisations = _grouped(
        session.exec(
            select(EvidenceOrganisation.evidence_id, Organisation)
            .join(Organisation, col(Organisation.id) == col(EvidenceOrganisation.organisation_id))
            .where(col(EvidenceOrganisation.evidence_id).in_(ids))
            .order_by(col(Organisation.name))
        )
    )
    attachments = _grouped(
        (a.evidence_id, a)
        for a in session.exec(
            select(Attachment)
            .where(col(Attachment.evidence_id).in_(ids), col(Attachment.deleted_at).is_(None))
            .order_by(col(Attachment.uploaded_at), col(Attachment.id))
        )
    )
    people_ids = {row.collected_by_id for row in rows} | {
        row.updated_by_id for row in rows if row.updated_by_id
    }
    people = dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(people_ids))).all())
    return _Links(lines, stages, organisations, attachments, people)


def _new_item_links(rules: EvidenceRules, row: Evidence, content: EvidenceContent, user: User) -> _Links:
    """The links of an item just inserted, from what the request already holds (no queries)."""
    partners = sorted((rules.partners[i] for i in content.organisations), key=lambda org: org.name)
    people = {user.id or 0: user.display_name, **rules.team}
    return _Links(
        lines={row.id: list(content.lines)},
        stages={row.id: list(content.stages)},
        organisations={row.id: partners},
        attachments={},
        people=people,
    )


def _views(
    session: Session,
    review: Review,
    framework: Framework,
    rows: Sequence[Evidence],
    links: _Links | None = None,
) -> list[EvidencePublic]:
    """Full representations of many items (five queries unless the links are given)."""
    if not rows:
        return []
    links = links or _load_links(session, rows)
    lines, stages, organisations = links.lines, links.stages, links.organisations
    attachments, people = links.attachments, links.people

    line_index = {
        line.ref: (position, domain, line) for position, (domain, line) in enumerate(framework.lines())
    }
    stage_names = {stage.key: stage.name for stage in framework.pathway_stages}
    stage_order = {stage.key: position for position, stage in enumerate(framework.pathway_stages)}
    categories = {c.key: c.name for c in framework.evidence_categories}
    sources = {s.key: s.name for s in framework.source_types}
    far = len(line_index)

    def line_ref(ref: str) -> LineRef:
        if ref in line_index:
            _, domain, line = line_index[ref]
            return LineRef(ref=ref, question=line.question, domain_key=domain.key, domain_name=domain.name)
        return LineRef(ref=ref, question="", domain_key="", domain_name="")

    views = []
    for row in rows:
        refs = sorted(lines.get(row.id, []), key=lambda r: (line_index.get(r, (far,))[0], r))
        keys = sorted(stages.get(row.id, []), key=lambda s: (stage_order.get(s, far), s))
        views.append(
            EvidencePublic(
                id=row.id,
                review_id=row.review_id,
                title=row.title,
                narrative=row.narrative,
                narrative_html=str(render_markdown(row.narrative)),
                source_type=row.source_type,
                source_type_name=sources.get(row.source_type, row.source_type),
                category=row.category,
                category_name=categories.get(row.category, row.category),
                polarity=row.polarity,
                lines=[line_ref(ref) for ref in refs],
                stages=[NamedKey(key=key, name=stage_names.get(key, key)) for key in keys],
                organisations=[
                    OrganisationRef(id=org.id or 0, name=org.name, type=org.org_type)
                    for org in organisations.get(row.id, [])
                ],
                collected_on=row.collected_on,
                collected_by=PersonRef(id=row.collected_by_id, name=people.get(row.collected_by_id, "")),
                quote=row.quote,
                tags=list(row.tags),
                attachments=[
                    AttachmentRef(
                        id=a.id or 0,
                        name=a.original_name,
                        size=a.size,
                        content_type=a.content_type,
                        url=_attachment_url(row.review_id, row.id, a.id or 0),
                    )
                    for a in attachments.get(row.id, [])
                ],
                version=row.version,
                created_at=aware(row.created_at),  # type: ignore[arg-type]
                updated_at=aware(row.updated_at),  # type: ignore[arg-type]
                updated_by=PersonRef(id=row.updated_by_id, name=people.get(row.updated_by_id, ""))
                if row.updated_by_id
                else None,
                deleted=row.deleted_at is not None,
                deleted_at=aware(row.deleted_at),
            )
        )
    return views


def get_evidence(
    session: Session, *, review: Review, evidence_id: str, include_deleted: bool = False
) -> EvidencePublic:
    """One item; a deleted item only when `include_deleted` (the lead, who can restore it)."""
    row = _row(session, review, evidence_id, include_deleted=include_deleted)
    return _views(session, review, reviews.review_framework(session, review), [row])[0]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _known(value: str, allowed: Iterable[str], field: str, noun: str) -> None:
    allowed = list(allowed)
    if value not in allowed:
        raise Invalid(
            f"'{value}' is not {noun} of this framework; use one of: {', '.join(allowed)}", field=field
        )


def _conditions(review: Review, framework: Framework, filters: EvidenceFilters) -> list[Any]:
    """WHERE clauses for the filters; an unknown key is refused, naming the filter."""
    conditions: list[Any] = [Evidence.review_id == review.id]
    if not filters.include_deleted:
        conditions.append(col(Evidence.deleted_at).is_(None))
    if filters.ref:
        ref = filters.ref.strip().upper()
        _known(ref, framework.refs(), "ref", "a line of enquiry")
        conditions.append(
            select(EvidenceLine.evidence_id)
            .where(EvidenceLine.evidence_id == Evidence.id, EvidenceLine.ref == ref)
            .exists()
        )
    if filters.domain:
        domains = {d.key: d for d in framework.domains}
        _known(filters.domain, domains, "domain", "a domain")
        refs = [line.ref for line in domains[filters.domain].lines]
        conditions.append(
            select(EvidenceLine.evidence_id)
            .where(EvidenceLine.evidence_id == Evidence.id, col(EvidenceLine.ref).in_(refs))
            .exists()
        )
    if filters.category:
        _known(
            filters.category,
            [c.key for c in framework.evidence_categories],
            "category",
            "an evidence category",
        )
        conditions.append(Evidence.category == filters.category)
    if filters.source_type:
        _known(filters.source_type, [s.key for s in framework.source_types], "source_type", "a source type")
        conditions.append(Evidence.source_type == filters.source_type)
    if filters.stage:
        _known(filters.stage, [s.key for s in framework.pathway_stages], "stage", "a pathway stage")
        conditions.append(
            select(EvidenceStage.evidence_id)
            .where(EvidenceStage.evidence_id == Evidence.id, EvidenceStage.stage == filters.stage)
            .exists()
        )
    if filters.organisation is not None:
        conditions.append(
            select(EvidenceOrganisation.evidence_id)
            .where(
                EvidenceOrganisation.evidence_id == Evidence.id,
                EvidenceOrganisation.organisation_id == filters.organisation,
            )
            .exists()
        )
    if filters.polarity:
        if filters.polarity not in POLARITIES:
            raise Invalid(f"use one of: {', '.join(POLARITIES)}", field="polarity")
        conditions.append(Evidence.polarity == filters.polarity)
    if filters.collector is not None:
        conditions.append(Evidence.collected_by_id == filters.collector)
    if filters.q and filters.q.strip():
        term = filters.q.strip()
        patterns = {_like(term)}
        # Tags are stored as JSON text, where characters beyond ASCII appear as \u escapes.
        escaped = json.dumps(term.lower())[1:-1]
        if escaped != term.lower():
            patterns.add(_like(escaped))
        tags_text = cast(Evidence.tags, String)
        conditions.append(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for pattern in sorted(patterns)
                    for column in (
                        col(Evidence.title),
                        col(Evidence.narrative),
                        col(Evidence.quote),
                        tags_text,
                    )
                )
            )
        )
    return conditions


def list_evidence(
    session: Session, *, review: Review, filters: EvidenceFilters | None = None
) -> EvidencePage:
    """A page of items, newest collected first, with the total matching the filters.

    Uses the same number of queries whatever the page size: the count, the page, then the
    lines, stages, organisations, attachments and people of the whole page at once.
    """
    filters = filters or EvidenceFilters()
    framework = reviews.review_framework(session, review)
    conditions = _conditions(review, framework, filters)
    per_page = max(1, min(filters.per_page, PER_PAGE_MAX))
    total = session.exec(select(func.count()).select_from(Evidence).where(*conditions)).one()
    pages = max(1, math.ceil(total / per_page))
    page = max(1, filters.page)
    rows = session.exec(
        select(Evidence)
        .where(*conditions)
        .order_by(col(Evidence.collected_on).desc(), col(Evidence.created_at).desc(), col(Evidence.id))
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return EvidencePage(
        items=_views(session, review, framework, rows), total=total, page=page, per_page=per_page, pages=pages
    )


def evidence_history(
    session: Session, *, review: Review, evidence_id: str, include_deleted: bool = False
) -> EvidenceHistory:
    """Previous versions of an item, newest first, each with who replaced it, when and why."""
    row = _row(session, review, evidence_id, include_deleted=include_deleted)
    found = session.exec(
        select(EvidenceVersion, User.display_name)
        .join(User, col(User.id) == col(EvidenceVersion.changed_by_id))
        .where(EvidenceVersion.evidence_id == row.id)
        .order_by(col(EvidenceVersion.version).desc())
    ).all()
    return EvidenceHistory(
        evidence_id=row.id,
        version=row.version,
        versions=[
            EvidenceVersionPublic(
                version=version.version,
                content=version.snapshot,
                reason=version.reason,
                replaced_by=PersonRef(id=version.changed_by_id, name=name),
                replaced_at=aware(version.changed_at),  # type: ignore[arg-type]
            )
            for version, name in found
        ],
    )


# What refers to a review's partners and framework, counted for the reviews package.
references.register_organisation_counter(
    "evidence items",
    lambda s, review, org_id: references.count(
        s, EvidenceOrganisation, EvidenceOrganisation.organisation_id == org_id
    ),
)
references.register_content_counter(
    "evidence items", lambda s, review: references.count(s, Evidence, Evidence.review_id == review.id)
)
overview.register("coverage", coverage_summary, needs=Action.read_evidence)
