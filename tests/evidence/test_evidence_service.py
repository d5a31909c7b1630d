"""The evidence service under load: concurrent writers, racing retries, and a query count
that does not grow with the number of items."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func
from sqlmodel import select

from app.accounts.models import User
from app.core.audit import AuditEvent
from app.core.db import get_engine, session_scope
from app.core.errors import InvalidMany
from app.evidence import service
from app.evidence.models import Evidence, EvidenceLine, EvidenceVersion
from app.evidence.rules import evidence_problems
from app.evidence.schemas import EvidenceFilters, EvidenceUpdate
from app.reviews.access import scope_for
from app.reviews.models import Review
from tests.factories import add_member, add_organisation, evidence_fields, make_evidence, make_review

WRITERS = 10
ITEMS_EACH = 50


@pytest.fixture
def fieldwork(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    return review, [add_member(review, "reviewer") for _ in range(3)]


def put(review_id: int, user_id: int, evidence_id: str, data: EvidenceUpdate) -> bool:
    """One write in its own unit of work, as one HTTP request would make it."""
    with session_scope() as s:
        _, created = service.put_evidence(
            s,
            ctx=scope_for(s, s.get(Review, review_id), s.get(User, user_id)),
            evidence_id=evidence_id,
            data=data,
        )
        return created


def run_together(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Start every worker at the same moment; return what any of them raised."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def wrap(work: Callable[[], None]) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def count(model: type, *where: object) -> int:
    with session_scope(read_only=True) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()  # type: ignore[arg-type]


def test_ten_writers_fifty_items_each_store_exactly_five_hundred(fieldwork):
    review, reviewers = fieldwork
    data = EvidenceUpdate(**evidence_fields(review, lines=["SV1", "RE2"], stages=["crisis"]))
    users = [reviewers[n % len(reviewers)].id for n in range(WRITERS)]

    def writer(user_id: int) -> Callable[[], None]:
        def work() -> None:
            for _ in range(ITEMS_EACH):
                assert put(review.id, user_id, str(uuid.uuid4()), data) is True

        return work

    errors = run_together([writer(user_id) for user_id in users])

    assert errors == []
    assert count(Evidence, Evidence.review_id == review.id) == WRITERS * ITEMS_EACH
    assert count(EvidenceLine) == 2 * WRITERS * ITEMS_EACH
    assert count(AuditEvent, AuditEvent.entity == "evidence") == WRITERS * ITEMS_EACH


def test_the_same_new_id_sent_by_many_clients_at_once_is_stored_once(fieldwork):
    review, reviewers = fieldwork
    eid = str(uuid.uuid4())
    data = EvidenceUpdate(**evidence_fields(review, collected_by=reviewers[0].id))
    results: list[bool] = []

    errors = run_together(
        [lambda u=u: results.append(put(review.id, u.id, eid, data)) for u in reviewers * 3]
    )

    assert errors == []
    assert sorted(results) == [False] * 8 + [True]
    assert count(Evidence) == 1
    assert count(EvidenceVersion) == 0
    assert count(AuditEvent, AuditEvent.entity == "evidence") == 1


def test_racing_replaces_of_one_item_lose_no_version(fieldwork):
    review, reviewers = fieldwork
    item = make_evidence(review, reviewers[0], title="Start")
    titles = [f"Change {n}" for n in range(6)]

    errors = run_together(
        [
            lambda t=t: put(
                review.id, reviewers[0].id, item.id, EvidenceUpdate(**evidence_fields(review, title=t))
            )
            for t in titles
        ]
    )

    assert errors == []
    with session_scope(read_only=True) as s:
        stored = s.get(Evidence, item.id)
        versions = s.exec(select(EvidenceVersion.version).where(EvidenceVersion.evidence_id == item.id)).all()
    # Each replace saw the version the one before it wrote: 6 changes on top of version 1.
    assert stored.version == 7
    assert sorted(versions) == [1, 2, 3, 4, 5, 6]
    assert stored.title in titles


def test_an_invalid_item_stores_nothing_in_any_table(fieldwork):
    review, reviewers = fieldwork
    other_org = add_organisation(make_review(title="Elsewhere"), "Elsewhere Council", "local_authority")
    tables = (Evidence, EvidenceLine, EvidenceVersion, AuditEvent)
    before = [count(t) for t in tables]
    with session_scope(read_only=True) as s:
        revision = s.get(Review, review.id).revision
    data = EvidenceUpdate(**evidence_fields(review, lines=["SV1", "NOPE1"], organisations=[other_org.id]))

    with pytest.raises(InvalidMany) as raised:
        put(review.id, reviewers[0].id, str(uuid.uuid4()), data)

    assert {e["field"] for e in raised.value.errors} == {"lines", "organisations"}
    assert [count(t) for t in tables] == before
    with session_scope(read_only=True) as s:
        assert s.get(Review, review.id).revision == revision


def test_problems_are_listed_for_an_importer_without_raising(fieldwork):
    review, reviewers = fieldwork
    data = EvidenceUpdate(**evidence_fields(review, category="rumour", polarity="", lines=[]))
    with session_scope(read_only=True) as s:
        rules = service.evidence_rules(s, s.get(Review, review.id))
    problems = evidence_problems(rules, data, actor_id=reviewers[0].id)
    assert [p["field"] for p in problems] == ["category", "polarity", "lines"]


def test_content_hash_ignores_order_case_and_line_endings(fieldwork):
    review, reviewers = fieldwork
    eid = str(uuid.uuid4())
    first = evidence_fields(review, lines=["SV1", "RE2"], tags=["Flow", "beds"], narrative="One\r\nTwo  \r\n")
    same = evidence_fields(review, lines=["re2", "sv1"], tags=["beds ", "flow"], narrative="One\nTwo")
    assert put(review.id, reviewers[0].id, eid, EvidenceUpdate(**first)) is True
    assert put(review.id, reviewers[0].id, eid, EvidenceUpdate(**same)) is False
    assert count(EvidenceVersion) == 0


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries_to_list(review_id: int, filters: EvidenceFilters) -> tuple[int, int]:
    with session_scope(read_only=True) as s:
        review = s.get(Review, review_id)  # the request has it already
        with counting_queries() as statements:
            page = service.list_evidence(s, review=review, filters=filters)
        return len(page.items), len(statements)


def queries_for_coverage(review_id: int) -> int:
    with session_scope(read_only=True) as s:
        review = s.get(Review, review_id)
        with counting_queries() as statements:
            service.review_coverage(s, review)
            service.coverage_summary(s, review)
        return len(statements)


def test_listing_uses_the_same_number_of_queries_for_few_and_many_items(fieldwork):
    review, reviewers = fieldwork
    org = add_organisation(review, "Northshire Hospitals", "nhs_trust")
    body = evidence_fields(
        review, lines=["SV1", "LG1", "RE1"], stages=["crisis", "step-down"], organisations=[org.id]
    )
    for _ in range(3):
        make_evidence(review, reviewers[0], **body)
    few_items, few = queries_to_list(review.id, EvidenceFilters(per_page=200))
    few_coverage = queries_for_coverage(review.id)

    for n in range(57):
        make_evidence(review, reviewers[n % 3], **body)
    many_items, many = queries_to_list(review.id, EvidenceFilters(per_page=200))
    filtered_items, filtered = queries_to_list(
        review.id, EvidenceFilters(per_page=200, domain="shared-vision", stage="crisis", q="ward")
    )

    assert (few_items, many_items, filtered_items) == (3, 60, 60)
    assert few == many == filtered
    assert many <= 8
    assert queries_for_coverage(review.id) == few_coverage
