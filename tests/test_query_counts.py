"""The dashboard and the evidence list make the same number of SQL queries at any size.

A request whose query count grows with the number of evidence items (one query per item)
slows every page of a large review; the benchmark shows the time, this test the cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.core.db import get_engine
from tests.factories import add_member, add_organisation, auth, make_evidence, make_review

pytestmark = pytest.mark.anyio


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _counts(client, items: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    add_organisation(review, "Northshire County Council", "local_authority")
    for _ in range(items):
        make_evidence(review, lead)
    headers = auth(lead)
    counts = {}
    for name, path in (
        ("dashboard", f"/reviews/{review.id}"),
        ("evidence list", f"/api/v1/reviews/{review.id}/evidence?per_page=50"),
        ("evidence page", f"/reviews/{review.id}/evidence"),
        ("coverage", f"/api/v1/reviews/{review.id}/coverage"),
    ):
        await client.get(path, headers=headers)  # warm caches (framework parse)
        with counting() as statements:
            response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(statements)
    return counts


async def test_query_count_does_not_grow_with_evidence(client):
    small = await _counts(client, 2)
    large = await _counts(client, 40)
    assert small == large, (small, large)
    assert all(count > 0 for count in small.values())
