"""Security headers, a request size limit and the text rule, as plain ASGI middleware."""

from __future__ import annotations

import html
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.textrules import text_problem

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
DOCS_PATHS = ("/docs",)
# The API docs page runs only scripts of ours, like every page; Swagger UI may set style
# attributes on what it draws as it is explored, which only this page allows.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class _HttpMiddleware(ABC):
    """A middleware for HTTP requests only; other traffic (lifespan, websockets) passes
    straight through to the app."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request, passing it on to `self.app` or answering it."""


class SecurityHeaders(_HttpMiddleware):
    """Add the security headers to every response that lacks them (the API docs page gets
    its own content security policy)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
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


def _wants_page(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """Whether a refusal should be a page: pages get a page; API clients get JSON."""
    return not scope["path"].startswith("/api/") and b"text/html" in headers.get(b"accept", b"")


class BodySizeLimit(_HttpMiddleware):
    """Refuse request bodies over the limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        super().__init__(app)
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        page = _wants_page(scope, headers)
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
    await _answer(
        send,
        413,
        {"detail": message},
        page=page,
        title="The file is too large",
        paragraphs=[
            f"What you sent is larger than {limit / 1048576:.0f} MB, the most this service accepts.",
            "Go back and choose a smaller file, or split it into parts.",
        ],
    )


async def _answer(
    send: Send, status: int, body: dict[str, Any], *, page: bool, title: str, paragraphs: list[str]
) -> None:
    """An answer from before the app is reached: JSON, or a static page for a browser (the
    template engine and the session are not reached)."""
    if page:
        text = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        content = (
            '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)} - sysreview</title>"
            '<link rel="stylesheet" href="/static/site.css"></head><body><main class="container">'
            f"<h1>{html.escape(title)}</h1>{text}</main></body></html>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    else:
        content = json.dumps(body).encode()
        content_type = b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(content)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": content})


# The text rule at the edge -------------------------------------------------------------------


class TextGuard(_HttpMiddleware):
    """Refuse, with 422 naming the field, any text the service does not accept
    (`app.core.textrules`) in the path, the query, a JSON body, a form or a multipart form's
    text fields (not its files), for every route at once.

    A body is inspected as it streams to the app; the refusal is raised from the last chunk,
    before the app has parsed it, so no route and no service sees the text.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        page = _wants_page(scope, headers)
        query = scope.get("query_string", b"").decode("latin-1")
        problem = _first_problem([("path", scope["path"]), *parse_qsl(query, keep_blank_values=True)])
        if problem:
            await _refuse(send, problem, page)
            return
        inspector = _inspector(headers.get(b"content-type", b""))
        if inspector is None:
            await self.app(scope, receive, send)
            return

        async def guarded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                inspector.feed(message.get("body", b""))
                if not message.get("more_body", False):
                    found = inspector.finish()
                    if found:
                        raise _TextRefused(found)
            return message

        try:
            await self.app(scope, guarded_receive, send)
        except _TextRefused as refused:
            await _refuse(send, refused.problem, page)


class _TextRefused(BaseException):
    # A BaseException for the reason `_BodyTooLarge` is one: FastAPI would turn an Exception
    # raised while reading the body into a 400.
    def __init__(self, problem: tuple[str, str]):
        super().__init__(problem)
        self.problem = problem


def _first_problem(pairs: Iterator[tuple[str, str]] | list[tuple[str, str]]) -> tuple[str, str] | None:
    """(field, message) for the first field whose name or value breaks the text rule."""
    for field, value in pairs:
        if text_problem(field):
            return "field name", f"a field's name {text_problem(field)}"
        message = text_problem(value)
        if message:
            return field, message
    return None


def _json_strings(document: object) -> Iterator[tuple[str, str]]:
    """(field, text) for every string in a JSON document, keys included, fields dotted.
    Walked with a stack of its own: a deeply nested document must not exhaust the call stack."""
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path or "body", value
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                field = f"{path}.{key}" if path else str(key)
                stack.append((field, item))
                stack.append((field, str(key)))
        elif isinstance(value, list):
            for index in reversed(range(len(value))):
                stack.append((f"{path}.{index}" if path else str(index), value[index]))


class _Collected:
    """A JSON or URL-encoded body, kept whole (both are small; the size limit bounds them)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def finish(self) -> tuple[str, str] | None:
        body = b"".join(self.chunks)
        if self.kind == "json":
            try:
                document = json.loads(body)
            except (ValueError, RecursionError):
                return None  # not JSON (or too deep to read): the app's own validation says so
            return _first_problem(_json_strings(document))
        return _first_problem(parse_qsl(body.decode("latin-1"), keep_blank_values=True))


class _Multipart:
    """A multipart form read as it streams: the text of fields that are not files is checked;
    files pass untouched (their content is judged by the upload checks)."""

    def __init__(self, boundary: bytes):
        from python_multipart.multipart import MultipartParser

        self.problem: tuple[str, str] | None = None
        self._malformed = False
        self._header = b""
        self._disposition = b""
        self._data: list[bytes] = []
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_part_data": self._part_data,
                "on_part_end": self._end,
            },
        )

    def _begin(self) -> None:
        self._disposition, self._data = b"", []

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header = data[start:end].lower()

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        if self._header == b"content-disposition":
            self._disposition += data[start:end]

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if b"filename" not in self._disposition:
            self._data.append(data[start:end])

    def _end(self) -> None:
        from python_multipart.multipart import parse_options_header

        if self.problem or b"filename" in self._disposition:
            return
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        value = b"".join(self._data).decode("utf-8", "surrogateescape")
        self.problem = _first_problem([(name, value)])

    def feed(self, chunk: bytes) -> None:
        if self.problem is None and not self._malformed and chunk:
            try:
                self._parser.write(chunk)
            except Exception:  # a malformed form: the app's own parser answers it
                self._malformed = True

    def finish(self) -> tuple[str, str] | None:
        return self.problem


def _inspector(content_type: bytes) -> _Collected | _Multipart | None:
    from python_multipart.multipart import parse_options_header

    kind, options = parse_options_header(content_type)
    if kind == b"application/json" or kind.endswith(b"+json"):
        return _Collected("json")
    if kind == b"application/x-www-form-urlencoded":
        return _Collected("form")
    if kind == b"multipart/form-data" and options.get(b"boundary"):
        return _Multipart(options[b"boundary"])
    return None


async def _refuse(send: Send, problem: tuple[str, str], page: bool) -> None:
    field, message = problem
    await _answer(
        send,
        422,
        {"detail": f"{field}: {message}", "errors": [{"field": field, "message": message}]},
        page=page,
        title="Some text cannot be accepted",
        paragraphs=[
            f"What you sent in “{field}” {message}.",
            "Go back, remove it (such a character is invisible in most editors: retyping the "
            "text removes it) and send again.",
        ],
    )
