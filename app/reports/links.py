"""Where the report's API answers: the addresses both the API and the report page hand out."""

from __future__ import annotations

from app.reports.models import ReportJob, ReportRender


def api_base(review_id: int | None) -> str:
    return f"/api/v1/reviews/{review_id}/report"


def download_url(render: ReportRender) -> str:
    """Where a stored render is downloaded from."""
    return f"{api_base(render.review_id)}/files/{render.id}"


def job_url(job: ReportJob) -> str:
    """Where an export's progress is read from."""
    return f"{api_base(job.review_id)}/jobs/{job.id}"
