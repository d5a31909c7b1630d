"""Exporting the system review report: prepare, build, render, store, and the render cache.

The steps, each a plain function so the API, the job thread and the command
line share them:

1. `prepare` (after `check_options`): gather the review into a snapshot and work
   out the cache key (the snapshot's canonical JSON, the template set's files,
   the options and the renderer version);
2. `build`: the report context and its HTML (plus scores.json for the archive
   variant);
3. `render_document`: PDF bytes from the render worker (or the HTML itself);
4. `store_render`: the file under `reports_dir`, named by its SHA-256, and a
   `ReportRender` row.

An unchanged review is served from the cache. A published review's first
render is kept as the published report: every later export of that review
with the same options returns that same file, unchanged, whatever has changed
since (an action plan, a template).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import re
import socket
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.core import audit
from app.core.config import get_settings
from app.core.errors import Invalid, NotFound
from app.core.models_base import aware
from app.core.timeutil import utcnow
from app.reports.context import ReportContext, build_report_context
from app.reports.gather import gather_snapshot
from app.reports.models import ReportJob, ReportRender
from app.reports.options import FORMATS, VARIANTS, ReportOptions
from app.reports.snapshot import ReportSnapshot
from app.reports.templates import TemplateSet, get_template_set, render_html
from app.reports.worker import AttachmentData, RenderRequest, get_worker
from app.reviews.models import Review

log = logging.getLogger("sysreview.reports")

# Bump when the report's content rules change, so old cached renders are not reused.
REPORT_FORMAT_VERSION = "1"
MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
SCORES_ATTACHMENT = "scores.json"
INTERRUPTED = "the server stopped while this report was rendering; export it again"


def renderer_version() -> str:
    """What else decides the output: our report rules and the WeasyPrint release."""
    try:
        weasyprint = importlib.metadata.version("weasyprint")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - it is a dependency
        weasyprint = "unknown"
    return f"report-{REPORT_FORMAT_VERSION}/weasyprint-{weasyprint}"


# Options ----------------------------------------------------------------------------------------


def check_options(*, fmt: str, variant: str, template_set: str) -> tuple[ReportOptions, TemplateSet]:
    """Valid options and their template set, or Invalid naming the field at fault."""
    if fmt not in FORMATS:
        raise Invalid(f"must be one of {', '.join(FORMATS)}", field="format")
    if fmt == "pdf" and variant not in VARIANTS:
        raise Invalid(f"must be one of {', '.join(VARIANTS)}", field="variant")
    chosen = get_template_set(template_set)
    return ReportOptions(fmt=fmt, variant=variant, template_set=chosen.name), chosen


# Prepare and build ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedReport:
    review_id: int
    published: bool
    snapshot: ReportSnapshot
    options: ReportOptions
    template_set: TemplateSet
    cache_key: str
    revision_key: str = ""


@dataclass(frozen=True)
class BuiltReport:
    prepared: PreparedReport
    context: ReportContext
    html: str
    attachments: tuple[AttachmentData, ...]


@dataclass(frozen=True)
class RenderedFile:
    data: bytes
    pages: int
    refused: tuple[str, ...] = ()


def cache_key(snapshot: ReportSnapshot, template_set: TemplateSet, options: ReportOptions) -> str:
    """SHA-256 of everything that decides the file: content, templates, options, renderer."""
    parts = {
        "content": snapshot.digest(),
        "templates": template_set.digest(),
        "options": options.to_dict(),
        "renderer": renderer_version(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def quick_key(review: Review, template_set: TemplateSet, options: ReportOptions) -> str:
    """A key found without gathering the review: its revision (bumped by every change to its
    content), the templates and the options. A hit means the content is what it was."""
    parts = {
        "review": review.id,
        "revision": review.revision,
        "templates": template_set.digest(),
        "options": options.to_dict(),
        "renderer": renderer_version(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def prepare(
    session: Session, review: Review, options: ReportOptions, template_set: TemplateSet | None = None
) -> PreparedReport:
    """Gather the review and work out its cache key (a handful of queries; nothing rendered)."""
    template_set = template_set or get_template_set(options.template_set)
    # The revision is read before the content: a write landing in between makes the content
    # newer than its key, which can only cost a render, never serve a stale file.
    revision_key = quick_key(review, template_set, options)
    snapshot = gather_snapshot(session, review)
    assert review.id is not None
    return PreparedReport(
        review_id=review.id,
        published=review.status == "published",
        snapshot=snapshot,
        options=options,
        template_set=template_set,
        cache_key=cache_key(snapshot, template_set, options),
        revision_key=revision_key,
    )


def scores_document(context: ReportContext, snapshot: ReportSnapshot) -> bytes:
    """The machine-readable scores attached to the archive PDF: the engine's output and review facts."""
    review = snapshot.review
    document: dict[str, Any] = {
        "review": {
            "id": review.id,
            "title": review.title,
            "place": review.place,
            "icb": review.icb,
            "councils": list(review.councils),
            "kind": review.kind,
            "status": review.status,
            "fieldwork_start": review.fieldwork_start.isoformat() if review.fieldwork_start else None,
            "fieldwork_end": review.fieldwork_end.isoformat() if review.fieldwork_end else None,
            "published_at": review.published_at.isoformat() if review.published_at else None,
        },
        "framework": {
            "key": snapshot.framework.key,
            "version": snapshot.framework.version,
            "title": snapshot.framework.title,
        },
        "content_sha256": snapshot.digest(),
        "scores": context.scores.to_dict(),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode()


def build(prepared: PreparedReport) -> BuiltReport:
    """The report context and the HTML to render (no database)."""
    context = build_report_context(prepared.snapshot, options=prepared.options)
    mode = "html" if prepared.options.fmt == "html" else "pdf"
    html = render_html(context, prepared.template_set, mode=mode)
    attachments: tuple[AttachmentData, ...] = ()
    if prepared.options.archive:
        attachments = (
            AttachmentData(
                name=SCORES_ATTACHMENT,
                description="Scores for every line of enquiry, domain and overall, as JSON",
                data=scores_document(context, prepared.snapshot),
            ),
        )
    return BuiltReport(prepared=prepared, context=context, html=html, attachments=attachments)


def render_document(built: BuiltReport, *, timeout: float | None = None) -> RenderedFile:
    """The file itself: PDF bytes from the render worker, or the standalone HTML."""
    options = built.prepared.options
    if options.fmt == "html":
        return RenderedFile(data=built.html.encode(), pages=0)
    request = RenderRequest(
        html=built.html,
        css=built.prepared.template_set.css_text(),
        asset_root=str(built.prepared.template_set.root),
        variant=options.variant,
        attachments=built.attachments,
    )
    limit = timeout if timeout is not None else float(get_settings().report_timeout_seconds)
    result = get_worker().render(request, timeout=limit)
    if result.refused:
        log.warning(
            "report render for review %s refused to load: %s", built.prepared.review_id, result.refused
        )
    return RenderedFile(data=result.pdf, pages=result.pages, refused=result.refused)


def preview_html(session: Session, review: Review, *, template_set: str, stylesheet_href: str) -> str:
    """The report as a web page for the preview, linking its stylesheet from the app."""
    chosen = get_template_set(template_set)
    options = ReportOptions(fmt="html", template_set=chosen.name)
    context = build_report_context(gather_snapshot(session, review), options=options)
    return render_html(context, chosen, mode="preview", stylesheet_href=stylesheet_href)


# Stored renders -----------------------------------------------------------------------------------


def reports_dir() -> Path:
    return get_settings().reports_dir


def render_path(render: ReportRender) -> Path:
    return reports_dir() / f"{render.sha256}.{render.fmt}"


def _write_file(data: bytes, sha256: str, fmt: str) -> Path:
    """Write once, atomically: a reader never sees half a file."""
    folder = reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha256}.{fmt}"
    if target.exists() and target.stat().st_size == len(data):
        return target
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".render-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def cached_render(session: Session, prepared: PreparedReport) -> ReportRender | None:
    """A stored render to serve instead of rendering: the published report of a published
    review, else a render of exactly this content, templates and options."""
    if prepared.published:
        kept = published_render(session, prepared.review_id, prepared.options)
        if kept is not None:
            return kept
    rows = session.exec(
        select(ReportRender)
        .where(ReportRender.review_id == prepared.review_id, ReportRender.cache_key == prepared.cache_key)
        .order_by(col(ReportRender.id))
    ).all()
    return next((row for row in rows if render_path(row).is_file()), None)


