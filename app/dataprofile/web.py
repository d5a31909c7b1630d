"""Web pages: a review's data profile, and the form to enter or remove the figures for one
indicator of its framework's catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.core.deps import SessionDep
from app.core.errors import Invalid, NotFound
from app.dataprofile import service
from app.reviews.access import ReviewScope
from app.reviews.changes import review_framework
from app.reviews.deps import ReadEvidence, WriteEvidence
from app.web.kit import FormErrors, attempt, read_form, review_page, see_other, text_fields

router = APIRouter(include_in_schema=False)

# Messages shown after a redirect, chosen by a fixed key so a link cannot put words on the page.
NOTICES = {
    "figures-saved": "The figures have been saved.",
    "figures-removed": "The figures have been removed.",
}
FIGURE_FIELDS = ("value", "period", "england", "similar_areas", "source", "note")
NUMBER_FIELDS = ("value", "england", "similar_areas")


def figure(value: float | None) -> str:
    """A figure for people: thousands separated, no trailing zeros, at most four decimals."""
    if value is None:
        return ""
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _typed_number(fields: Mapping[str, str], name: str, errors: FormErrors) -> float | None:
    """A typed figure: thousands separators, spaces and a trailing % are allowed."""
    raw = fields.get(name, "").replace(",", "").replace(" ", "").replace("\u00a0", "").removesuffix("%")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        errors.add(name, "enter a number, such as 1234.5")
        return None


# Data profile pages sit under the review's data tab and show its notices and figures for people.
_page = partial(review_page, active="data", notices=NOTICES, figure=figure)


@router.get("/reviews/{review_id}/data-profile")
def data_profile_page(request: Request, session: SessionDep, scope: ReadEvidence) -> Response:
    """Every indicator of the review's framework with this area's figures and how they compare."""
    framework = review_framework(session, scope.review)
    rows = service.profile(session, scope.review, framework)
    return _page(
        request,
        scope,
        "dataprofile/data_profile.html",
        title="Data profile",
        framework=framework,
        rows=rows,
        filled=sum(1 for row in rows if row.has_value),
        risks=sum(1 for row in rows if row.risk),
    )


def _figure_page(
    request: Request,
    scope: ReviewScope,
    row: service.IndicatorRow,
    form: Mapping[str, str],
    errors: FormErrors | None = None,
) -> Response:
    title = f"Figures for {row.indicator.name}"
    return _page(request, scope, "dataprofile/figure.html", title=title, errors=errors, row=row, form=form)


def _indicator_or_404(session: SessionDep, indicator_key: str, scope: WriteEvidence) -> service.IndicatorRow:
    """An indicator of the review's framework; an unknown key in an address is a missing page."""
    try:
        return service.indicator_row(session, scope.review, indicator_key)
    except Invalid as exc:
        raise NotFound(exc.message) from None


# The indicator in the path with the review's figure for it, found once the person may write evidence.
ThisIndicator = Annotated[service.IndicatorRow, Depends(_indicator_or_404)]


@router.get("/reviews/{review_id}/data-profile/{indicator_key}")
def figure_page(request: Request, row: ThisIndicator, scope: WriteEvidence) -> Response:
    """The form for one indicator's figures, filled in with those stored."""
    value = row.value
    form = (
        {
            "value": figure(value.value).replace(",", ""),
            "period": value.period,
            "england": figure(value.england).replace(",", ""),
            "similar_areas": figure(value.similar_areas).replace(",", ""),
            "source": value.source,
            "note": value.note,
        }
        if value
        else {}
    )
    return _figure_page(request, scope, row, form)


@router.post("/reviews/{review_id}/data-profile/{indicator_key}")
async def save_figure(
    request: Request, session: SessionDep, row: ThisIndicator, scope: WriteEvidence
) -> Response:
    indicator_key = row.indicator.key
    fields = text_fields(await read_form(request))
    errors = FormErrors(FIGURE_FIELDS)
    numbers = {name: _typed_number(fields, name, errors) for name in NUMBER_FIELDS}
    if not errors:
        attempt(
            session,
            errors,
            lambda: service.set_value(
                session,
                ctx=scope,
                indicator_key=indicator_key,
                period=fields.get("period", ""),
                source=fields.get("source", ""),
                note=fields.get("note", ""),
                **numbers,
            ),
        )
    if errors:
        return _figure_page(request, scope, row, fields, errors)
    return see_other(f"/reviews/{scope.review.id}/data-profile?done=figures-saved#indicator-{indicator_key}")


@router.post("/reviews/{review_id}/data-profile/{indicator_key}/remove")
def remove_figure(
    request: Request, session: SessionDep, row: ThisIndicator, scope: WriteEvidence
) -> Response:
    indicator_key = row.indicator.key
    errors = FormErrors(())
    attempt(session, errors, lambda: service.delete_value(session, ctx=scope, indicator_key=indicator_key))
    if errors:
        return _figure_page(request, scope, row, {}, errors)
    return see_other(
        f"/reviews/{scope.review.id}/data-profile?done=figures-removed#indicator-{indicator_key}"
    )
