"""The FastAPI application: routers, error handling, middleware, static files."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

import app.models  # noqa: F401  every table known before the first flush, or foreign keys cannot resolve
from app.core.config import get_settings
from app.core.errors import DomainError
from app.core.middleware import SECURITY_HEADERS, BodySizeLimit, SecurityHeaders, TextGuard
from app.core.openapi import document_errors
from app.web.templating import STATIC_DIR, render

log = logging.getLogger("sysreview")

# Swagger UI's script, styles and icon as the fastapi-offline package ships them (MIT licensed).
SWAGGER_UI_DIR = Path(fastapi_offline.__file__).parent / "static"
DOCS_ASSETS = "/docs-assets"

# Each feature package owns its routers; they are mounted in this order.
ROUTER_MODULES = [
    "app.frameworks.api",
    "app.accounts.api",
    "app.reviews.api",
    "app.evidence.api",
    "app.evidence.files_api",
    "app.dataprofile.api",
    "app.ratings.api",
    "app.findings.api",
    "app.reports.api",
    "app.audit.api",
    "app.accounts.web",
    "app.reviews.web",
    "app.evidence.web",
    "app.evidence.files_web",
    "app.dataprofile.web",
    "app.ratings.web",
    "app.findings.web",
    "app.findings.recommendations_web",
    "app.findings.action_plan_web",
    "app.reports.web",
    "app.audit.web",
]


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/healthz")) and "text/html" in request.headers.get(
        "accept", "text/html"
    )


def _field_name(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form")]
    return ".".join(parts) or str(loc[-1] if loc else "")


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """Every method some route answers on this request's path (each asked as the router would)."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def _document_errors(app: FastAPI) -> None:
    """`app.openapi()` answers the document with the one error shape on every API route."""

    def corrected() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_errors(schema)
        return app.openapi_schema

    app.openapi = corrected  # type: ignore[method-assign]


def _error_page(request: Request, status: int, message: str) -> Response:
    titles = {401: "Sign in", 403: "You cannot do this", 404: "Page not found", 409: "This cannot change"}
    return render(
        request,
        "error.html",
        {"status": status, "page_title": titles.get(status, "Something went wrong"), "message": message},
        status_code=status,
    )


def _api_docs_page(request: Request) -> HTMLResponse:
    """The interactive API documentation: Swagger UI from the installed package, started by a
    script file of ours, so nothing is fetched from elsewhere and no inline script is needed."""
    return HTMLResponse(
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        "<title>sysreview API</title>"
        f'<link rel="icon" href="{DOCS_ASSETS}/favicon.png">'
        f'<link rel="stylesheet" href="{DOCS_ASSETS}/swagger-ui.css"></head><body>'
        f'<div id="swagger-ui" data-openapi-url="{request.app.openapi_url}"></div>'
        f'<script src="{DOCS_ASSETS}/swagger-ui-bundle.js"></script>'
        '<script src="/static/api-docs.js"></script></body></html>'
    )


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="sysreview",
        version="0.1.0",
        summary="Review how a local health and social care system works together.",
        # FastAPI's own page loads Swagger UI from a CDN: ours serves it from the package.
        docs_url=None,
        redoc_url=None,
    )
    app.add_api_route("/docs", _api_docs_page, include_in_schema=False, response_class=HTMLResponse)
    # Kept where Swagger UI expects it; only redirect-based OAuth flows use it, and the API offers
    # the password flow and tokens alone.
    app.add_api_route(
        "/docs/oauth2-redirect",
        get_swagger_ui_oauth2_redirect_html,
        include_in_schema=False,
        response_class=HTMLResponse,
    )

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if _wants_html(request):
            if exc.status_code == 401:
                target = quote(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
                return RedirectResponse(f"/sign-in?next={target}", status_code=303)
            return _error_page(request, exc.status_code, exc.message)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        if _wants_html(request):
            return _error_page(request, 422, detail)
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        headers = dict(exc.headers or {})
        if exc.status_code == 404:
            message = "not found"
        if exc.status_code == 405:
            # Starlette names only the methods of the first route on the path; several routes
            # share most paths (GET, PATCH, DELETE of one item), so name every one's.
            headers["Allow"] = _allowed_methods(request)
        if _wants_html(request):
            response = _error_page(request, exc.status_code, message)
            response.headers.update(headers)
            return response
        return JSONResponse({"detail": message}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Never show a stack trace or SQL to the client; the log has it.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "something went wrong on our side; the error has been logged"
        if _wants_html(request):
            response = _error_page(request, 500, message)
        else:
            response = JSONResponse({"detail": message}, status_code=500)
        # Starlette answers this from outside every middleware, so the headers go on here.
        for name, value in SECURITY_HEADERS:
            response.headers[name.decode()] = value.decode()
        return response

    @app.get("/healthz", tags=["health"], summary="Liveness and database check")
    def healthz() -> dict[str, str]:
        from sqlalchemy import text

        from app.core.db import session_scope

        with session_scope(read_only=True) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        return {"status": "ok"}

    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(DOCS_ASSETS, StaticFiles(directory=SWAGGER_UI_DIR), name="docs-assets")
    _document_errors(app)
    app.add_middleware(TextGuard)  # inside the size limit: it never sees more than the limit
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    return app
