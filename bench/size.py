"""One size of the benchmark, in a process of its own: generate, export, compare with the floors.

`python -m bench.size N WORKDIR` prints one JSON object. The database is a fresh SQLite file in
WORKDIR (its settings come from the environment, so each size needs its own process).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _median_time(fn: Any, runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _peak_rss_mib(pid: int | None) -> float | None:
    """High-water mark of a process's resident memory (Linux)."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def run(n_items: int, workdir: Path, runs: int) -> dict[str, Any]:
    os.environ["DATA_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    os.environ.setdefault("ENVIRONMENT", "development")

    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from app.cli import upgrade_database
    from app.core.config import get_settings
    from app.core.db import session_scope
    from app.frameworks.service import load_files
    from app.reports import service as reports
    from app.reports.fetcher import ASSET_BASE, ReportFetcher
    from app.reports.options import ReportOptions
    from app.reports.worker import get_worker
    from app.reviews.models import Review
    from bench.generate import generate_review
    from bench.reference import reference_css, reference_html

    settings = get_settings()
    upgrade_database(settings.effective_database_url)
    with session_scope() as s:
        load_files(s, [settings.frameworks_dir])

    started = time.perf_counter()
    generated = generate_review(n_items)
    generate_seconds = time.perf_counter() - started
    review_id = generated.review_id
    # The load phase of `make bench` reuses this database and needs its facts.
    (workdir / "generated.json").write_text(
        json.dumps({"review_id": review_id, "token": generated.token, "lead_id": generated.lead_id})
    )
    options = ReportOptions(fmt="pdf")

    worker = get_worker()
    worker.start()

    def full_export() -> Any:
        """Database to PDF bytes: gather, build the context and HTML, render in the worker."""
        with session_scope(read_only=True) as s:
            review = s.get(Review, review_id)
            prepared = reports.prepare(s, review, options)
        built = reports.build(prepared)
        return built, reports.render_document(built)

    built, rendered = full_export()  # warm-up: the worker's first render parses the CSS and fonts
    template_set = built.prepared.template_set
    css_text = template_set.css_text()

    fonts = FontConfiguration()
    fetcher = ReportFetcher(template_set.root)
    stylesheet = CSS(string=css_text, base_url=ASSET_BASE, url_fetcher=fetcher, font_config=fonts)

    def floor() -> bytes:
        """WeasyPrint alone on the very same HTML, stylesheet already parsed (as the worker keeps it)."""
        return HTML(string=built.html, base_url=ASSET_BASE, url_fetcher=fetcher).write_pdf(
            stylesheets=[stylesheet], font_config=fonts, pdf_variant=options.variant, pdf_tags=True
        )

    floor()  # warm-up
    export_times, floor_times = [], []
    for _ in range(runs):  # interleaved so drift on a shared machine hits both alike
        t, (built, rendered) = _median_time(full_export, 1)
        export_times.append(t)
        t, _ = _median_time(floor, 1)
        floor_times.append(t)
    export_s, floor_s = statistics.median(export_times), statistics.median(floor_times)

    result: dict[str, Any] = {
        "items": n_items,
        "generate_s": round(generate_seconds, 2),
        "export_s": round(export_s, 3),
        "floor_s": round(floor_s, 3),
        "export_over_floor": round(export_s / floor_s, 3),
        "pages": rendered.pages,
        "pdf_kib": round(len(rendered.data) / 1024, 1),
        "render_peak_rss_mib": _peak_rss_mib(worker.pid),
        "html_kib": round(len(built.html.encode()) / 1024, 1),
    }

    # The same content as plain auto-width tables, rendered by WeasyPrint alone.
    ref_html = reference_html(built.context)
    ref_css = CSS(string=reference_css(), base_url=ASSET_BASE, url_fetcher=fetcher, font_config=fonts)

    def reference() -> bytes:
        return HTML(string=ref_html, base_url=ASSET_BASE, url_fetcher=fetcher).write_pdf(
            stylesheets=[ref_css], font_config=fonts, pdf_variant=options.variant, pdf_tags=True
        )

    reference()
    ref_s, _ = _median_time(reference, runs)
    result["reference_s"] = round(ref_s, 3)
    result["floor_over_reference"] = round(floor_s / ref_s, 3)

    # First export through the job flow, then the same again from the cache.
    from app.reports import jobs

    def export_job() -> float:
        started = time.perf_counter()
        with session_scope() as s:
            review = s.get(Review, review_id)
            job = reports.request_export(s, review=review, user_id=generated.lead_id, options=options)
            job_id, status = job.id, job.status
        if status != "done":
            jobs.run_job(job_id)
        return time.perf_counter() - started

    first = export_job()
    cached_times = [export_job() for _ in range(max(3, runs))]
    cached = statistics.median(cached_times)
    result["first_job_export_s"] = round(first, 3)
    result["cached_export_s"] = round(cached, 4)
    result["cached_over_first_pct"] = round(100 * cached / first, 2)

    # The review dashboard and the evidence list, through the app in this process.
    result.update(asyncio.run(_page_times(review_id, generated.token, runs)))
    worker.stop()
    return result


async def _page_times(review_id: int, token: str, runs: int) -> dict[str, float]:
    import httpx

    from app.main import create_app

    app = create_app()
    headers = {"Authorization": f"Bearer {token}"}
    out: dict[str, float] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for name, path in (
            ("dashboard_ms", f"/reviews/{review_id}"),
            ("evidence_list_ms", f"/api/v1/reviews/{review_id}/evidence?per_page=50"),
        ):
            await client.get(path, headers=headers)  # warm
            times = []
            for _ in range(max(5, runs * 2)):
                started = time.perf_counter()
                response = await client.get(path, headers=headers)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)
            out[name] = round(statistics.median(times) * 1000, 2)
    return out


if __name__ == "__main__":
    size, folder = int(sys.argv[1]), Path(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    folder.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(size, folder, runs)))
