"""One way to change a review.

Every service that changes a review takes a write context (`WriteContext`, or the
`ReviewScope` a route gets from the permission check) and records each change through
`record` (or `batch` for a bulk change such as an import). The recorder:

1. checks that the review accepts this kind of write in its current state (one table,
   `ACCEPTS`, read by every write: most writes stop at publication, the action plan opens
   there, and corrections and retention act on published reviews);
2. writes the audit row with before and after, keeping fields that hold personal data apart
   so that retention can remove them later without losing the record of who did what;
3. bumps the review's revision, which feeds the report cache key.

No service writes an audit row for review content any other way, and a request that changes
review content without the recorder is refused when it commits (see `_guard_commit`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, col

from app.core import audit
from app.core.db import REQUEST_SESSION
from app.core.errors import ReadOnly
from app.core.timeutil import utcnow
from app.frameworks import service as frameworks
from app.frameworks.schema import Framework
from app.reviews.access import WriteContext
from app.reviews.models import REVIEW_STATUSES, Review


class Write(StrEnum):
    """The kinds of write a review takes; which are open depends on its status."""

    setup = "setup"  # details, partners, team, self-assessment opening and closing
    status = "status"  # a move along the workflow
    evidence = "evidence"  # evidence, attachments, imports, data profile figures
    rating = "rating"  # self-assessment and review-team ratings
    moderation = "moderation"  # moderated ratings and overrides
    findings = "findings"  # findings, recommendations, report text
    action_plan = "action_plan"  # the system's action plan, after publication
    correction = "correction"  # a correction to the published report
    retention = "retention"  # removing personal data once its retention date has passed


_BEFORE_PUBLICATION = frozenset(
    {
        Write.setup,
        Write.status,
        Write.evidence,
        Write.rating,
        Write.moderation,
        Write.findings,
        Write.retention,
    }
)
_PUBLISHED = frozenset({Write.action_plan, Write.correction, Write.retention})

# Which writes each review status accepts: the one table every write reads.
ACCEPTS: dict[str, frozenset[Write]] = {
    status: (_PUBLISHED if status == REVIEW_STATUSES[-1] else _BEFORE_PUBLICATION)
    for status in REVIEW_STATUSES
}


def accepts(status: str, write: Write) -> bool:
    """True when a review in `status` takes this kind of write."""
    return write in ACCEPTS.get(status, frozenset())


def check_accepts(review: Review, write: Write) -> None:
    """Raise ReadOnly, saying why, unless the review accepts this kind of write now."""
    if accepts(review.status, write):
        return
    if write is Write.action_plan:
        raise ReadOnly("the action plan starts once the review is published")
    if write is Write.correction:
        raise ReadOnly("a correction is made to a published report; this review is not published yet")
    raise ReadOnly("this review is published and can no longer be changed")


# Fields that hold personal data, by audited entity. Registered by the package that owns the
# entity, so this module needs to know none of them.
_PERSONAL: dict[str, frozenset[str]] = {}


def register_personal_fields(entity: str, *fields: str) -> None:
    """Declare that these fields of `entity` may hold personal data (names, identifiable stories)."""
    _PERSONAL[entity] = _PERSONAL.get(entity, frozenset()) | frozenset(fields)


def personal_fields(entity: str) -> frozenset[str]:
    return _PERSONAL.get(entity, frozenset())


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
        .returning(col(Review.revision))
        .execution_options(synchronize_session=False, **{_TOUCH: True})
    ).scalar_one()
    set_committed_value(review, "revision", revision)
    set_committed_value(review, "updated_at", now)


class UnrecordedChange(RuntimeError):
    """A request changed review content without going through the recorder: a programming error."""


# Rows that belong to a review but are not its content: the audit trail itself, and rendered
# reports (an export reads the review; it does not change it).
_NOT_CONTENT = frozenset({"audit_event", "report_render", "report_job"})


@functools.cache
def content_tables() -> frozenset[str]:
    """Tables holding review content: the review, the tables with a `review_id`, and those that
    hang off them (evidence links, versions, attachments, action notes), read from the schema."""
    tables = SQLModel.metadata.tables.values()
    content = {t.name for t in tables if "review_id" in t.c and t.name not in _NOT_CONTENT}
    grew = True
    while grew:
        children = {
            t.name
            for t in tables
            if t.name not in content | _NOT_CONTENT
            and any(fk.column.table.name in content - {"review"} for fk in t.foreign_keys)
        }
        content |= children
        grew = bool(children)
    return frozenset(content | {"review"})


_RECORDED = "sysreview_recorded"
_SAVED = "sysreview_guard_at_savepoints"
# Marks the revision bump: on its own (a renamed person's reviews) it is no change of content.
_TOUCH = "sysreview_touch"
_CHANGED = "sysreview_review_changed"


def _mark_recorded(session: Session) -> None:
    session.info[_RECORDED] = True


@event.listens_for(Session, "before_flush")
def _note_flushed_changes(session: Session, _context: object = None, _instances: object = None) -> None:
    if not session.info.get(REQUEST_SESSION) or session.info.get(_CHANGED):
        return
    for row in itertools.chain(session.new, session.dirty, session.deleted):
        table = getattr(type(row), "__tablename__", "")
        if table not in content_tables() or (row in session.dirty and not session.is_modified(row)):
            continue
        session.info[_CHANGED] = f"{table} {getattr(row, 'id', '')}".strip()
        return


@event.listens_for(Session, "do_orm_execute")
def _note_statement_changes(state: ORMExecuteState) -> None:
    session = state.session
    if not session.info.get(REQUEST_SESSION) or not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.execution_options.get(_TOUCH):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", "")
    if name not in content_tables() or session.info.get(_CHANGED):
        return
    session.info[_CHANGED] = name


@event.listens_for(Session, "before_commit")
def _guard_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released within the unit of work: the recorder may follow it
    _note_flushed_changes(session)  # what the commit is about to flush counts too
    changed = session.info.get(_CHANGED)
    if changed and not session.info.get(_RECORDED):
        raise UnrecordedChange(f"a request changed review content ({changed}) without app.reviews.changes")


@event.listens_for(Session, "after_transaction_create")
def _remember_at_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        saved = session.info.setdefault(_SAVED, {})
        saved[id(transaction)] = (session.info.get(_CHANGED), session.info.get(_RECORDED))


@event.listens_for(Session, "after_soft_rollback")
def _restore_at_savepoint_rollback(session: Session, transaction: SessionTransaction) -> None:
    # A refused call rolled back to its savepoint (the page kit's `attempt`): what it changed
    # and recorded is gone, so the guard forgets it too.
    if transaction.nested and id(transaction) in session.info.get(_SAVED, {}):
        session.info[_CHANGED], session.info[_RECORDED] = session.info[_SAVED][id(transaction)]


@event.listens_for(Session, "after_transaction_end")
def _reset_guard(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.get(_SAVED, {}).pop(id(transaction), None)
    elif transaction.parent is None:
        for key in (_CHANGED, _RECORDED, _SAVED):
            session.info.pop(key, None)


def record(
    session: Session,
    ctx: WriteContext,
    *,
    write: Write,
    entity: str,
    entity_id: object,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> audit.AuditEvent:
    """Record one change to the review in the caller's unit of work: check, audit, touch."""
    check_accepts(ctx.review, write)
    _mark_recorded(session)
    event = audit.record(
        session,
        user_id=ctx.user_id,
        actor=ctx.actor,
        review_id=ctx.review.id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        reason=reason,
        personal_fields=personal_fields(entity),
    )
    touch(session, ctx.review)
    return event


