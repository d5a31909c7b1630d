"""Security headers and a request size limit, as plain ASGI middleware."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Only our own origin; no inline script; SVG charts use inline style attributes only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
DOCS_PATHS = ("/docs", "/redoc")
# The interactive API docs page loads its own script inline; keep it on its own looser policy.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                for name, value in SECURITY_HEADERS:
                    if name not in present:
                        if docs and name == b"content-security-policy":
                            value = DOCS_CSP.encode()
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimit:
    """Refuse request bodies over the limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        # Pages get a page; API clients get JSON.
        page = not scope["path"].startswith("/api/") and b"text/html" in headers.get(b"accept", b"")
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await _too_large(send, self.max_bytes, page)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(send, self.max_bytes, page)


class _BodyTooLarge(BaseException):
    # Not an Exception: FastAPI turns any Exception raised while parsing a body into a 400
    # ("error parsing the body"), which would hide the 413 from a chunked upload with no
    # Content-Length. A BaseException passes through those handlers up to this middleware.
    pass


async def _too_large(send: Send, limit: int, page: bool) -> None:
    message = f"the request body is larger than the limit of {limit} bytes"
    if page:
        body = (  # a static page: the template engine and the session are not reached
            '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
            "<title>Too large - sysreview</title>"
            '<link rel="stylesheet" href="/static/site.css"></head><body><main class="container">'
            "<h1>The file is too large</h1>"
            f"<p>What you sent is larger than {limit / 1048576:.0f} MB, the most this service accepts.</p>"
            "<p>Go back and choose a smaller file, or split it into parts.</p></main></body></html>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"detail": message}).encode()
        content_type = b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
