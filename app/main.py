"""The FastAPI application: routers, error handling, middleware, static files."""

from __future__ import annotations

import importlib
import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import app.models  # noqa: F401  every table known before the first flush, or foreign keys cannot resolve
from app.core.config import get_settings
from app.core.errors import DomainError
from app.core.middleware import SECURITY_HEADERS, BodySizeLimit, SecurityHeaders
from app.web.templating import STATIC_DIR, render

log = logging.getLogger("sysreview")

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


def _error_page(request: Request, status: int, message: str) -> Response:
    titles = {401: "Sign in", 403: "You cannot do this", 404: "Page not found", 409: "This cannot change"}
    return render(
        request,
        "error.html",
        {"status": status, "page_title": titles.get(status, "Something went wrong"), "message": message},
        status_code=status,
    )


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="sysreview",
        version="0.1.0",
        summary="Review how a local health and social care system works together.",
        docs_url="/docs",
        redoc_url=None,
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
        if exc.status_code == 404:
            message = "not found"
        if _wants_html(request):
            return _error_page(request, exc.status_code, message)
        return JSONResponse({"detail": message}, status_code=exc.status_code, headers=exc.headers)

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
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)
    return app