def published_render(session: Session, review_id: int, options: ReportOptions) -> ReportRender | None:
    data = options.to_dict()
    return session.exec(
        select(ReportRender)
        .where(
            ReportRender.review_id == review_id,
            col(ReportRender.published).is_(True),
            ReportRender.fmt == data["fmt"],
            ReportRender.variant == data["variant"],
            ReportRender.template_set == data["template_set"],
        )
        .order_by(col(ReportRender.id))
    ).first()


def store_render(
    session: Session, prepared: PreparedReport, rendered: RenderedFile, *, user_id: int | None
) -> ReportRender:
    """Keep the file and record it; the first render of a published review becomes its published report."""
    existing = cached_render(session, prepared)
    if existing is not None:
        return existing  # another job stored the same render first
    sha256 = hashlib.sha256(rendered.data).hexdigest()
    options = prepared.options.to_dict()
    _write_file(rendered.data, sha256, options["fmt"])
    render = ReportRender(
        review_id=prepared.review_id,
        cache_key=prepared.cache_key,
        revision_key=prepared.revision_key,
        fmt=options["fmt"],
        variant=options["variant"],
        template_set=options["template_set"],
        sha256=sha256,
        size=len(rendered.data),
        pages=rendered.pages,
        published=prepared.published,
    )
    audit.record_new(session, render, user_id=user_id, review_id=prepared.review_id, entity="report_render")
    return render


