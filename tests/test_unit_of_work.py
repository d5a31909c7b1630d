"""A write is committed before its response starts, so a client is never told of a success
that a failed commit then undoes."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from app.core.db import get_engine
from tests.factories import add_member, auth, make_review

pytestmark = pytest.mark.anyio


async def test_the_change_is_committed_when_the_response_starts(app):
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    seen_at_start: list[int] = []

    async def probe(scope, receive, send):  # type: ignore[no-untyped-def]
        async def watch(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                # A separate connection sees only what has been committed.
                with get_engine().connect() as conn:
                    seen_at_start.append(
                        conn.execute(text("SELECT count(*) FROM indicator_value")).scalar_one()
                    )
            await send(message)

        await app(scope, receive, watch)

    transport = httpx.ASGITransport(app=probe)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.put(
            f"/api/v1/reviews/{review.id}/indicators/bed-occupancy",
            json={"value": 91.5, "period": "2025-26", "england": 88.0},
            headers=auth(lead),
        )
    assert response.status_code == 200, response.text
    assert seen_at_start == [1]
