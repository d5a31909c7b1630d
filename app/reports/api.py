"""JSON API for the system review report: export jobs, downloads, the HTML preview and its assets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import FileResponse, HTMLResponse
from sqlmodel import Session

from app.core.deps import RowId, SessionDep
from app.core.errors import NotFound
from app.core.middleware import CSP
from app.core.models_base import aware
from app.reports import jobs, service
from app.reports.assets import ASSET_TYPES, RefusedURL, content_type_for, resolve_asset
from app.reports.links import api_base, download_url, job_url
from app.reports.models import ReportJob, ReportRender
from app.reports.options import DEFAULT_TEMPLATE_SET, ReportOptions
from app.reports.schemas import (
    ReportJobLinks,
    ReportJobPublic,
    ReportRenderPublic,
    ReportRequest,
    TemplateSetPublic,
)
from app.reports.templates import get_template_set, template_sets
from app.reviews.deps import ExportReport, ReadReport

router = APIRouter(prefix="/api/v1/reviews/{review_id}", tags=["report"], lifespan=jobs.lifespan)

# The preview may be shown in a frame of our own report page, and nowhere else.
PREVIEW_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
TemplateSetQuery = Annotated[str, Query(max_length=64, description="the template set to preview")]


def render_public(render: ReportRender) -> ReportRenderPublic:
    return ReportRenderPublic(
        id=render.id or 0,
        format=render.fmt,
        variant=render.variant,
        template_set=render.template_set,
        sha256=render.sha256,
        size=render.size,
        pages=render.pages,
        published=render.published,
        created_at=aware(render.created_at),  # type: ignore[arg-type]
        download_url=download_url(render),
    )


def job_public(session: Session, job: ReportJob) -> ReportJobPublic:
    """The job with its render (when done) and where to look next."""
    render = service.job_render(session, job)
    options = ReportOptions.from_dict(job.options)
    return ReportJobPublic(
        id=job.id,
        status=job.status,  # type: ignore[arg-type]
        format=options.fmt,
        variant=options.variant if options.fmt == "pdf" else "",
        template_set=options.template_set,
        error=job.error,
        created_at=aware(job.created_at),  # type: ignore[arg-type]
        started_at=aware(job.started_at),
        finished_at=aware(job.finished_at),
        render=render_public(render) if render else None,
        links=ReportJobLinks(self=job_url(job), download=download_url(render) if render else None),
    )


@router.post(
    "/report",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Export the report (202 with a queued job; 200 when an identical render is already stored)",
)
def export_report(
    body: ReportRequest,
    session: SessionDep,
    response: Response,
    scope: ExportReport,
) -> ReportJobPublic:
    assert scope.user.id is not None
    job = jobs.start_export(
        session,
        review=scope.review,
        user_id=scope.user.id,
        fmt=body.format,
        variant=body.variant,
        template_set=body.template_set,
    )
    if job.status == "done":
        response.status_code = status.HTTP_200_OK
    return job_public(session, job)


@router.get("/report/jobs/{job_id}", summary="Progress of an export")
def get_report_job(job_id: str, session: SessionDep, scope: ReadReport) -> ReportJobPublic:
    return job_public(session, service.get_job(session, review=scope.review, job_id=job_id))


@router.get("/report/renders", summary="Stored renders of the report, newest first")
def list_report_renders(session: SessionDep, scope: ReadReport) -> list[ReportRenderPublic]:
    return [render_public(r) for r in service.list_renders(session, review=scope.review)]


@router.get("/report/template-sets", summary="Report template sets on offer")
def list_template_sets(scope: ReadReport) -> list[TemplateSetPublic]:
    return [TemplateSetPublic(name=s.name, builtin=s.builtin) for s in template_sets().values()]


@router.get(
    "/report/files/{render_id}",
    summary="Download a rendered report",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
)
def download_report(render_id: RowId, session: SessionDep, scope: ReadReport) -> FileResponse:
    render = service.get_render(session, review=scope.review, render_id=render_id)
    return FileResponse(
        service.render_path(render),
        media_type=service.MEDIA_TYPES[render.fmt],
        filename=service.download_name(scope.review, render),
        content_disposition_type="attachment",
        headers={"Cache-Control": "private, max-age=0, must-revalidate", "ETag": f'"{render.sha256}"'},
    )


@router.get("/report.html", response_class=HTMLResponse, summary="The report as a web page (preview)")
def preview_report(
    session: SessionDep,
    scope: ReadReport,
    template_set: TemplateSetQuery = DEFAULT_TEMPLATE_SET,
) -> HTMLResponse:
    chosen = get_template_set(template_set)
    html = service.preview_html(
        session,
        scope.review,
        template_set=chosen.name,
        stylesheet_href=f"{api_base(scope.review.id)}/assets/{chosen.name}/report.css",
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": PREVIEW_CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/report/assets/{template_set}/{path:path}", summary="A file of a report template set")
def report_asset(template_set: str, path: str, scope: ReadReport) -> FileResponse:
    chosen = get_template_set(template_set)
    try:
        file = resolve_asset(chosen.root, path)
    except RefusedURL as exc:
        raise NotFound("no such file in the template set") from exc
    if file.suffix.lower() not in ASSET_TYPES:
        raise NotFound("no such file in the template set")  # stylesheets, fonts and images only
    return FileResponse(
        file, media_type=content_type_for(file), headers={"Cache-Control": "private, max-age=3600"}
    )