def get_render(session: Session, *, review: Review, render_id: int) -> ReportRender:
    render = session.get(ReportRender, render_id)
    if render is None or render.review_id != review.id or not render_path(render).is_file():
        raise NotFound("report file not found")
    return render


def list_renders(session: Session, *, review: Review, limit: int = 50) -> list[ReportRender]:
    """The review's stored renders, newest first, published ones always included."""
    rows = session.exec(
        select(ReportRender)
        .where(ReportRender.review_id == review.id)
        .order_by(col(ReportRender.created_at).desc(), col(ReportRender.id).desc())
    ).all()
    kept = [row for row in rows if row.published]
    recent = [row for row in rows if not row.published][:limit]
    return sorted(kept + recent, key=lambda row: (aware(row.created_at), row.id or 0), reverse=True)


def download_name(review: Review, render: ReportRender) -> str:
    """A file name a person can recognise: title, draft or published, date."""
    slug = re.sub(r"[^a-z0-9]+", "-", review.title.lower()).strip("-")[:80] or f"review-{review.id}"
    state = "published" if render.published else "draft"
    created = aware(render.created_at) or utcnow()
    variant = "-archive" if render.variant == "pdf/a-3b" else ""
    return f"{slug}-{state}{variant}-{created:%Y-%m-%d}.{render.fmt}"


# Jobs ---------------------------------------------------------------------------------------------


def _render_by_revision(session: Session, review: Review, options: ReportOptions) -> ReportRender | None:
    """A stored render of this very revision, templates and options, found without gathering."""
    if review.status == "published":
        return None  # the published report is looked up by the full path
    key = quick_key(review, get_template_set(options.template_set), options)
    rows = session.exec(
        select(ReportRender)
        .where(ReportRender.review_id == review.id, ReportRender.revision_key == key)
        .order_by(col(ReportRender.id))
    ).all()
    return next((row for row in rows if render_path(row).is_file()), None)


