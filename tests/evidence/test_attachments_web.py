"""Attaching and removing files from the evidence pages, and the partials the detail page uses."""

from __future__ import annotations

import pytest
from sqlmodel import select

import tests.evidence.file_samples as samples
from app.core.db import session_scope
from app.evidence.files_web import attachment_upload_context
from app.evidence.models import Attachment
from app.web.templating import templates
from tests.factories import add_member, make_evidence, make_review
from tests.reviews.reviews_helpers import browser_session

pytestmark = pytest.mark.anyio


@pytest.fixture
def item_site(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    reviewer = add_member(review, "reviewer")
    item = make_evidence(review, reviewer, title="Bed meeting, Tuesday")
    return review, reviewer, item


def live_attachments() -> list[Attachment]:
    with session_scope(read_only=True) as s:
        return list(s.exec(select(Attachment).where(Attachment.deleted_at.is_(None))))


async def test_attaching_a_file_returns_to_the_evidence(client, item_site) -> None:
    review, reviewer, item = item_site
    csrf = browser_session(client, reviewer)
    response = await client.post(
        f"/reviews/{review.id}/evidence/{item.id}/attachments",
        data={"csrf_token": csrf},
        files={"file": ("ward photo.png", samples.png(), "image/png")},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/reviews/{review.id}/evidence/{item.id}?attached=1#attachments"
    [stored] = live_attachments()
    assert (stored.original_name, stored.content_type, stored.uploaded_by_id) == (
        "ward photo.png",
        "image/png",
        reviewer.id,
    )


async def test_a_refused_file_shows_the_form_again_with_the_reason(client, item_site) -> None:
    review, reviewer, item = item_site
    csrf = browser_session(client, reviewer)
    disguised = await client.post(
        f"/reviews/{review.id}/evidence/{item.id}/attachments",
        data={"csrf_token": csrf},
        files={"file": ("minutes.pdf", samples.WINDOWS_PROGRAM, "application/pdf")},
    )
    assert disguised.status_code == 422
    html = disguised.text
    assert "<h1>The file was not attached</h1>" in html
    assert '<a href="#file">The name ends .pdf but the content looks like a Windows program' in html
    assert 'aria-describedby="file-hint file-error"' in html
    assert "Bed meeting, Tuesday" in html
    assert f'name="csrf_token" value="{csrf}"' in html

    nothing = await client.post(
        f"/reviews/{review.id}/evidence/{item.id}/attachments", data={"csrf_token": csrf}
    )
    assert nothing.status_code == 422
    assert "Choose a file to attach" in nothing.text
    assert live_attachments() == []


async def test_removing_a_file_asks_first_then_removes_it(client, item_site) -> None:
    review, reviewer, item = item_site
    csrf = browser_session(client, reviewer)
    await client.post(
        f"/reviews/{review.id}/evidence/{item.id}/attachments",
        data={"csrf_token": csrf},
        files={"file": ("notes.txt", samples.TEXT, "text/plain")},
    )
    [stored] = live_attachments()
    confirm_url = f"/reviews/{review.id}/evidence/{item.id}/attachments/{stored.id}/remove"
    confirm = await client.get(confirm_url)
    assert confirm.status_code == 200
    assert "<h1>Remove “notes.txt”?</h1>" in confirm.text
    assert f'action="{confirm_url}"' in confirm.text
    assert live_attachments() != [], "asking removes nothing"

    removed = await client.post(confirm_url, data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert removed.headers["location"].endswith(f"/evidence/{item.id}?file_removed=1#attachments")
    assert live_attachments() == []
    assert (await client.get(confirm_url)).status_code == 404


async def test_readers_cannot_attach_or_remove(client, item_site) -> None:
    review, _, item = item_site
    observer = add_member(review, "observer")
    csrf = browser_session(client, observer)
    refused = await client.post(
        f"/reviews/{review.id}/evidence/{item.id}/attachments",
        data={"csrf_token": csrf},
        files={"file": ("notes.txt", samples.TEXT, "text/plain")},
    )
    assert refused.status_code == 403


def test_the_upload_partial_has_a_label_a_hint_and_the_csrf_token() -> None:
    context = attachment_upload_context(7, "0b6f7f3e-8d0a-4a55-8c0e-0d7f0e8b6a11")
    html = templates.get_template("evidence_files/upload_form.html").render(
        attachment_upload=context, csrf_token="secret-value"
    )
    assert 'action="/reviews/7/evidence/0b6f7f3e-8d0a-4a55-8c0e-0d7f0e8b6a11/attachments"' in html
    assert '<label class="field__label" for="file">Attach a file</label>' in html
    assert 'id="file-hint"' in html and "Up to 20 MB each." in html and ".pdf" in html and ".mp3" in html
    assert 'aria-describedby="file-hint"' in html
    assert '<input type="hidden" name="csrf_token" value="secret-value">' in html
    assert 'enctype="multipart/form-data"' in html


def test_the_attachment_list_partial_links_downloads_and_removal() -> None:
    class Scope:
        def can(self, action: str) -> bool:
            return action == "write_evidence"

    evidence = {
        "id": "e1",
        "deleted": False,
        "attachments": [{"id": 3, "name": "<b>plan</b>.pdf", "size": 3 * 1048576 // 2, "url": "/api/v1/x/3"}],
    }
    html = templates.get_template("evidence_files/attachment_list.html").render(
        review={"id": 7}, evidence=evidence, scope=Scope()
    )
    assert (
        '<a href="/api/v1/x/3" class="attachment-list__name" download>&lt;b&gt;plan&lt;/b&gt;.pdf</a>' in html
    )
    assert "1.5 MB" in html
    assert 'href="/reviews/7/evidence/e1/attachments/3/remove"' in html
