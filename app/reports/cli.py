"""`sysreview report`: export one review's report from the command line, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.reports.options import DEFAULT_TEMPLATE_SET, DEFAULT_VARIANT, VARIANTS

STAGES = ("gathering", "building", "rendering", "writing")


def report_command(
    review_id: Annotated[int, typer.Argument(help="The id of the review.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the file.")],
    html: Annotated[bool, typer.Option("--html", help="Write a standalone web page, not a PDF.")] = False,
    variant: Annotated[
        str, typer.Option(help=f"PDF variant: {' or '.join(VARIANTS)} (archive copy with scores attached).")
    ] = DEFAULT_VARIANT,
    template_set: Annotated[
        str, typer.Option("--template-set", help="Report template set.")
    ] = DEFAULT_TEMPLATE_SET,
    timeout: Annotated[
        float | None, typer.Option(help="Render time limit in seconds (default: REPORT_TIMEOUT_SECONDS).")
    ] = None,
) -> None:
    """Export the system review report of one review (served from the render cache when unchanged)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from app.core.db import session_scope
    from app.core.errors import DomainError
    from app.reports import service
    from app.reports.worker import RenderError, get_worker
    from app.reviews.models import Review

    def fail(message: str) -> None:
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(1)

    progress = Progress(
        TextColumn("{task.description:<10}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), transient=False,
    )  # fmt: skip
    try:
        options, chosen = service.check_options(
            fmt="html" if html else "pdf", variant=variant, template_set=template_set
        )
        with progress:
            task = progress.add_task(STAGES[0], total=len(STAGES))
            if not html:
                get_worker().start()  # starts in the background while the review is gathered
            with session_scope(read_only=True) as session:
                review = session.get(Review, review_id)
                if review is None:
                    fail(f"there is no review with id {review_id}")
                assert review is not None
                prepared = service.prepare(session, review, options, chosen)
                cached = service.cached_render(session, prepared)
            progress.update(task, advance=1, description=STAGES[1])
            if cached is not None:
                data = service.render_path(cached).read_bytes()
                progress.update(task, advance=2, description=STAGES[3])
                source = "unchanged since the last export: the stored file was used"
            else:
                built = service.build(prepared)
                progress.update(task, advance=1, description=STAGES[2])
                rendered = service.render_document(built, timeout=timeout)
                progress.update(task, advance=1, description=STAGES[3])
                with session_scope() as session:
                    service.store_render(session, prepared, rendered, user_id=None)
                data = rendered.data
                source = f"{rendered.pages} pages" if rendered.pages else "web page"
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(data)
            progress.update(task, advance=1, description="done")
    except DomainError as exc:
        fail(f"{exc.field + ': ' if exc.field else ''}{exc.message}")
    except RenderError as exc:
        fail(str(exc))
    finally:
        get_worker().stop()
    typer.echo(f"wrote {output} ({len(data):,} bytes; {source})")
