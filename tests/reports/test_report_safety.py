"""Nothing outside the template set reaches a report: planted URLs in evidence and in a
custom template set are neither fetched nor embedded, and never show their content."""

from __future__ import annotations

import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound
from pypdf import PdfReader
from sqlmodel import select

from app.core.config import get_settings
from app.core.db import session_scope
from app.evidence.models import Evidence
from app.findings.models import Finding
from app.reports import service
from app.reports.options import ReportOptions
from app.reports.templates import get_template_set, render_html
from app.reviews.models import Review
from tests.reports.reports_helpers import embedded_files, export_file, pdf_text, seed_review
from tests.reports.snapshots import rich_snapshot

HOSTNAME = Path("/etc/hostname")
DEFAULT_SET = Path(get_settings().report_templates_dir) / "default"
# A host name can be as short as "vm" and turn up in any text, so the content checks use a
# secret file of our own, planted beside /etc/hostname in every form of reference.
SECRET = Path("/tmp") / f"sysreview-report-secret-{uuid.uuid4().hex}.txt"


@pytest.fixture(autouse=True)
def secret_file() -> Iterator[Path]:
    SECRET.write_text(f"LEAKED-{uuid.uuid4().hex}")
    try:
        yield SECRET
    finally:
        SECRET.unlink(missing_ok=True)


class Recorder(BaseHTTPRequestHandler):
    """Answers anything with a tiny stylesheet, and notes that it was asked."""

    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server interface
        Recorder.requests.append(self.path)
        body = b"body { color: red }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that records every request made to it."""
    Recorder.requests = []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


def planted_html(base: str) -> str:
    """Every way we know of to make WeasyPrint read a file or make a request."""
    planted = [
        f'<link rel="stylesheet" href="{base}/evil.css">',
        f'<link rel="attachment" href="{base}/attachment.txt">',
        f'<style>@import url("{base}/import.css");</style>',
        f'<img src="{base}/image.png" alt="y">',
    ]
    for target in (HOSTNAME, SECRET):
        planted += [
            f'<img src="file://{target}" alt="x">',
            f'<link rel="stylesheet" href="file://{target}">',
            f'<link rel="attachment" href="file://{target}" title="leak">',
            f'<style>@import url("file://{target}");</style>',
            f'<img src="../../../../../..{target}" alt="z">',
        ]
    return "".join(planted) + f"![remote]({base}/markdown.png) [link]({base}/link) ![file](file://{SECRET})"


def plant_in_evidence(review_id: int, base: str) -> None:
    with session_scope() as s:
        review = s.get(Review, review_id)
        review.summary = planted_html(base)
        review.people_experience = planted_html(base)
        s.add(review)
        for evidence in s.exec(select(Evidence).where(Evidence.review_id == review_id)).all():
            evidence.title = "Planted " + planted_html(base)[:250]
            evidence.quote = planted_html(base)
            s.add(evidence)
        for finding in s.exec(select(Finding).where(Finding.review_id == review_id)).all():
            finding.text = planted_html(base)
            s.add(finding)


def hostile_set(root: Path, base: str) -> Path:
    """A copy of the default template set with hostile references in its HTML and CSS."""
    folder = root / "hostile"
    shutil.copytree(DEFAULT_SET, folder)
    (root / "secret.txt").write_text("a secret beside the template sets")
    (folder / "leak.txt").symlink_to(SECRET)
    (folder / "leak2.txt").symlink_to(root / "secret.txt")
    html = (folder / "report.html").read_text()
    head = (
        planted_html(base).split("![remote]")[0]
        + '<link rel="attachment" href="leak.txt"><link rel="attachment" href="leak2.txt">'
        + '<img src="leak.txt" alt="a"><link rel="stylesheet" href="../../etc/hostname">'
    )
    html = html.replace("</head>", head + "</head>").replace("<main>", head + "<main>")
    (folder / "report.html").write_text(html)
    css = (folder / "report.css").read_text()
    (folder / "report.css").write_text(
        '@import url("file:///etc/hostname");\n'
        f'@import url("file://{SECRET}");\n'
        f'@import url("{base}/css-import.css");\n'
        f'@import url("../../../../../..{SECRET}");\n'
        '@import url("leak.txt");\n'
        + css
        + f'\n@font-face {{ font-family: Remote; src: url("{base}/font.ttf"); }}\n'
        f'.cover {{ background: url("{base}/background.png"); }}\n'
        f'.contents {{ background: url("file://{SECRET}"); }}\n'
        'body { font-family: Remote, "Report Lato"; }\n'
    )
    return root


