"""The report page: preview, export with progress, download, and the previous exports.

Works without JavaScript: the export form posts here and redirects to this page
showing the job, with a "Check progress" link. With JavaScript, report.js polls
the job and updates the same live region, then shows the download link.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.accounts.permissions import Action
from app.core.deps import SessionDep
from app.core.errors import DomainError, NotFound
from app.reports import service
from app.reports.api import download_url, start_export
from app.reports.models import ReportJob, ReportRender
from app.reports.options import (
    DEFAULT_TEMPLATE_SET,
    DEFAULT_VARIANT,
    FORMAT_LABELS,
    FORMATS,
    VARIANT_LABELS,
    VARIANTS,
    ReportOptions,
)
from app.reports.templates import template_sets
from app.reviews.access import ReviewScope
from app.reviews.deps import review_scope
from app.web.templating import render

router = APIRouter(include_in_schema=False)

FORM_FIELDS = ("format", "variant", "template_set")
JOB_WORDS = {
    "queued": "Waiting to start.",
    "running": "Rendering the report. A long report can take a minute or two.",
    "done": "The report is ready.",
    "failed": "The export did not work.",
}


def _set_label(name: str) -> str:
    return name.replace("-", " ").replace("_", " ").capitalize()


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{max(1, round(n / 1024))} KB"


def _render_row(render: ReportRender) -> dict[str, Any]:
    options = ReportOptions(fmt=render.fmt, variant=render.variant or DEFAULT_VARIANT)
    return {
        "id": render.id,
        "created_at": render.created_at,
        "kind": options.describe(),
        "template_set": render.template_set,
        "pages": render.pages,
        "size": _size(render.size),
        "sha256": render.sha256,
        "published": render.published,
        "url": download_url(render),
    }


def _job_view(session: Session, job: ReportJob | None) -> dict[str, Any] | None:
    if job is None:
        return None
    render = session.get(ReportRender, job.render_id) if job.render_id else None
    return {
        "id": job.id,
        "status": job.status,
        "words": JOB_WORDS.get(job.status, job.status),
        "error": job.error,
        "api_url": f"/api/v1/reviews/{job.review_id}/report/jobs/{job.id}",
        "render": _render_row(render) if render else None,
        "options": ReportOptions.from_dict(job.options).describe(),
    }


def _page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    job: ReportJob | None = None,
    form: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    field_errors: dict[str, str] | None = None,
) -> Response:
    review = scope.review
    sets = template_sets()
    renders = service.list_renders(session, review=review)
    context = {
        "review": review,
        "scope": scope,
        "active": "report",
        "page_title": "Report",
        "job": _job_view(session, job),
        "renders": [_render_row(r) for r in renders],
        "published_render": next((_render_row(r) for r in renders if r.published), None),
        "form": form or {"format": "pdf", "variant": DEFAULT_VARIANT, "template_set": DEFAULT_TEMPLATE_SET},
        "format_options": [(f, FORMAT_LABELS[f]) for f in FORMATS],
        "variant_options": [(v, VARIANT_LABELS[v]) for v in VARIANTS],
        "template_set_options": [(name, _set_label(name)) for name in sets],
        "preview_url": f"/api/v1/reviews/{review.id}/report.html",
        "can_export": scope.can(Action.export_report),
        "can_write_text": scope.can(Action.write_findings),
        "errors": errors or [],
        "field_errors": field_errors or {},
    }
    return render(request, "reports/report.html", context, status_code=422 if errors else 200)


@router.get("/reviews/{review_id}/report")
def report_page(
    request: Request,
    session: SessionDep,
    job: Annotated[str | None, Query(max_length=36)] = None,
    scope: ReviewScope = review_scope(Action.read_report),
) -> Response:
    shown = None
    if job:
        try:
            shown = service.get_job(session, review=scope.review, job_id=job)
        except NotFound:
            shown = None  # an old or mistyped link: show the page without it
    # Offer the same choices again, so "export again" is one press away.
    form = None
    if shown is not None:
        chosen = ReportOptions.from_dict(shown.options)
        form = {"format": chosen.fmt, "variant": chosen.variant, "template_set": chosen.template_set}
    return _page(request, session, scope, job=shown, form=form)


@router.post("/reviews/{review_id}/report")
async def export_from_page(
    request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.export_report)
) -> Response:
    raw = await request.form()
    form = {name: str(raw.get(name, "")).strip() for name in FORM_FIELDS}
    assert scope.user.id is not None
    try:
        job = start_export(
            session,
            scope.review,
            scope.user.id,
            fmt=form["format"] or "pdf",
            variant=form["variant"] or DEFAULT_VARIANT,
            template_set=form["template_set"] or DEFAULT_TEMPLATE_SET,
        )
    except DomainError as exc:
        session.rollback()
        field = exc.field if exc.field in FORM_FIELDS else ""
        message = exc.message[:1].upper() + exc.message[1:]
        return _page(
            request,
            session,
            scope,
            form=form,
            errors=[{"field": field, "message": message}],
            field_errors={field: message} if field else {},
        )
    return RedirectResponse(f"/reviews/{scope.review.id}/report?job={job.id}#progress", status_code=303)
