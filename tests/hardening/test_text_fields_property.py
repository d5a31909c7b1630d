"""Every text field the API stores, fed NUL, control characters, very long and non-BMP text.

Whatever the text, the answer is never a server error. Text the rule refuses gets 422 naming the
field; text the rule accepts is either stored exactly as sent (after the trimming each field
does) and read back the same, or refused as too long with 422 naming the field.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from app.core.db import session_scope
from app.core.textrules import text_problem
from app.reviews.changes import review_framework
from tests.factories import add_member, add_organisation, auth, evidence_fields, make_review, make_user

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

# Ordinary text, NUL and the other control characters, astral-plane (non-BMP) characters, and
# lengths well past every field's limit.
HOSTILE = st.one_of(
    st.text(min_size=1, max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), min_size=1, max_size=8),
    st.text(alphabet=st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF), min_size=1, max_size=20),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["a", "é", "😀", "\x00"]), st.integers(300, 120_000)),
)


@dataclass(frozen=True)
class TextField:
    """One stored text field: how to send it and how to read it back."""

    name: str  # as the API names it in errors
    send: Callable[[dict[str, Any], str], tuple[str, str, dict[str, Any]]]  # -> method, url, body
    read: Callable[[dict[str, Any], httpx.Response], str | None]  # the stored value from the answer


def _evidence(world: dict[str, Any], text: str, field: str) -> tuple[str, str, dict[str, Any]]:
    body = evidence_fields(world["review"], **{field: text if field != "tags" else [text]})
    return "PUT", f"/api/v1/reviews/{world['review'].id}/evidence/{uuid.uuid4()}", body


FIELDS = [
    TextField("title", lambda w, t: _evidence(w, t, "title"), lambda w, r: r.json()["title"]),
    TextField("narrative", lambda w, t: _evidence(w, t, "narrative"), lambda w, r: r.json()["narrative"]),
    TextField("quote", lambda w, t: _evidence(w, t, "quote"), lambda w, r: r.json()["quote"]),
    TextField(
        "text",
        lambda w, t: (
            "POST",
            f"/api/v1/reviews/{w['review'].id}/findings",
            {"kind": "strength", "text": t, "domain_key": w["domain"]},
        ),
        lambda w, r: r.json()["text"],
    ),
    TextField(
        "text",
        lambda w, t: (
            "POST",
            f"/api/v1/reviews/{w['review'].id}/recommendations",
            {"text": t, "owner_organisation_ids": [w["organisation"].id]},
        ),
        lambda w, r: r.json()["text"],
    ),
    TextField(
        "summary",
        lambda w, t: ("PUT", f"/api/v1/reviews/{w['review'].id}/report-text", {"summary": t}),
        lambda w, r: r.json()["summary"],
    ),
    TextField(
        "name",
        lambda w, t: (
            "PATCH",
            f"/api/v1/reviews/{w['review'].id}/organisations/{w['organisation'].id}",
            {"name": t},
        ),
        lambda w, r: r.json()["name"],
    ),
    TextField(
        "title",
        lambda w, t: ("PATCH", f"/api/v1/reviews/{w['review'].id}", {"title": t}),
        lambda w, r: r.json()["title"],
    ),
]


@pytest.fixture
def world(db) -> dict[str, Any]:
    admin = make_user(admin=True)
    review = make_review(admin=admin, status="fieldwork")
    organisation = add_organisation(review, "Northshire County Council", "local_authority")
    lead = add_member(review, "lead")
    with session_scope(read_only=True) as s:
        domain = review_framework(s, review).domains[0].key
    return {"review": review, "organisation": organisation, "headers": auth(lead), "domain": domain}


def _expected_stored(text: str) -> str:
    return text.strip()


async def _check_field(client: httpx.AsyncClient, world: dict[str, Any], field: TextField, text: str) -> None:
    method, url, body = field.send(world, text)
    response = await client.request(method, url, json=body, headers=world["headers"])
    assert response.status_code < 500, (field.name, url, response.status_code)
    if text_problem(text):
        assert response.status_code == 422, (field.name, url, response.status_code)
        assert any(e["field"].split(".")[-1] == field.name for e in response.json()["errors"]), response.text
        return
    if response.status_code == 422:
        named = [e["field"].split(".")[-1] for e in response.json()["errors"]]
        assert field.name in named or "tags" in named, response.text
        return
    assert response.status_code in (200, 201), (field.name, url, response.status_code, response.text[:200])
    stored = field.read(world, response)
    if _expected_stored(text):
        assert stored == _expected_stored(text), (field.name, url)


@pytest.mark.parametrize("field", FIELDS, ids=[f"{f.send.__code__.co_firstlineno}-{f.name}" for f in FIELDS])
async def test_any_text_in_a_stored_field_is_refused_by_name_or_kept_exactly(client, world, field) -> None:
    @seed(11)
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(text=HOSTILE)
    def run(text: str) -> None:
        # Hypothesis drives a plain function; the request runs on this test's own event loop.
        future = asyncio.run_coroutine_threadsafe(_check_field(client, world, field, text), loop)
        future.result()

    loop = asyncio.get_running_loop()
    await asyncio.to_thread(run)