def request_export(session: Session, *, review: Review, user_id: int, options: ReportOptions) -> ReportJob:
    """Ask for a render. Served from the cache when possible (the job comes back done);
    otherwise the job is queued for the render thread. An unchanged review is found by its
    revision first, so a repeat export costs a lookup, not a gather of every item."""
    cached = _render_by_revision(session, review, options)
    if cached is None:
        cached = cached_render(session, prepare(session, review, options))
    job = ReportJob(
        id=str(uuid.uuid4()),
        review_id=review.id or 0,
        requested_by_id=user_id,
        options=options.to_dict(),
        status="done" if cached else "queued",
        render_id=cached.id if cached else None,
        finished_at=utcnow() if cached else None,
    )
    audit.record_new(session, job, user_id=user_id, review_id=review.id, entity="report_job")
    return job


def job_render(session: Session, job: ReportJob) -> ReportRender | None:
    """The render a finished job made (or found in the cache), if any."""
    return session.get(ReportRender, job.render_id) if job.render_id else None


def get_job(session: Session, *, review: Review, job_id: str) -> ReportJob:
    job = session.get(ReportJob, job_id)
    if job is None or job.review_id != review.id:
        raise NotFound("report job not found")
    return job


def latest_job(session: Session, *, review: Review) -> ReportJob | None:
    return session.exec(
        select(ReportJob).where(ReportJob.review_id == review.id).order_by(col(ReportJob.created_at).desc())
    ).first()


# Tells this process apart from an earlier one that had the same id (a restarted container).
_PROCESS_TOKEN = uuid.uuid4().hex[:12]


def claimant() -> str:
    """This process, as recorded on the jobs it runs: host, process id and a per-start token."""
    return f"{socket.gethostname()[:90]}:{os.getpid()}:{_PROCESS_TOKEN}"


def claim_next_job(session: Session) -> ReportJob | None:
    """Take the oldest queued job for this process, or None. Safe against other processes:
    the update only succeeds while the job is still queued."""
    candidates = session.exec(
        select(ReportJob.id).where(ReportJob.status == "queued").order_by(col(ReportJob.created_at)).limit(5)
    ).all()
    for job_id in candidates:
        claimed = session.exec(
            update(ReportJob)
            .where(col(ReportJob.id) == job_id, col(ReportJob.status) == "queued")
            .values(status="running", started_at=utcnow(), claimed_by=claimant())
        )
        if claimed.rowcount == 1:
            return session.get(ReportJob, job_id, populate_existing=True)
    return None


def finish_job(session: Session, job_id: str, *, render_id: int | None = None, error: str = "") -> None:
    job = session.get(ReportJob, job_id)
    if job is None:
        return
    before = audit.snapshot(job)
    job.status = "failed" if error else "done"
    job.render_id = render_id
    job.error = error[:2000]
    job.finished_at = utcnow()
    session.add(job)
    audit.record(
        session,
        user_id=None,
        review_id=job.review_id,
        entity="report_job",
        entity_id=job.id,
        action="fail" if error else "finish",
        before=before,
        after=audit.snapshot(job),
    )


def _process_alive(claimed_by: str) -> bool | None:
    """True or False for a process on this host; None when it ran elsewhere (cannot tell)."""
    host, pid, token = (claimed_by.split(":") + ["", "", ""])[:3]
    if host != socket.gethostname()[:90] or not pid.isdigit():
        return None
    if int(pid) == os.getpid():
        return token == _PROCESS_TOKEN
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_interrupted_jobs(session: Session, *, grace_seconds: int = 60) -> int:
    """Mark failed the jobs left 'running' by a process that stopped (a crash or a restart).

    A job counts as interrupted when the process that claimed it is gone, or when it has
    been running longer than the render time limit allows (a live render is always
    stopped at the limit, so such a job can no longer finish).
    """
    limit = timedelta(seconds=get_settings().report_timeout_seconds + grace_seconds)
    now = utcnow()
    failed = 0
    for job in session.exec(select(ReportJob).where(ReportJob.status == "running")).all():
        started = aware(job.started_at) or aware(job.created_at) or now
        alive = _process_alive(job.claimed_by)
        if alive is False or now - started > limit:
            finish_job(session, job.id, error=INTERRUPTED)
            failed += 1
    return failed
