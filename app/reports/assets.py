"""Template set files and data: URIs, as the report renderer and the preview read them.

No WeasyPrint here, so the API process can serve preview assets without loading it.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from pathlib import Path
from urllib.parse import unquote_to_bytes

ASSET_HOST = "report.invalid"
ASSET_BASE = f"https://{ASSET_HOST}/"
# Types WeasyPrint cares about; anything else is served as bytes.
ASSET_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


class RefusedURL(ValueError):
    """A URL the report may not load."""


def resolve_asset(root: Path, relative: str) -> Path:
    """The file `relative` names inside the template set folder `root`, or RefusedURL.

    `relative` is a decoded URL path. The result is fully resolved, so neither
    `..` segments nor a symlink can lead outside `root`.
    """
    if "\x00" in relative or "\\" in relative:
        raise RefusedURL("not a plain path")
    base = root.resolve()
    candidate = (base / relative.lstrip("/")).resolve()
    if not candidate.is_relative_to(base) or candidate == base:
        raise RefusedURL("outside the template set")
    if not candidate.is_file():
        raise RefusedURL("no such file in the template set")
    return candidate


def content_type_for(path: Path) -> str:
    """The media type a template asset is served with."""
    known = ASSET_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return known or "application/octet-stream"


def decode_data_uri(url: str) -> tuple[str, bytes]:
    """(media type, bytes) of a `data:` URI; RefusedURL when it is malformed."""
    header, comma, payload = url[len("data:") :].partition(",")
    if not comma:
        raise RefusedURL("malformed data: URI")
    params = header.split(";")
    media_type = params[0].strip() or "text/plain"
    raw = unquote_to_bytes(payload)
    if "base64" in (p.strip().lower() for p in params[1:]):
        try:
            raw = base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise RefusedURL("malformed base64 in data: URI") from exc
    return media_type, raw
