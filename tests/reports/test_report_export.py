"""Exporting the report: jobs, the render cache, published reports, time limits, the API and CLI."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import cli
from app.core.db import session_scope
from app.core.timeutil import utcnow
from app.findings.models import ActionItem
from app.reports import jobs, service
from app.reports.models import ReportJob, ReportRender
from app.reports.options import ReportOptions
from app.reports.worker import get_worker
from app.reviews.changes import touch
from app.reviews.models import Review
from tests.factories import auth
from tests.reports.reports_helpers import seed_review

pytestmark = pytest.mark.anyio
SMALL = "peer-challenge"


@pytest.fixture(autouse=True)
def quiet_runner():
    """Each test decides when jobs run: no render thread left over from another test."""
    jobs.get_runner().stop()
    yield
    jobs.get_runner().stop()


def base(review_id: int) -> str:
    return f"/api/v1/reviews/{review_id}/report"


async def wait_for(client, url: str, headers: dict[str, str], deadline: float = 600) -> dict:  # type: ignore[type-arg]
    """Poll a job until it is done or failed."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        job = (await client.get(url, headers=headers)).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"the job at {url} did not finish")


def renders(review_id: int) -> list[ReportRender]:
    with session_scope(read_only=True) as s:
        return list(s.exec(select(ReportRender).where(ReportRender.review_id == review_id)).all())


def queue(review_id: int, user_id: int, options: ReportOptions) -> ReportJob:
    with session_scope() as s:
        review = s.get(Review, review_id)
        return service.request_export(s, review=review, user_id=user_id, options=options)


def job_row(job_id: str) -> ReportJob:
    with session_scope(read_only=True) as s:
        return s.get(ReportJob, job_id)


async def test_export_queues_a_job_that_renders_and_downloads(db, client):
    seeded = seed_review(framework_key=SMALL)
    headers = auth(seeded.writer)
    response = await client.post(base(seeded.review_id), json={}, headers=headers)
    assert response.status_code == 202
    job = response.json()
    assert job["status"] in ("queued", "running", "done")
    assert job["links"]["self"] == f"{base(seeded.review_id)}/jobs/{job['id']}"
    assert (job["format"], job["variant"], job["template_set"]) == ("pdf", "pdf/ua-1", "default")

    job = await wait_for(client, job["links"]["self"], headers)
    assert job["status"] == "done", job["error"]
    assert job["render"]["pages"] > 3 and not job["render"]["published"]
    download = await client.get(job["links"]["download"], headers=headers)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "local-system-review-northshire-draft-" in disposition
    assert download.content.startswith(b"%PDF-1.7")
    listed = (await client.get(f"{base(seeded.review_id)}/renders", headers=headers)).json()
    assert [r["id"] for r in listed] == [job["render"]["id"]]
    assert listed[0]["sha256"] == job["render"]["sha256"]


async def test_an_unchanged_review_is_served_from_the_cache_and_a_change_renders_again(db, client):
    seeded = seed_review(framework_key=SMALL)
    headers = auth(seeded.lead)
    queued = await client.post(base(seeded.review_id), json={}, headers=headers)
    first = await wait_for(client, queued.json()["links"]["self"], headers)
    worker_renders = get_worker().renders

    again = await client.post(base(seeded.review_id), json={}, headers=headers)
    assert again.status_code == 200  # at once, no new job to wait for
    assert again.json()["status"] == "done"
    assert again.json()["render"]["id"] == first["render"]["id"]
    # Touching the review without changing its content changes nothing either.
    with session_scope() as s:
        touch(s, s.get(Review, seeded.review_id))
    assert (await client.post(base(seeded.review_id), json={}, headers=headers)).status_code == 200
    assert get_worker().renders == worker_renders
    assert len(renders(seeded.review_id)) == 1

    with session_scope() as s:
        review = s.get(Review, seeded.review_id)
        review.summary = "A new summary after moderation."
        touch(s, review)
    changed = await client.post(base(seeded.review_id), json={}, headers=headers)
    assert changed.status_code == 202
    done = await wait_for(client, changed.json()["links"]["self"], headers)
    assert done["status"] == "done"
    assert done["render"]["id"] != first["render"]["id"]
    assert done["render"]["sha256"] != first["render"]["sha256"]
    assert get_worker().renders == worker_renders + 1


async def test_a_published_report_is_kept_as_first_rendered(db, client):
    seeded = seed_review(framework_key=SMALL, status="published")
    headers = auth(seeded.writer)
    job = (await client.post(base(seeded.review_id), json={}, headers=headers)).json()
    first = await wait_for(client, job["links"]["self"], headers)
    assert first["render"]["published"] is True
    original = (await client.get(first["links"]["download"], headers=headers)).content

    # The action plan grows after publication; the published report does not change.
    with session_scope() as s:
        s.add(ActionItem(review_id=seeded.review_id, text="A later action.", created_by_id=seeded.lead.id))
        touch(s, s.get(Review, seeded.review_id))
    later = await client.post(base(seeded.review_id), json={}, headers=headers)
    assert later.status_code == 200
    assert later.json()["render"]["id"] == first["render"]["id"]
    assert (await client.get(later.json()["links"]["download"], headers=headers)).content == original
    assert [r.published for r in renders(seeded.review_id)] == [True]


