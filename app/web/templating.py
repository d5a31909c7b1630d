"""Jinja2 for the web pages: autoescape on, shared globals, one base layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.autoescape = True  # every template, whatever its file name


def _label(value: str) -> str:
    """Human words for stored codes such as `local_authority` or `step-down`."""
    return value.replace("_", " ").replace("-", " ").capitalize() if value else ""


templates.env.filters["label"] = _label


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the signed-in user and their CSRF secret available to the layout."""
    user = getattr(request.state, "user", None)
    token = getattr(request.state, "auth_token", None)
    ctx = {
        "current_user": user,
        "csrf_token": token.csrf_secret if token is not None and token.kind == "session" else "",
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
