"""The shared pieces that replaced copies: the page kit's review frame and readers, bounded
text, and a new row recorded with its audit row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, select
from starlette.requests import Request

from app.accounts.models import User
from app.core import audit
from app.core.audit import AuditEvent
from app.core.errors import Invalid
from app.core.text import bounded_text
from app.web import kit


def _request(query: str = "") -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": []}
    )


@dataclass
class _Scope:
    review: Any


def test_notice_is_chosen_by_its_key_only() -> None:
    notices = {"saved": "It has been saved."}
    assert kit.notice(_request("done=saved"), notices) == "It has been saved."
    assert kit.notice(_request("done=<script>"), notices) is None
    assert kit.notice(_request(), notices) is None


def test_review_page_gives_the_frame_and_lets_the_page_add_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_render(request: Request, template: str, context: dict[str, Any], status_code: int) -> str:
        seen.update(template=template, context=context, status=status_code)
        return "rendered"

    monkeypatch.setattr(kit, "render", fake_render)
    scope = _Scope(review="the review")
    kit.review_page(
        _request("done=saved"),
        scope,
        "x.html",
        active="ratings",
        title="Ratings",
        notices={"saved": "Saved."},
        rows=[1],
    )
    ctx = seen["context"]
    assert seen["template"] == "x.html" and seen["status"] == 200
    assert ctx["review"] == "the review" and ctx["scope"] is scope
    assert (ctx["active"], ctx["page_title"], ctx["flash"], ctx["rows"]) == (
        "ratings",
        "Ratings",
        "Saved.",
        [1],
    )
    assert ctx["errors"] == [] and ctx["field_errors"] == {}

    errors = kit.FormErrors(("value",))
    errors.add("value", "enter a number")
    kit.review_page(_request(), scope, "x.html", active="ratings", title="Ratings", errors=errors)
    assert seen["status"] == 422 and seen["context"]["field_errors"] == {"value": "Enter a number."}


def test_form_date_reads_a_date_or_notes_why_not() -> None:
    errors = kit.FormErrors(("due",))
    assert kit.form_date({"due": "2026-03-17"}, "due", errors) == dt.date(2026, 3, 17)
    assert kit.form_date({"due": ""}, "due", errors) is None
    assert not errors
    assert kit.form_date({"due": "17 March"}, "due", errors) is None
    assert errors.by_field["due"].startswith("Enter a real date")


def test_bounded_text_trims_asks_and_limits() -> None:
    assert bounded_text("title", "  A title ", 10) == "A title"
    assert bounded_text("note", None, 10) == ""
    with pytest.raises(Invalid) as asked:
        bounded_text("title", "  ", 10, ask="enter a title")
    assert (asked.value.field, asked.value.message) == ("title", "enter a title")
    with pytest.raises(Invalid, match="10 characters or fewer"):
        bounded_text("title", "x" * 11, 10)
    with pytest.raises(Invalid, match="must be text"):
        bounded_text("title", 3, 10)


def test_record_new_stores_the_row_and_its_creation(session: Session) -> None:
    user = User(email="new@example.org", display_name="New Person", password_hash="x")
    audit.record_new(session, user, user_id=None, entity="user")
    assert user.id is not None
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "user")).one()
    assert (event.entity_id, event.action) == (str(user.id), "create")