def test_a_draft_render_is_not_marked_published(db):
    seeded = seed_review(framework_key=SMALL, status="moderation")
    job = queue(seeded.review_id, seeded.lead.id, ReportOptions(fmt="html"))
    assert jobs.run_pending() == 1
    row = job_row(job.id)
    assert row.status == "done"
    (render,) = renders(seeded.review_id)
    assert not render.published and render.fmt == "html" and render.variant == ""
    html = service.render_path(render).read_text()
    assert "<style>" in html and 'rel="stylesheet"' not in html  # a standalone page


def test_a_render_over_the_time_limit_fails_cleanly_and_the_worker_is_replaced(db):
    seeded = seed_review(framework_key=SMALL)
    worker = get_worker()
    worker.start()
    before = worker.pid
    slow = queue(seeded.review_id, seeded.lead.id, ReportOptions())
    with session_scope() as s:
        claimed = service.claim_next_job(s)
        assert claimed is not None and claimed.id == slow.id
    jobs.run_job(slow.id, timeout=0.05)
    failed = job_row(slow.id)
    assert failed.status == "failed"
    assert "longer than the limit" in failed.error
    assert failed.finished_at is not None and failed.render_id is None
    assert not worker.alive() or worker.pid != before

    retry = queue(seeded.review_id, seeded.lead.id, ReportOptions())
    assert jobs.run_pending() == 1
    assert job_row(retry.id).status == "done"
    assert worker.pid is not None and worker.pid != before


async def test_options_are_checked_naming_the_field(db, client):
    seeded = seed_review(framework_key=SMALL)
    headers = auth(seeded.lead)
    bad_set = await client.post(base(seeded.review_id), json={"template_set": "glossy"}, headers=headers)
    assert bad_set.status_code == 422
    assert bad_set.json()["errors"][0]["field"] == "template_set"
    assert "available: default" in bad_set.json()["detail"]
    bad_variant = await client.post(base(seeded.review_id), json={"variant": "pdf/x-4"}, headers=headers)
    assert bad_variant.status_code == 422 and bad_variant.json()["errors"][0]["field"] == "variant"
    bad_format = await client.post(base(seeded.review_id), json={"format": "docx"}, headers=headers)
    assert bad_format.status_code == 422 and bad_format.json()["errors"][0]["field"] == "format"
    preview = await client.get(f"{base(seeded.review_id)}.html?template_set=glossy", headers=headers)
    assert preview.status_code == 422


async def test_who_may_read_and_export(db, client):
    seeded = seed_review(framework_key=SMALL)
    url = base(seeded.review_id)
    assessor, observer = auth(seeded.assessors[0]), auth(seeded.observer)
    assert (await client.post(url, json={}, headers=assessor)).status_code == 403
    assert (await client.get(f"{url}.html", headers=assessor)).status_code == 403
    assert (await client.get(f"{url}/renders", headers=assessor)).status_code == 403
    assert (await client.post(url, json={}, headers=observer)).status_code == 403
    assert (await client.get(f"{url}/renders", headers=observer)).status_code == 200
    other = seed_review(framework_key=SMALL, title="Another review")
    stranger = auth(other.lead)
    response = await client.get(f"{url}/renders", headers=stranger)
    assert response.status_code == 404 and response.json()["detail"] == "review not found"
    # A job or file of one review is not found through another.
    job = queue(seeded.review_id, seeded.lead.id, ReportOptions(fmt="html"))
    jobs.run_pending()
    (render,) = renders(seeded.review_id)
    other_url = base(other.review_id)
    assert (await client.get(f"{other_url}/jobs/{job.id}", headers=stranger)).status_code == 404
    assert (await client.get(f"{other_url}/files/{render.id}", headers=stranger)).status_code == 404