@dataclass
class Batch:
    """A bulk change (an import, a renumbering) gathered into one audit row.

    `details` describe the change as a whole (the file imported, counts by outcome) and go into
    the audit row beside the ids of the records it changed.
    """

    entity: str
    ids: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, entity_id: object) -> None:
        self.ids.append(str(entity_id))


@contextmanager
def batch(
    session: Session,
    ctx: WriteContext,
    *,
    write: Write,
    entity: str,
    action: str,
    reason: str = "",
    entity_id: object = "",
    record_unchanged: bool = False,
) -> Iterator[Batch]:
    """Check the write up front, let the caller make many changes, then record them as one.

    Nothing is recorded when the body raises (the unit of work rolls back). A batch that changed
    nothing is recorded only when `record_unchanged` asks for it (an import of a file whose rows
    are all stored already is still worth a line in the trail), and then leaves the revision alone.
    """
    check_accepts(ctx.review, write)
    _mark_recorded(session)
    gathered = Batch(entity)
    yield gathered
    if not gathered.ids and not record_unchanged:
        return
    audit.record(
        session,
        user_id=ctx.user_id,
        actor=ctx.actor,
        review_id=ctx.review.id,
        entity=entity,
        entity_id=entity_id or f"{len(gathered.ids)} items",
        action=action,
        after={**gathered.details, "count": len(gathered.ids), "ids": gathered.ids},
        reason=reason,
    )
    if gathered.ids:
        touch(session, ctx.review)


def snapshot(row: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A row's values for the before and after of a change (secrets left out)."""
    return audit.snapshot(row, fields)
