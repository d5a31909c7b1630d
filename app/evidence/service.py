"""Evidence: capture (idempotent by client-chosen id), replacement with history, soft delete,
restore, and listing with filters.

Review teams enter evidence on tablets over poor Wi-Fi, so every write can arrive twice: the
client picks the id (a UUID) and a repeat of a stored write changes nothing. The rules that
check an item against its review (framework keys, partners, team) are in one place,
`app.evidence.rules`, used by the API, the web form and the bulk import alike; this module
loads them for a review (`evidence_rules`).

Every write takes the write context (`ctx`) and is recorded through `app.reviews.changes`,
which checks the review still takes evidence, audits it and moves the review's revision.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import String, cast, delete, or_
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.accounts.permissions import Action, Role, allows
from app.core.db import insert_or_twin
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.models_base import aware
from app.core.text import render_markdown
from app.core.timeutil import utcnow
from app.evidence.coverage import coverage_summary, review_coverage
from app.evidence.models import (
    Attachment,
    Evidence,
    EvidenceLine,
    EvidenceOrganisation,
    EvidenceStage,
    EvidenceVersion,
)
from app.evidence.rules import (
    PERSONAL_FIELDS,
    POLARITIES,
    EvidenceContent,
    EvidenceRules,
    Partner,
    check_evidence,
    framework_order,
    split_personal,
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
from app.reviews import changes, overview, references
from app.reviews.access import WriteContext
from app.reviews.changes import Write
from app.reviews.models import Membership, Organisation, Review

__all__ = [
    "canonical_id",
    "coverage_summary",
    "create_evidence",
    "delete_evidence",
    "evidence_history",
    "evidence_rules",
    "get_evidence",
    "list_evidence",
    "live_evidence",
    "put_evidence",
    "restore_evidence",
    "review_coverage",
]
PER_PAGE_MAX = 200
ENTITY = "evidence"

# Audit rows keep an item's free text apart, so retention can remove it and leave who did what.
changes.register_personal_fields(ENTITY, *PERSONAL_FIELDS)

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


def writer_id(ctx: WriteContext) -> int:
    """The account making a change to evidence: only a signed-in person writes evidence (the
    collector, the history and the stale-write message all name them)."""
    if ctx.user_id is None:
        raise Forbidden("evidence is changed by a member of the review team who is signed in")
    return ctx.user_id


def new_id() -> str:
    """A fresh id for an item the server is asked to name (a form, or a POST without an id)."""
    return str(uuid.uuid4())


# Content and its rules ------------------------------------------------------------------------


def collector_roles() -> list[str]:
    """Roles whose holders can be named as having collected evidence: the review team, i.e.
    everyone the permission table lets read evidence before publication."""
    return [role.value for role in Role if allows(role, Action.read_evidence, published=False)]


def evidence_rules(session: Session, review: Review) -> EvidenceRules:
    """Load the rules for one review: its framework, partner organisations and team (3 queries)."""
    framework = changes.review_framework(session, review)
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
        if user_id is not None
    }
    return EvidenceRules(review.id or 0, framework, partners, team)


# Writes -----------------------------------------------------------------------------------------


def _record(
    session: Session,
    ctx: WriteContext,
    into: changes.Batch | None,
    *,
    entity_id: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Record one change to an item, or add it to a bulk change (an import) recorded as one."""
    if into is not None:
        into.add(entity_id)
        return
    changes.record(
        session,
        ctx,
        write=Write.evidence,
        entity=ENTITY,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        reason=reason,
    )


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
        lines=framework_order(refs, rules.line_keys()),
        stages=framework_order(stages, rules.stage_keys()),
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
    session: Session,
    *,
    ctx: WriteContext,
    evidence_id: str,
    content: EvidenceContent,
    into: changes.Batch | None = None,
) -> Evidence | None:
    """Insert a new item, or return None when another request stored this id first.

    Two clients (or one client retrying) may send the same new id at once. The insert runs in a
    savepoint so that losing that race leaves the rest of the unit of work usable; the caller
    then treats the request as a replace of what the winner stored.
    """
    now = utcnow()
    row = Evidence(
        id=evidence_id,
        review_id=ctx.review.id or 0,
        collected_by_id=content.collected_by,
        collected_on=content.collected_on,
        title=content.title,
        source_type=content.source_type,
        category=content.category,
        polarity=content.polarity,
        content_hash="",
        created_at=now,
        updated_at=now,
        updated_by_id=writer_id(ctx),
    )
    _apply(row, content)
    _, created = insert_or_twin(
        session, row, lambda: session.get(Evidence, evidence_id, populate_existing=True)
    )
    if not created:
        return None
    _write_links(session, evidence_id, None, content)
    _record(
        session, ctx, into, entity_id=evidence_id, action="create", after={**content.as_dict(), "version": 1}
    )
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


