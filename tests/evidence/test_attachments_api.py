"""Attachments over the API: stored once by content, checked by content, served as downloads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import select

import tests.evidence.file_samples as samples
from app.core.audit import AuditEvent
from app.core.config import get_settings
from app.core.db import session_scope
from app.evidence.models import Attachment
from tests.factories import add_member, auth, make_evidence, make_review, make_user

pytestmark = pytest.mark.anyio


def files_url(review_id: int, evidence_id: str) -> str:
    return f"/api/v1/reviews/{review_id}/evidence/{evidence_id}/attachments"


def stored_files() -> set[Path]:
    """Every file in the attachment store, temporary ones included."""
    root = get_settings().attachments_dir
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def attachment_rows() -> list[Attachment]:
    with session_scope(read_only=True) as s:
        return list(s.exec(select(Attachment)))


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    review = make_review(status="fieldwork")
    lead = add_member(review, "lead")
    reviewer = add_member(review, "reviewer")
    item = make_evidence(review, reviewer)
    return review, lead, reviewer, item


async def upload(client, review, item, user, name, data, claimed="application/octet-stream"):  # type: ignore[no-untyped-def]
    return await client.post(
        files_url(review.id, item.id), files={"file": (name, data, claimed)}, headers=auth(user)
    )


async def test_upload_then_download_returns_the_bytes_with_safe_headers(client, team) -> None:
    review, _, reviewer, item = team
    name = "Board minutes – 5 May final.pdf"
    response = await upload(client, review, item, reviewer, name, samples.PDF, claimed="text/html")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "application/pdf", "the type comes from the content, not the client"
    assert body["size"] == len(samples.PDF)
    assert body["sha256"] == hashlib.sha256(samples.PDF).hexdigest()
    assert body["name"] == "Board minutes – 5 May final.pdf"
    assert response.headers["location"] == body["url"]

    download = await client.get(body["url"], headers=auth(reviewer))
    assert download.status_code == 200
    assert download.content == samples.PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="Board minutes - 5 May final.pdf"' in disposition
    assert "filename*=UTF-8''Board%20minutes%20%E2%80%93%205%20May%20final.pdf" in disposition
    assert "sandbox" in download.headers["content-security-policy"]

    listed = await client.get(files_url(review.id, item.id), headers=auth(reviewer))
    assert [a["id"] for a in listed.json()] == [body["id"]]
    detail = await client.get(f"/api/v1/reviews/{review.id}/evidence/{item.id}", headers=auth(reviewer))
    assert [a["url"] for a in detail.json()["attachments"]] == [body["url"]]


async def test_identical_content_is_stored_once_on_disk(client, team) -> None:
    review, _, reviewer, item = team
    other = make_evidence(review, reviewer, title="Second item")
    data = samples.png(4, 4)
    first = await upload(client, review, item, reviewer, "ward.png", data)
    second = await upload(client, review, other, reviewer, "same-picture.png", data)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    digest = hashlib.sha256(data).hexdigest()
    copies = [p for p in stored_files() if p.name == digest]
    assert len(copies) == 1
    assert copies[0].relative_to(get_settings().attachments_dir) == Path(digest[:2], digest[2:4], digest)
    assert not [p for p in stored_files() if p.name.startswith(".incoming-")]


async def test_an_oversized_file_is_refused_and_nothing_is_kept(client, team, monkeypatch) -> None:
    review, _, reviewer, item = team
    monkeypatch.setattr(get_settings(), "max_attachment_bytes", 1000)
    before = stored_files()
    response = await upload(client, review, item, reviewer, "big.txt", b"x" * 1001)
    assert response.status_code == 413
    assert response.json()["errors"] == [
        {"field": "file", "message": "the file is larger than the limit of 1000 bytes"}
    ]
    assert stored_files() == before
    assert attachment_rows() == []
    exactly = await upload(client, review, item, reviewer, "fits.txt", b"y" * 1000)
    assert exactly.status_code == 201


@pytest.mark.parametrize(
    ("name", "data", "looks_like"),
    [
        ("minutes.pdf", samples.WINDOWS_PROGRAM, "a Windows program"),
        ("minutes.pdf", samples.HTML_PAGE, "a web page (HTML)"),
        ("plan.docx", samples.png(), "a PNG image"),
    ],
)
async def test_a_disguised_file_is_refused_naming_the_file_field(
    client, team, name, data, looks_like
) -> None:
    review, _, reviewer, item = team
    before = stored_files()
    response = await upload(client, review, item, reviewer, name, data)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "file"
    assert looks_like in error["message"]
    assert stored_files() == before
    assert attachment_rows() == []


async def test_types_outside_the_list_and_empty_files_are_refused(client, team) -> None:
    review, _, reviewer, item = team
    exe = await upload(client, review, item, reviewer, "tool.exe", samples.WINDOWS_PROGRAM)
    assert exe.status_code == 422
    assert "files ending .exe are not accepted" in exe.json()["errors"][0]["message"]
    empty = await upload(client, review, item, reviewer, "blank.txt", b"")
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "file"


async def test_the_client_name_never_becomes_a_path(client, team) -> None:
    review, _, reviewer, item = team
    response = await upload(client, review, item, reviewer, "../../../etc/cron.d/notes.txt", samples.TEXT)
    assert response.status_code == 201
    assert response.json()["name"] == "notes.txt"
    digest = hashlib.sha256(samples.TEXT).hexdigest()
    assert get_settings().attachments_dir / digest[:2] / digest[2:4] / digest in stored_files()


async def test_delete_hides_the_file_and_both_writes_are_audited(client, team) -> None:
    review, lead, reviewer, item = team
    created = (await upload(client, review, item, reviewer, "voice.wav", samples.wav())).json()
    assert created["content_type"] == "audio/wav"
    gone = await client.delete(created["url"], headers=auth(reviewer))
    assert gone.status_code == 204
    assert (await client.get(created["url"], headers=auth(reviewer))).status_code == 404
    assert (await client.get(files_url(review.id, item.id), headers=auth(reviewer))).json() == []
    again = await client.delete(created["url"], headers=auth(reviewer))
    assert again.status_code == 404

    # The lead still sees it, marked deleted.
    with_deleted = await client.get(
        files_url(review.id, item.id), params={"include_deleted": True}, headers=auth(lead)
    )
    assert [(a["id"], a["deleted"]) for a in with_deleted.json()] == [(created["id"], True)]
    refused = await client.get(
        files_url(review.id, item.id), params={"include_deleted": True}, headers=auth(reviewer)
    )
    assert refused.status_code == 403

    with session_scope(read_only=True) as s:
        events = s.exec(
            select(AuditEvent).where(AuditEvent.entity == "attachment").order_by(AuditEvent.id)
        ).all()
        row = s.get(Attachment, created["id"])
        assert row is not None and row.deleted_by_id == reviewer.id
    assert [(e.action, e.user_id, e.entity_id, e.review_id) for e in events] == [
        ("create", reviewer.id, str(created["id"]), review.id),
        ("delete", reviewer.id, str(created["id"]), review.id),
    ]
    assert events[0].changes["original_name"] == [None, "voice.wav"]
    assert events[1].changes["deleted_at"][0] is None


async def test_deleting_the_evidence_hides_its_files_from_all_but_the_lead(client, team) -> None:
    review, lead, reviewer, item = team
    created = (await upload(client, review, item, reviewer, "notes.md", b"# Notes\n")).json()
    assert (
        await client.delete(f"/api/v1/reviews/{review.id}/evidence/{item.id}", headers=auth(reviewer))
    ).status_code == 204
    assert (await client.get(created["url"], headers=auth(reviewer))).status_code == 404
    assert (await client.get(files_url(review.id, item.id), headers=auth(reviewer))).status_code == 404
    lead_list = await client.get(files_url(review.id, item.id), headers=auth(lead))
    assert [a["id"] for a in lead_list.json()] == [created["id"]]
    lead_download = await client.get(created["url"], headers=auth(lead))
    assert lead_download.status_code == 200
    assert lead_download.content == b"# Notes\n"
    refused = await upload(client, review, item, lead, "more.txt", samples.TEXT)
    assert refused.status_code == 409


async def test_who_may_upload_and_download(client, team) -> None:
    review, _, reviewer, item = team
    observer = add_member(review, "observer")
    assessor = add_member(review, "self_assessor")
    stranger = make_user()
    created = (await upload(client, review, item, reviewer, "a.txt", samples.TEXT)).json()

    assert (await upload(client, review, item, observer, "b.txt", samples.TEXT)).status_code == 403
    assert (await client.get(created["url"], headers=auth(observer))).status_code == 200
    assert (await client.delete(created["url"], headers=auth(observer))).status_code == 403
    assert (await client.get(created["url"], headers=auth(assessor))).status_code == 403
    assert (await client.get(created["url"], headers=auth(stranger))).status_code == 404
    assert (await upload(client, review, item, stranger, "c.txt", samples.TEXT)).status_code == 404


async def test_files_of_another_review_are_not_reachable(client, team) -> None:
    review, _, reviewer, item = team
    created = (await upload(client, review, item, reviewer, "a.txt", samples.TEXT)).json()
    other_review = make_review(status="fieldwork", title="Review of Southshire")
    add_member(other_review, "reviewer", user=reviewer)
    other_item = make_evidence(other_review, reviewer)
    crossed = f"{files_url(other_review.id, item.id)}/{created['id']}"
    assert (await client.get(crossed, headers=auth(reviewer))).status_code == 404
    mixed = f"{files_url(review.id, other_item.id)}/{created['id']}"
    assert (await client.get(mixed, headers=auth(reviewer))).status_code == 404
    not_an_id = f"{files_url(review.id, 'not-a-uuid')}"
    assert (await client.get(not_an_id, headers=auth(reviewer))).status_code == 404


async def test_a_published_review_takes_no_new_files(client, team) -> None:
    review, lead, reviewer, item = team
    created = (await upload(client, review, item, reviewer, "a.txt", samples.TEXT)).json()
    with session_scope() as s:
        from app.reviews.models import Review

        row = s.get(Review, review.id)
        row.status = "published"
        s.add(row)
    assert (await upload(client, review, item, lead, "b.txt", samples.TEXT)).status_code == 409
    assert (await client.delete(created["url"], headers=auth(lead))).status_code == 409
    assert (await client.get(created["url"], headers=auth(reviewer))).status_code == 200
