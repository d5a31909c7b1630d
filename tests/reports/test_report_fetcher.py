"""The report's URL fetcher: template set files and data: URIs, nothing else."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from app.reports.fetcher import ASSET_BASE, RefusedURL, ReportFetcher


@pytest.fixture
def template_root(tmp_path: Path) -> Path:
    root = tmp_path / "sets" / "mine"
    (root / "fonts").mkdir(parents=True)
    (root / "report.css").write_text("body { color: black }")
    (root / "fonts" / "face.ttf").write_bytes(b"not really a font")
    (tmp_path / "secret.txt").write_text("outside the set")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / "inside-link.css").symlink_to(root / "report.css")
    return root


def read(fetcher: ReportFetcher, url: str) -> bytes:
    response = fetcher.fetch(url)
    try:
        return response.read()
    finally:
        response.close()


def test_serves_the_template_sets_own_files(template_root):
    fetcher = ReportFetcher(template_root)
    assert read(fetcher, ASSET_BASE + "report.css") == b"body { color: black }"
    assert read(fetcher, ASSET_BASE + "fonts/face.ttf") == b"not really a font"
    # A symlink that stays inside the set is fine.
    assert read(fetcher, ASSET_BASE + "inside-link.css") == b"body { color: black }"
    assert fetcher.fetch(ASSET_BASE + "report.css").content_type == "text/css"
    assert fetcher.refused == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "FILE:///etc/hostname",
        "http://127.0.0.1:9/x.css",
        "https://example.org/x.css",
        "https://report.invalid.example.org/report.css",
        "ftp://127.0.0.1/x",
        "//127.0.0.1/x",
        "report.css",  # relative: never resolved against the filesystem
        ASSET_BASE + "../../../etc/hostname",
        ASSET_BASE + "%2e%2e/%2e%2e/%2e%2e/etc/hostname",
        ASSET_BASE + "..%2F..%2F..%2Fetc%2Fhostname",
        ASSET_BASE + "leak.txt",  # a symlink pointing out of the set
        ASSET_BASE + "fonts",  # a folder
        ASSET_BASE,
        ASSET_BASE + "report.css?x=1",
        ASSET_BASE + "missing.css",
        "data:text/plain",  # malformed
    ],
)
def test_refuses_everything_else(template_root, url):
    fetcher = ReportFetcher(template_root)
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_decodes_data_uris(template_root):
    fetcher = ReportFetcher(template_root)
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    encoded = base64.b64encode(svg).decode()
    assert read(fetcher, f"data:image/svg+xml;base64,{encoded}") == svg
    assert read(fetcher, "data:text/plain,hello%20there") == b"hello there"
    assert fetcher.fetch("data:image/svg+xml;base64," + encoded).content_type == "image/svg+xml"


def test_the_inherited_opener_is_switched_off(template_root):
    # Even WeasyPrint's own code path through urllib would find no protocol allowed.
    fetcher = ReportFetcher(template_root)
    with pytest.raises(ValueError):
        super(ReportFetcher, fetcher).fetch("file:///etc/hostname")
