"""Gathering a review for its report takes the same few queries whatever its size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.core.db import get_engine, session_scope
from app.reports.gather import gather_snapshot
from app.reviews.models import Review
from tests.reports.reports_helpers import seed_review


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _queries(review_id: int) -> tuple[int, int]:
    with session_scope(read_only=True) as s:
        review = s.get(Review, review_id)
        with counted() as statements:
            snapshot = gather_snapshot(s, review)
    return len(statements), len(snapshot.evidence)


def test_the_number_of_queries_does_not_grow_with_the_review(db):
    small = seed_review(framework_key="peer-challenge", evidence_per_line=1)
    large = seed_review(framework_key="peer-challenge", evidence_per_line=6, title="A bigger review")
    small_queries, small_items = _queries(small.review_id)
    large_queries, large_items = _queries(large.review_id)
    assert large_items == 6 * small_items
    assert large_queries == small_queries <= 20


def test_deleted_evidence_never_reaches_the_snapshot(db):
    from app.core.timeutil import utcnow
    from app.evidence.models import Evidence

    seeded = seed_review(framework_key="peer-challenge")
    gone = seeded.evidence_ids[0]
    with session_scope() as s:
        row = s.get(Evidence, gone)
        row.deleted_at = utcnow()
        s.add(row)
    with session_scope(read_only=True) as s:
        snapshot = gather_snapshot(s, s.get(Review, seeded.review_id))
    assert gone not in {item.id for item in snapshot.evidence}
    assert gone not in {signal.evidence_id for signal in snapshot.signals}
    assert len(snapshot.evidence) == len(seeded.evidence_ids) - 1
