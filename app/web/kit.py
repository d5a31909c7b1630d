"""The page kit: what every web module needs to take a form, refuse it well and move on.

One form-errors type, one attempt policy, one see-other, one form reader, one page renderer
and one frame for the pages inside a review, so that pages behave the same everywhere:

- input the service refuses (Invalid, a stale or clashing write) goes back to the form, with
  an error summary at the top and the message beside the field it names;
- everything else (not signed in, forbidden, read-only, not found) goes to the app's error
  page through the exception handlers in `app.main`.

A handler never rolls back by hand: `attempt` runs the service call inside a savepoint, so a
refused call leaves nothing behind while the request's unit of work stays usable for the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.core.errors import Conflict, DomainError, Invalid, InvalidMany, ReadOnly
from app.web.templating import render

T = TypeVar("T")

CSRF_FIELD = "csrf_token"


def sentence(message: str) -> str:
    """A message as a sentence: a capital first letter and a full stop."""
    text = message.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


@dataclass
class FormErrors:
    """Problems with a submitted form: the error summary and the message beside each field.

    `fields` are the names of the inputs on the page; a message about any other field goes in
    the summary only. `ids` maps a name the service uses to the id of the input on the page when
    they differ (radios linking to their first box, a form repeated on one page).
    """

    fields: tuple[str, ...] = ()
    ids: Mapping[str, str] = field(default_factory=dict)
    summary: list[dict[str, str]] = field(default_factory=list)
    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str | None, message: str) -> None:
        text = sentence(message)
        target = self.ids.get(name or "", name or "") if name and name in self.fields else ""
        if target and target in self.by_field:
            return  # one message per field is enough
        self.summary.append({"field": target, "message": text})
        if target:
            self.by_field[target] = text

    def add_error(self, exc: DomainError) -> None:
        if isinstance(exc, InvalidMany):
            for problem in exc.errors:
                self.add(str(problem.get("field") or ""), str(problem.get("message") or ""))
        else:
            self.add(exc.field, exc.message)

    def __bool__(self) -> bool:
        return bool(self.summary)

    def context(self) -> dict[str, Any]:
        return {"errors": self.summary, "field_errors": self.by_field}


def is_form_problem(exc: DomainError) -> bool:
    """Refusals that belong on the form: bad input and conflicting writes, not a closed review."""
    return isinstance(exc, Invalid) or (isinstance(exc, Conflict) and not isinstance(exc, ReadOnly))


def attempt(session: Session, errors: FormErrors, call: Callable[[], T]) -> T | None:
    """Run a service call; when it refuses the input, undo what it began and note why.

    Other refusals propagate to the error page.
    """
    savepoint = session.begin_nested()
    try:
        result = call()
    except DomainError as exc:
        savepoint.rollback()
        if not is_form_problem(exc):
            raise
        errors.add_error(exc)
        return None
    savepoint.commit()
    return result


def see_other(url: str) -> RedirectResponse:
    """After a successful post: go to the page that shows the result (post, redirect, get)."""
    return RedirectResponse(url, status_code=303)


async def read_form(request: Request) -> FormData:
    """The submitted form (already parsed and cached by the CSRF check for cookie writes)."""
    return await request.form()


def text_fields(form: FormData | Mapping[str, Any]) -> dict[str, str]:
    """The form's single text fields, trimmed, without the CSRF token."""
    return {key: value.strip() for key, value in form.items() if isinstance(value, str) and key != CSRF_FIELD}


def many(form: FormData, name: str) -> list[str]:
    """Every non-empty value of a repeated field (checkboxes, multiple selects)."""
    return [value for value in form.getlist(name) if isinstance(value, str) and value]


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    errors: FormErrors | None = None,
    status_code: int | None = None,
) -> Response:
    """Render a page; a page showing form errors answers 422 (the layout then starts the
    window title with "Error:")."""
    ctx = dict(context or {})
    if errors:
        ctx.update(errors.context())
    status = status_code if status_code is not None else (422 if errors else 200)
    return render(request, template, ctx, status_code=status)


class InReview(Protocol):
    """The caller's scope in a review, as the review's page frame needs it."""

    @property
    def review(self) -> Any: ...


def notice(request: Request, notices: Mapping[str, str]) -> str | None:
    """The notice a redirect asked for with `?done=key`: chosen from the page's fixed notices, so
    a link cannot put words on the page."""
    return notices.get(request.query_params.get("done", ""))


def review_page(
    request: Request,
    scope: InReview,
    template: str,
    *,
    active: str,
    title: str,
    notices: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int | None = None,
    **context: Any,
) -> Response:
    """A page inside a review: the review's frame with the `active` tab, the notice a redirect
    asked for, and the form's errors (none when the page is first shown)."""
    frame = {
        "review": scope.review,
        "scope": scope,
        "active": active,
        "page_title": title,
        "flash": notice(request, notices or {}),
        "errors": [],
        "field_errors": {},
    }
    return page(request, template, {**frame, **context}, errors=errors, status_code=status_code)


def form_date(form: Mapping[str, str], name: str, errors: FormErrors) -> dt.date | None:
    """A typed date (YYYY-MM-DD), or None when left empty; a date that cannot be read is noted
    against its field."""
    raw = form.get(name, "")
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.add(name, "enter a real date, such as 2025-03-17")
        return None