def _keep_version(
    session: Session, ctx: WriteContext, row: Evidence, before: EvidenceContent, reason: str
) -> None:
    """Keep the version being replaced, its free text apart so retention can empty it alone."""
    rest, personal = split_personal(before.as_dict())
    session.add(
        EvidenceVersion(
            evidence_id=row.id,
            version=row.version,
            snapshot=rest,
            personal=personal,
            reason=reason,
            changed_by_id=writer_id(ctx),
            changed_at=utcnow(),
        )
    )


def _replace(
    session: Session,
    *,
    ctx: WriteContext,
    row: Evidence,
    data: EvidenceBase,
    rules: EvidenceRules,
    reason: str,
    if_match: int | None,
    into: changes.Batch | None = None,
) -> EvidencePublic:
    if row.deleted_at is not None:
        raise Conflict("this evidence has been deleted; the review lead can restore it before it is changed")
    content = check_evidence(rules, data, actor_id=writer_id(ctx), existing=row)
    digest = content.digest()
    if digest == row.content_hash:
        # A repeat of a write already stored (a retry, or a double submit). The If-Match of the
        # first attempt is stale by now, so it is checked only when something would change.
        return _views(session, ctx.review, rules.framework, [row])[0]
    if if_match is not None and if_match != row.version:
        raise _stale(session, row, if_match)
    before = _stored_content(session, rules, row)
    reason = reason.strip()
    _keep_version(session, ctx, row, before, reason)
    _write_links(session, row.id, before, content)
    old_version = row.version
    _apply(row, content)
    row.version = old_version + 1
    row.updated_at = utcnow()
    row.updated_by_id = writer_id(ctx)
    session.add(row)
    _record(
        session,
        ctx,
        into,
        entity_id=row.id,
        action="update",
        before={**before.as_dict(), "version": old_version},
        after={**content.as_dict(), "version": row.version},
        reason=reason,
    )
    session.flush()
    return _views(session, ctx.review, rules.framework, [row])[0]


def _store_new(
    session: Session,
    *,
    ctx: WriteContext,
    evidence_id: str,
    data: EvidenceBase,
    rules: EvidenceRules,
    into: changes.Batch | None = None,
) -> tuple[EvidencePublic | None, Evidence]:
    """Insert an item not stored yet: (its view, its row); or (None, the row another request
    stored under this id first), which the caller then treats as a replace."""
    content = check_evidence(rules, data, actor_id=writer_id(ctx))
    created = _insert(session, ctx=ctx, evidence_id=evidence_id, content=content, into=into)
    if created is not None:
        links = _new_item_links(session, ctx, rules, created, content)
        return _views(session, ctx.review, rules.framework, [created], links)[0], created
    row = _locked(session, evidence_id)
    assert row is not None
    return None, row


def put_evidence(
    session: Session,
    *,
    ctx: WriteContext,
    evidence_id: str,
    data: EvidenceBase,
    reason: str = "",
    if_match: int | None = None,
    rules: EvidenceRules | None = None,
    into: changes.Batch | None = None,
) -> tuple[EvidencePublic, bool]:
    """Create or replace the item with this client-chosen id; returns (item, created).

    The same content again changes nothing (no new version, no audit row). Different content
    keeps the previous version in the history with `reason`. `if_match` is the version the
    client last read: when it is stale nothing is stored (Conflict). An id used in another
    review is a Conflict that says nothing about that review. With `into` (a bulk change such
    as an import) the change joins that one record instead of being recorded on its own.
    """
    evidence_id = canonical_id(evidence_id)
    rules = rules or evidence_rules(session, ctx.review)
    row = _locked(session, evidence_id)
    if row is None:
        if if_match:
            raise Conflict(
                f"there is no stored version {if_match} of this evidence to replace; "
                "send it without If-Match to create it",
                field="version",
            )
        view, row = _store_new(session, ctx=ctx, evidence_id=evidence_id, data=data, rules=rules, into=into)
        if view is not None:
            return view, True
    _check_owned(row, ctx.review, "evidence_id")
    view = _replace(
        session, ctx=ctx, row=row, data=data, rules=rules, reason=reason, if_match=if_match, into=into
    )
    return view, False