def assert_nothing_leaked(data: bytes, path: Path, allowed_attachments: set[str]) -> None:
    secrets = [SECRET.read_text(), "a secret beside the template sets"]
    hostname = HOSTNAME.read_text().strip()
    if len(hostname) >= 8:  # long enough not to turn up by chance
        secrets.append(hostname)
    text = pdf_text(path)
    files = embedded_files(PdfReader(str(path)))
    assert set(files) == allowed_attachments
    for secret in secrets:
        assert secret not in text
        assert secret.encode() not in data
        assert all(secret.encode() not in content for content in files.values())


@pytest.mark.parametrize("variant", ["pdf/ua-1", "pdf/a-3b"])
def test_planted_urls_in_evidence_are_never_fetched(db, listener, tmp_path, variant):
    seeded = seed_review(framework_key="peer-challenge")
    plant_in_evidence(seeded.review_id, listener)
    data, built = export_file(seeded.review_id, ReportOptions(variant=variant))
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    assert Recorder.requests == []
    assert_nothing_leaked(data, path, {"scores.json"} if variant == "pdf/a-3b" else set())
    assert "<img" not in built.html.split("<body>")[1]  # the planted elements never became elements
    assert "Planted" in pdf_text(path)  # the text itself is there, as text


def test_a_hostile_template_set_cannot_reach_outside_its_folder(db, listener, tmp_path, monkeypatch):
    sets = hostile_set(tmp_path / "sets", listener)
    monkeypatch.setattr(get_settings(), "extra_report_templates_dir", sets)
    seeded = seed_review(framework_key="peer-challenge")
    for variant in ("pdf/ua-1", "pdf/a-3b"):
        data, _ = export_file(seeded.review_id, ReportOptions(variant=variant, template_set="hostile"))
        path = tmp_path / "hostile.pdf"
        path.write_bytes(data)
        assert Recorder.requests == []
        assert_nothing_leaked(data, path, {"scores.json"} if variant == "pdf/a-3b" else set())


def test_templates_cannot_include_files_from_outside_their_folder(tmp_path, monkeypatch):
    root = tmp_path / "sets"
    folder = root / "includer"
    shutil.copytree(DEFAULT_SET, folder)
    (folder / "leak.html").symlink_to(HOSTNAME)
    monkeypatch.setattr(get_settings(), "extra_report_templates_dir", root)
    chosen = get_template_set("includer")
    from app.reports.context import build_report_context

    context = build_report_context(rich_snapshot(), options=ReportOptions(template_set="includer"))
    for target in ("leak.html", "../../../../etc/hostname", "/etc/hostname"):
        (folder / "report.html").write_text(f'{{% include "{target}" %}}')
        with pytest.raises(TemplateNotFound):
            render_html(context, chosen)


def test_template_code_runs_sandboxed(tmp_path, monkeypatch):
    root = tmp_path / "sets"
    folder = root / "sneaky"
    shutil.copytree(DEFAULT_SET, folder)
    (folder / "report.html").write_text("{{ report.__class__.__init__.__globals__ }}")
    monkeypatch.setattr(get_settings(), "extra_report_templates_dir", root)
    from jinja2.exceptions import SecurityError

    from app.reports.context import build_report_context

    context = build_report_context(rich_snapshot(), options=ReportOptions())
    with pytest.raises(SecurityError):
        render_html(context, get_template_set("sneaky"))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value or "" for name, value in attrs if name in ("src", "href", "action", "srcset")]


def test_the_preview_refers_only_to_itself_and_its_own_stylesheet(db, listener):
    seeded = seed_review(framework_key="peer-challenge")
    plant_in_evidence(seeded.review_id, listener)
    with session_scope(read_only=True) as s:
        review = s.get(Review, seeded.review_id)
        href = f"/api/v1/reviews/{review.id}/report/assets/default/report.css"
        html = service.preview_html(s, review, template_set="default", stylesheet_href=href)
    parser = _Links()
    parser.feed(html)
    assert href in parser.urls
    assert all(url.startswith("#") or url == href for url in parser.urls), parser.urls
