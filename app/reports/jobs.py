"""The render thread: works through queued report jobs, one at a time, in the API process.

The `report_job` table is the queue, so a job survives a restart and any
process may take it (the claim is an update that only succeeds while the job
is still queued). The thread does the light work itself (gathering, building
the HTML) and hands the heavy render to the worker process, waiting without
holding the GIL. Database transactions stay short: none is open while a
render runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from app.core.db import session_scope
from app.core.errors import DomainError
from app.reports import service
from app.reports.models import ReportJob
from app.reports.options import ReportOptions
from app.reports.worker import RenderError
from app.reviews.models import Review

log = logging.getLogger("sysreview.reports")

# How often an idle thread looks for jobs queued by another process.
POLL_SECONDS = 5.0


def run_job(job_id: str, *, timeout: float | None = None) -> None:
    """Render one claimed job and record the outcome on it; never raises."""
    try:
        with session_scope(read_only=True) as session:
            job = session.get(ReportJob, job_id)
            review = session.get(Review, job.review_id) if job else None
            if job is None or review is None:
                return
            user_id = job.requested_by_id
            prepared = service.prepare(session, review, ReportOptions.from_dict(job.options))
            cached = service.cached_render(session, prepared)
        if cached is not None:
            with session_scope() as session:
                service.finish_job(session, job_id, render_id=cached.id)
            return
        built = service.build(prepared)
        rendered = service.render_document(built, timeout=timeout)
        with session_scope() as session:
            render = service.store_render(session, prepared, rendered, user_id=user_id)
            service.finish_job(session, job_id, render_id=render.id)
    except (RenderError, DomainError) as exc:
        _fail(job_id, str(exc))
    except Exception:
        log.exception("report job %s failed", job_id)
        _fail(job_id, "the report could not be made because of an error on our side; it has been logged")


def _fail(job_id: str, message: str) -> None:
    try:
        with session_scope() as session:
            service.finish_job(session, job_id, error=message)
    except Exception:  # the database itself is failing; the log is all that is left
        log.exception("could not record the failure of report job %s", job_id)


def run_pending(*, timeout: float | None = None) -> int:
    """Claim and run queued jobs until none is left; returns how many ran."""
    ran = 0
    while True:
        with session_scope() as session:
            job = service.claim_next_job(session)
            job_id = job.id if job else None
        if job_id is None:
            return ran
        run_job(job_id, timeout=timeout)
        ran += 1


class JobRunner:
    """The background thread that runs queued jobs as they arrive."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Recover jobs a previous run left behind, warm the render worker, start the thread."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            with session_scope() as session:
                failed = service.recover_interrupted_jobs(session)
            if failed:
                log.warning("marked %s interrupted report job(s) as failed", failed)
            service.get_worker().start()
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name="sysreview-report-jobs", daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                run_pending()
            except Exception:  # keep the thread alive whatever one pass hits
                log.exception("the report job thread hit an error")
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()


_runner: JobRunner | None = None
_runner_lock = threading.Lock()


def get_runner() -> JobRunner:
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = JobRunner()
        return _runner


def submit() -> None:
    """Make sure the thread runs, and wake it for a newly queued job."""
    runner = get_runner()
    runner.start()
    runner.notify()


def start_export(
    session: Session, *, review: Review, user_id: int, fmt: str, variant: str, template_set: str
) -> ReportJob:
    """Check the options and ask for the render; the thread is woken once the job is stored.

    The one way the API and the report page start an export.
    """
    options, _ = service.check_options(fmt=fmt, variant=variant, template_set=template_set)
    job = service.request_export(session, review=review, user_id=user_id, options=options)
    if job.status == "queued":
        submit_after_commit(session)
    return job


def submit_after_commit(session: Session) -> None:
    """Wake the render thread once the caller's unit of work (holding the new job) commits."""

    woken = False

    def wake(committed: Session) -> None:
        # A savepoint committing (a page's attempt) fires this too; only the unit of work counts,
        # or the thread would look for the job, and take the database's write lock, too early.
        nonlocal woken
        if woken or committed.in_nested_transaction():
            return
        woken = True
        submit()

    event.listen(session, "after_commit", wake)


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """With the app: recover interrupted jobs and start the thread and a warm render worker;
    stop both on shutdown."""
    try:
        get_runner().start()
    except Exception:  # a database that is not ready must not stop the app from serving
        log.exception("could not start the report job thread; it will start with the first export")
    yield
    get_runner().stop()
    service.get_worker().stop()