def create_evidence(
    session: Session,
    *,
    ctx: WriteContext,
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
    rules = rules or evidence_rules(session, ctx.review)
    row = _locked(session, evidence_id)
    if row is None:
        view, row = _store_new(session, ctx=ctx, evidence_id=evidence_id, data=data, rules=rules)
        if view is not None:
            return view, True
    _check_owned(row, ctx.review, "id")
    content = check_evidence(rules, data, actor_id=writer_id(ctx), existing=row)
    if row.deleted_at is not None or content.digest() != row.content_hash:
        raise Conflict(
            "evidence with this id already exists with different content; "
            "replace it with PUT, or create the new item with a new id",
            field="id",
        )
    return _views(session, ctx.review, rules.framework, [row])[0], False


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


def _set_deleted(session: Session, ctx: WriteContext, row: Evidence, *, deleted: bool, reason: str) -> None:
    """Delete or restore an item, recorded with who and why."""
    before = {"deleted_at": row.deleted_at, "deleted_by_id": row.deleted_by_id}
    row.deleted_at = utcnow() if deleted else None
    row.deleted_by_id = writer_id(ctx) if deleted else None
    session.add(row)
    _record(
        session,
        ctx,
        None,
        entity_id=row.id,
        action="delete" if deleted else "restore",
        before=before,
        after={"deleted_at": row.deleted_at, "deleted_by_id": row.deleted_by_id},
        reason=reason.strip(),
    )
    session.flush()


def delete_evidence(session: Session, *, ctx: WriteContext, evidence_id: str, reason: str = "") -> None:
    """Soft-delete an item: it leaves lists, coverage and the report; the lead can restore it.
    Deleting an item already deleted changes nothing."""
    row = _row(session, ctx.review, evidence_id, include_deleted=True, for_update=True)
    if row.deleted_at is None:
        _set_deleted(session, ctx, row, deleted=True, reason=reason)


def restore_evidence(
    session: Session, *, ctx: WriteContext, evidence_id: str, reason: str = ""
) -> EvidencePublic:
    """Undo a soft delete (the route allows only the lead). Restoring a live item changes nothing."""
    row = _row(session, ctx.review, evidence_id, include_deleted=True, for_update=True)
    if row.deleted_at is not None:
        _set_deleted(session, ctx, row, deleted=False, reason=reason)
    return _views(session, ctx.review, changes.review_framework(session, ctx.review), [row])[0]


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
    organisations: Mapping[str, Sequence[Partner]]
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
    people = {
        user_id: name
        for user_id, name in session.exec(
            select(User.id, User.display_name).where(col(User.id).in_(people_ids))
        )
        if user_id is not None
    }
    return _Links(lines, stages, organisations, attachments, people)


def _new_item_links(
    session: Session, ctx: WriteContext, rules: EvidenceRules, row: Evidence, content: EvidenceContent
) -> _Links:
    """The links of an item just inserted, from what the request already holds (no queries but,
    for a writer outside the team such as an administrator, their name)."""
    partners = sorted((rules.partners[i] for i in content.organisations), key=lambda org: org.name)
    people = dict(rules.team)
    if ctx.user_id is not None and ctx.user_id not in people:
        writer = session.get(User, ctx.user_id)
        people[ctx.user_id] = writer.display_name if writer else ""
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
    return _views(session, review, changes.review_framework(session, review), [row])[0]


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
    framework = changes.review_framework(session, review)
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
                # The free text is kept apart (retention may have emptied it already).
                content={**version.snapshot, **version.personal},
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
