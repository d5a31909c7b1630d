"""The report page: preview, export with progress, download, and the previous exports.

Works without JavaScript: the export form posts here and redirects to this page
showing the job, with a "Check progress" link. With JavaScript, report.js polls
the job and updates the same live region, then shows the download link.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.permissions import Action
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.reports import jobs, service
from app.reports.links import download_url, job_url
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
from app.reviews.deps import ExportReport, ReadReport
from app.web.kit import FormErrors, attempt, read_form, review_page, see_other, text_fields

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
    render = service.job_render(session, job)
    return {
        "id": job.id,
        "status": job.status,
        "words": JOB_WORDS.get(job.status, job.status),
        "error": job.error,
        "api_url": job_url(job),
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
    errors: FormErrors | None = None,
) -> Response:
    review = scope.review
    sets = template_sets()
    renders = service.list_renders(session, review=review)
    return review_page(
        request,
        scope,
        "reports/report.html",
        active="report",
        title="Report",
        errors=errors,
        job=_job_view(session, job),
        renders=[_render_row(r) for r in renders],
        published_render=next((_render_row(r) for r in renders if r.published), None),
        form=form or {"format": "pdf", "variant": DEFAULT_VARIANT, "template_set": DEFAULT_TEMPLATE_SET},
        format_options=[(f, FORMAT_LABELS[f]) for f in FORMATS],
        variant_options=[(v, VARIANT_LABELS[v]) for v in VARIANTS],
        template_set_options=[(name, _set_label(name)) for name in sets],
        preview_url=f"/api/v1/reviews/{review.id}/report.html",
        can_export=scope.can(Action.export_report),
        can_write_text=scope.can(Action.write_findings),
    )


@router.get("/reviews/{review_id}/report")
def report_page(
    request: Request,
    session: SessionDep,
    scope: ReadReport,
    job: Annotated[str | None, Query(max_length=36)] = None,
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
async def export_from_page(request: Request, session: SessionDep, scope: ExportReport) -> Response:
    sent = text_fields(await read_form(request))
    form = {name: sent.get(name, "") for name in FORM_FIELDS}
    user_id = scope.user.id
    assert user_id is not None
    errors = FormErrors(FORM_FIELDS)
    job = attempt(
        session,
        errors,
        lambda: jobs.start_export(
            session,
            review=scope.review,
            user_id=user_id,
            fmt=form["format"] or "pdf",
            variant=form["variant"] or DEFAULT_VARIANT,
            template_set=form["template_set"] or DEFAULT_TEMPLATE_SET,
        ),
    )
    if job is None:
        return _page(request, session, scope, form=form, errors=errors)
    return see_other(f"/reviews/{scope.review.id}/report?job={job.id}#progress")
