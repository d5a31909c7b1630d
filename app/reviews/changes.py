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

No service writes an audit row for review content any other way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from app.core import audit
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
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(review, "revision", revision)
    set_committed_value(review, "updated_at", now)


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
    """A bulk change (an import, a renumbering) gathered into one audit row."""

    entity: str
    ids: list[str] = field(default_factory=list)

    def add(self, entity_id: object) -> None:
        self.ids.append(str(entity_id))


@contextmanager
def batch(
    session: Session, ctx: WriteContext, *, write: Write, entity: str, action: str, reason: str = ""
) -> Iterator[Batch]:
    """Check the write up front, let the caller make many changes, then record them as one.

    Nothing is recorded when the body raises (the unit of work rolls back) or adds nothing.
    """
    check_accepts(ctx.review, write)
    gathered = Batch(entity)
    yield gathered
    if not gathered.ids:
        return
    audit.record(
        session,
        user_id=ctx.user_id,
        actor=ctx.actor,
        review_id=ctx.review.id,
        entity=entity,
        entity_id=f"{len(gathered.ids)} items",
        action=action,
        after={"count": len(gathered.ids), "ids": gathered.ids},
        reason=reason,
    )
    touch(session, ctx.review)


def snapshot(row: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A row's values for the before and after of a change (secrets left out)."""
    return audit.snapshot(row, fields)
