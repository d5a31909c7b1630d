"""PDF rendering in a separate, long-lived worker process, with a time limit.

WeasyPrint holds the GIL for the whole of a render, and a huge or hostile
review could take minutes. So renders run in a child process (started with
"spawn": no copy of the API's threads, sockets or database connections) that
stays warm between exports: WeasyPrint is imported once, and the parsed report
stylesheet with its fonts is kept for the next render of the same template
set. The parent sends (HTML, CSS, options), waits at most the time limit, and
on timeout kills the child and starts a fresh one.

`render_pdf` is the render itself, importable on its own (the worker calls it;
so can a benchmark, to compare against plain WeasyPrint).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import multiprocessing
import sys
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger("sysreview.reports")


@dataclass(frozen=True)
class AttachmentData:
    """A file to embed in the PDF (the archive variant's scores.json)."""

    name: str
    description: str
    data: bytes
    relationship: str = "Data"


@dataclass(frozen=True)
class RenderRequest:
    html: str
    css: str
    asset_root: str  # the template set folder: the only files the render may read
    variant: str
    attachments: tuple[AttachmentData, ...] = ()


@dataclass(frozen=True)
class RenderResult:
    pdf: bytes
    pages: int
    refused: tuple[str, ...] = ()  # URLs the fetcher turned away
    seconds: float = 0.0


@dataclass(frozen=True)
class _Failure:
    message: str


class RenderError(Exception):
    """The render failed; the message is safe to show to the person who asked."""


class RenderTimeout(RenderError):
    pass


# The render itself (runs in the worker) ---------------------------------------------------------


@dataclass
class _Style:
    css: Any
    font_config: Any
    counter_style: Any
    refused: list[str] = field(default_factory=list)


class StyleCache:
    """Parsed stylesheets with their fonts, by template set folder and CSS text.

    WeasyPrint binds `@font-face` fonts to the FontConfiguration used to parse the
    stylesheet, so the three are kept together and reused as a unit.
    """

    def __init__(self, size: int = 4):
        self.size = size
        self._entries: dict[tuple[str, str], _Style] = {}

    def get(self, css_text: str, asset_root: str) -> _Style:
        from weasyprint import CSS
        from weasyprint.css.counters import CounterStyle
        from weasyprint.text.fonts import FontConfiguration

        from app.reports.fetcher import ASSET_BASE, ReportFetcher

        key = (asset_root, hashlib.sha256(css_text.encode()).hexdigest())
        if key in self._entries:
            return self._entries[key]
        fetcher = ReportFetcher(Path(asset_root))
        font_config = FontConfiguration()
        counter_style = CounterStyle()
        css = CSS(
            string=css_text,
            base_url=ASSET_BASE,
            url_fetcher=fetcher,
            font_config=font_config,
            counter_style=counter_style,
        )
        if len(self._entries) >= self.size:
            self._entries.pop(next(iter(self._entries)))
        entry = _Style(css, font_config, counter_style, fetcher.refused)
        self._entries[key] = entry
        return entry


def render_pdf(request: RenderRequest, cache: StyleCache | None = None) -> RenderResult:
    """Render one report to PDF bytes with the deny-by-default fetcher on every object."""
    from weasyprint import HTML, Attachment

    from app.reports.fetcher import ASSET_BASE, ReportFetcher

    started = time.perf_counter()
    style = (cache or StyleCache()).get(request.css, request.asset_root)
    fetcher = ReportFetcher(Path(request.asset_root))
    document = HTML(string=request.html, base_url=ASSET_BASE, url_fetcher=fetcher).render(
        stylesheets=[style.css],
        font_config=style.font_config,
        counter_style=style.counter_style,
        pdf_variant=request.variant,
        pdf_tags=True,
    )
    attachments = [
        Attachment(
            string=item.data,
            base_url=ASSET_BASE,
            url_fetcher=fetcher,
            name=item.name,
            description=item.description,
            relationship=item.relationship,
        )
        for item in request.attachments
    ]
    pdf = document.write_pdf(pdf_variant=request.variant, pdf_tags=True, attachments=attachments or None)
    return RenderResult(
        pdf=pdf,
        pages=len(document.pages),
        refused=tuple(dict.fromkeys(style.refused + fetcher.refused)),
        seconds=time.perf_counter() - started,
    )


def _serve(conn: Connection) -> None:
    """The worker's loop: one request in, one result (or failure) out, until the pipe closes."""
    import weasyprint  # noqa: F401 - pay the import once, at start-up, not on the first export

    logging.getLogger("weasyprint").setLevel(logging.CRITICAL)  # refusals are reported, not logged
    cache = StyleCache()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: RenderResult | _Failure = render_pdf(request, cache)
        except Exception as exc:  # any failure goes back as text; the worker carries on
            reply = _Failure(f"{type(exc).__name__}: {exc}"[:500])
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


# The parent's handle on the worker --------------------------------------------------------------

_main_lock = threading.Lock()


@contextmanager
def _without_main_module() -> Iterator[None]:
    """Start a child that does not re-run the parent's main script.

    A spawned child normally imports the parent's `__main__` again (a script, `python -m
    bench`...), which runs any unguarded top-level code a second time. The worker needs
    only this module, so the child is started while `__main__` is a blank module.
    """
    with _main_lock:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class RenderWorker:
    """One warm worker process; renders go through it one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.renders = 0  # completed renders, for tests and the log

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self) -> None:
        """Start the process if it is not running (it imports WeasyPrint straight away)."""
        with self._lock:
            self._ensure()

    def _ensure(self) -> None:
        if self.alive():
            return
        self._discard()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child,), name="sysreview-report-render", daemon=True)
        with _without_main_module():
            process.start()
        child.close()
        self._process, self._conn = process, parent

    def _discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(timeout=5)
        self._process = self._conn = None

    def render(self, request: RenderRequest, *, timeout: float) -> RenderResult:
        """Render in the worker; RenderTimeout (and a fresh worker) when it takes longer than `timeout`."""
        with self._lock:
            self._ensure()
            assert self._conn is not None
            try:
                self._conn.send(request)
                ready = self._conn.poll(timeout)
                reply = self._conn.recv() if ready else None
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._discard()
                raise RenderError("the render process stopped unexpectedly; try again") from exc
            if reply is None:
                log.warning(
                    "report render took longer than %s seconds; restarting the render process", timeout
                )
                self._discard()
                raise RenderTimeout(
                    f"the report took longer than the limit of {timeout:g} seconds to render, so it was "
                    "stopped; try again, or ask an administrator to raise REPORT_TIMEOUT_SECONDS"
                )
            if isinstance(reply, _Failure):
                raise RenderError(f"the report could not be rendered: {reply.message}")
            self.renders += 1
            return reply

    def stop(self) -> None:
        """Stop the worker, even in the middle of a render (which then fails at once)."""
        process = self._process
        if process is not None and process.is_alive():
            process.kill()  # not under the lock: a render holds it while it waits
        with self._lock:
            self._discard()


_worker: RenderWorker | None = None
_worker_lock = threading.Lock()


def get_worker() -> RenderWorker:
    """The process-wide render worker (started on first use)."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = RenderWorker()
            atexit.register(_worker.stop)
        return _worker
