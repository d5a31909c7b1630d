"""Issue 11, defect 7: every date-time the API sends is UTC and says so, on SQLite too."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import add_member, add_organisation, auth, make_review, make_user

pytestmark = pytest.mark.anyio


def _is_utc(stamp: str) -> bool:
    return stamp.endswith("Z") or stamp.endswith("+00:00")


async def test_review_organisation_and_member_timestamps_carry_their_zone(
    client: httpx.AsyncClient,
) -> None:
    admin = make_user(admin=True)
    review = make_review(admin=admin)
    add_organisation(review, "Northshire Council", "local_authority")
    add_member(review, "reviewer")
    headers = auth(admin)

    got = (await client.get(f"/api/v1/reviews/{review.id}", headers=headers)).json()
    listed = (await client.get("/api/v1/reviews", headers=headers)).json()
    organisations = (await client.get(f"/api/v1/reviews/{review.id}/organisations", headers=headers)).json()
    members = (await client.get(f"/api/v1/reviews/{review.id}/members", headers=headers)).json()

    stamps = [got["created_at"], *(r["created_at"] for r in _items(listed))]
    stamps += [o["created_at"] for o in _items(organisations)]
    stamps += [m["created_at"] for m in _items(members)]
    assert len(stamps) >= 4
    assert all(_is_utc(s) for s in stamps), stamps


def test_a_loaded_moment_is_aware_utc(session) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC

    from sqlmodel import select

    from app.reviews.models import Review

    make_review()
    session.expire_all()
    review = session.exec(select(Review)).first()
    assert review is not None
    assert review.created_at.tzinfo is not None
    assert review.created_at.utcoffset() == UTC.utcoffset(None)


def _items(body: object) -> list[dict[str, str]]:
    # Lists come bare or wrapped in {"items": [...]}.
    if isinstance(body, dict):
        return list(body.get("items", []))
    return list(body)  # type: ignore[arg-type]
