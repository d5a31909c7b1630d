"""The one URL fetcher every WeasyPrint object gets: deny by default.

WeasyPrint's own fetcher reads `file://` URLs, makes HTTP requests and embeds
`rel=attachment` targets. A report mixes the template set (trusted, but kept
in its folder) with text typed by many people, so the renderer may read only:

* the files of one template set, addressed under the virtual base
  `https://report.invalid/` (the `.invalid` top-level domain never resolves, and
  nothing here ever opens a socket): the path is decoded, resolved (following
  symlinks) and must still lie inside the set's folder;
* `data:` URIs, which carry their bytes with them (the server-made charts).

Anything else (`file:`, `http(s):` to any other host, `ftp:`, a path that climbs
out of the folder or a symlink that points out of it) raises, which WeasyPrint
logs and skips: the image, stylesheet, font or attachment is left out.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.reports.assets import (
    ASSET_BASE,
    ASSET_HOST,
    RefusedURL,
    content_type_for,
    decode_data_uri,
    resolve_asset,
)

__all__ = ["ASSET_BASE", "ReportFetcher", "RefusedURL"]


class ReportFetcher(URLFetcher):
    """Serves one template set's files and `data:` URIs; refuses every other URL.

    `refused` keeps the URLs turned away during a render, for the log.
    """

    def __init__(self, root: Path):
        # No protocol is allowed to the inherited opener: even if a code path in
        # WeasyPrint reached it, it would refuse. Our own `fetch` decides everything.
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.root = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        """Return the resource, or raise RefusedURL (WeasyPrint then leaves it out)."""
        try:
            return self._fetch(url)
        except RefusedURL:
            self.refused.append(url[:200])
            raise

    def _fetch(self, url: str) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            media_type, body = decode_data_uri(url)
            return URLFetcherResponse(url, body, {"Content-Type": media_type})
        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or parts.netloc.lower() != ASSET_HOST:
            raise RefusedURL(f"the report may not load {parts.scheme or 'relative'} URLs")
        if parts.query:
            raise RefusedURL("template assets take no query string")
        path = resolve_asset(self.root, unquote(parts.path))
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type_for(path)})