async def test_the_preview_is_a_framable_page_with_its_own_assets(db, client):
    seeded = seed_review(framework_key=SMALL)
    headers = auth(seeded.lead)
    response = await client.get(f"/api/v1/reviews/{seeded.review_id}/report.html", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "default-src 'self'" in csp
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    stylesheet = f"{base(seeded.review_id)}/assets/default/report.css"
    assert f'<link rel="stylesheet" href="{stylesheet}">' in response.text
    assert "DRAFT" in response.text
    css = await client.get(stylesheet, headers=headers)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assets = f"{base(seeded.review_id)}/assets/default"
    font = await client.get(f"{assets}/fonts/Lato-Regular.ttf", headers=headers)
    assert font.status_code == 200 and font.headers["content-type"] == "font/ttf"
    for path in ("report.html", "partials/cover.html", "..%2F..%2Fapp%2Fmain.py", "../../../../etc/hostname"):
        assert (await client.get(f"{assets}/{path}", headers=headers)).status_code == 404


def test_jobs_left_running_by_a_stopped_process_are_failed_on_start(db):
    seeded = seed_review(framework_key=SMALL)
    me = service.claimant()
    host = me.split(":")[0]
    rows = {
        "dead": f"{host}:999999:gone",  # no such process here
        "earlier-me": f"{host}:{me.split(':')[1]}:older-token",  # this pid, but an earlier start
        "alive": me,
        "elsewhere-recent": "another-host:12:abc",
        "elsewhere-stale": "another-host:13:def",
    }
    with session_scope() as s:
        for name, claimed_by in rows.items():
            started = utcnow() - timedelta(hours=2 if name == "elsewhere-stale" else 0)
            s.add(ReportJob(id=name, review_id=seeded.review_id, requested_by_id=seeded.lead.id,
                            status="running", claimed_by=claimed_by, started_at=started))  # fmt: skip
    with session_scope() as s:
        assert service.recover_interrupted_jobs(s) == 3
    states = {name: job_row(name).status for name in rows}
    assert states == {
        "dead": "failed",
        "earlier-me": "failed",
        "alive": "running",
        "elsewhere-recent": "running",
        "elsewhere-stale": "failed",
    }
    assert "export it again" in job_row("dead").error


def test_the_command_line_exports_and_reuses_the_stored_file(db, tmp_path):
    seeded = seed_review(framework_key=SMALL)
    runner = CliRunner()
    target = tmp_path / "out" / "report.html"
    result = runner.invoke(cli, ["report", str(seeded.review_id), "-o", str(target), "--html"])
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("<!doctype html>")
    for stage in ("done",):
        assert stage in result.output
    again = runner.invoke(cli, ["report", str(seeded.review_id), "-o", str(target), "--html"])
    assert again.exit_code == 0 and "unchanged since the last export" in again.output
    missing = runner.invoke(cli, ["report", "9999", "-o", str(target)])
    assert missing.exit_code == 1 and "no review with id 9999" in missing.output
    bad = runner.invoke(cli, ["report", str(seeded.review_id), "-o", str(target), "--template-set", "nope"])
    assert bad.exit_code == 1 and "template_set" in bad.output


def test_the_command_line_renders_a_pdf(db, tmp_path):
    seeded = seed_review(framework_key=SMALL)
    target = tmp_path / "report.pdf"
    result = CliRunner().invoke(
        cli, ["report", str(seeded.review_id), "-o", str(target), "--variant", "pdf/a-3b"]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF") and "pages" in result.output
    (render,) = renders(seeded.review_id)
    assert render.variant == "pdf/a-3b"


def test_an_unchanged_review_is_found_by_its_revision_without_gathering(db, monkeypatch):
    seeded = seed_review(framework_key=SMALL, status="moderation")
    options = ReportOptions(fmt="html")
    queue(seeded.review_id, seeded.lead.id, options)
    assert jobs.run_pending() == 1
    gathered = []
    real_gather = service.gather_snapshot
    monkeypatch.setattr(service, "gather_snapshot", lambda s, r: gathered.append(r.id) or real_gather(s, r))

    again = queue(seeded.review_id, seeded.lead.id, options)
    assert again.status == "done" and gathered == []  # a lookup, not a gather of every item

    # Renaming a team member changes what the report prints: the next export gathers again.
    from app.accounts import service as accounts
    from app.accounts.models import User
    from tests.factories import make_user

    admin = make_user(admin=True)
    with session_scope() as s:
        accounts.update_user(
            s, acting_user=s.get(User, admin.id), user_id=seeded.lead.id, display_name="Renamed Lead"
        )
    renamed = queue(seeded.review_id, seeded.lead.id, options)
    assert gathered == [seeded.review_id] and renamed.status == "queued"


def test_the_render_thread_wakes_when_the_unit_of_work_commits_not_a_savepoint(db, monkeypatch):
    """A page starts an export inside a savepoint (`attempt`); the job is not stored until the
    request's unit of work commits, so the thread must not be woken before then."""
    seeded = seed_review(framework_key=SMALL)
    woken: list[str] = []
    monkeypatch.setattr(jobs, "submit", lambda: woken.append("now"))
    with session_scope() as s:
        review = s.get(Review, seeded.review_id)
        with s.begin_nested():
            job = jobs.start_export(
                s, review=review, user_id=seeded.lead.id, fmt="html", variant="", template_set="default"
            )
        assert job.status == "queued"
        assert woken == []
    assert woken == ["now"]
