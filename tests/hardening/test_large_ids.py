"""Ids past what the id columns hold (2^31 on PostgreSQL, 2^63 on SQLite) answer 404 or 422,
never a server error."""

from __future__ import annotations

import pytest

from tests.factories import auth, make_review, make_user
from tests.test_route_permissions import app_routes

pytestmark = pytest.mark.anyio

HUGES = (str(2**31), str(2**63))


async def test_every_route_with_a_numeric_id_refuses_a_huge_one(app, client, db) -> None:
    admin = make_user(admin=True)
    review = make_review(admin=admin, status="fieldwork")
    headers = {**auth(admin), "Accept": "application/json"}
    failures = []
    for route in app_routes(app):
        ids = [name for name, kind in route.param_types if kind is int or name.endswith("_id")]
        if not ids or route.path.startswith("/static"):
            continue
        for target, huge in ((t, h) for t in ids for h in HUGES):
            if target == "evidence_id":
                continue  # a UUID, not a number
            path = route.path
            for name, _ in route.param_types:
                value = huge if name == target else ("1" if name != "review_id" else str(review.id))
                if name == "evidence_id":
                    value = "00000000-0000-4000-8000-000000000000"
                elif name in ("ref", "key", "indicator_key", "version", "path"):
                    value = "x"
                path = path.replace("{" + name + "}", value)
            response = await client.request(route.method, path, headers=headers, json={})
            # 404 or 422 for the id; 403 or 409 where the route refuses before reading it (the
            # action plan of an unpublished review).
            if response.status_code not in (403, 404, 409, 422):
                failures.append(f"{route.name} with {target}={huge}: {response.status_code}")
    assert not failures, "\n".join(failures)


async def test_a_huge_id_in_a_query_is_refused(client, db) -> None:
    admin = make_user(admin=True)
    review = make_review(admin=admin, status="fieldwork")
    for query in [f"{name}={huge}" for name in ("user_id", "offset") for huge in HUGES]:
        response = await client.get(f"/api/v1/reviews/{review.id}/audit?{query}", headers=auth(admin))
        assert response.status_code == 422, (query, response.status_code)
