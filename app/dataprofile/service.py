"""The data profile: a review's figures for its framework's indicator catalogue."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlmodel import Session, select

from app.core.errors import Invalid, NotFound
from app.core.text import bounded_text
from app.core.timeutil import utcnow
from app.dataprofile.compare import Comparison, at_risk, compare
from app.dataprofile.models import IndicatorValue
from app.frameworks.schema import Framework, Indicator
from app.reviews import changes, references
from app.reviews.access import WriteContext
from app.reviews.changes import Write, review_framework
from app.reviews.models import Review

COMPARATORS = ("england", "similar_areas")
_PERIOD_MAX = 60
_SOURCE_MAX = 300
_NOTE_MAX = 2000


@dataclass
class IndicatorRow:
    """One catalogue indicator with the review's figure for it, if any, read against comparators."""

    indicator: Indicator
    value: IndicatorValue | None
    comparisons: dict[str, Comparison | None]
    risk: bool

    @property
    def has_value(self) -> bool:
        return self.value is not None


def _row(indicator: Indicator, value: IndicatorValue | None) -> IndicatorRow:
    if value is None:
        return IndicatorRow(indicator, None, dict.fromkeys(COMPARATORS), False)
    comparisons = {name: compare(value.value, getattr(value, name), indicator.better) for name in COMPARATORS}
    return IndicatorRow(
        indicator, value, comparisons, at_risk(value.value, indicator.risk_threshold, indicator.better)
    )


def stored_values(session: Session, review: Review) -> dict[str, IndicatorValue]:
    """The review's stored figures by indicator key."""
    rows = session.exec(select(IndicatorValue).where(IndicatorValue.review_id == review.id))
    return {row.indicator_key: row for row in rows}


def profile(session: Session, review: Review, framework: Framework | None = None) -> list[IndicatorRow]:
    """Every indicator of the pinned framework's catalogue, in catalogue order, with its figure."""
    framework = framework or review_framework(session, review)
    values = stored_values(session, review)
    return [_row(indicator, values.get(indicator.key)) for indicator in framework.indicators]


def catalogue_indicator(framework: Framework, indicator_key: str) -> Indicator:
    """The catalogue entry for a key; Invalid naming `indicator_key` when the framework lacks it."""
    for indicator in framework.indicators:
        if indicator.key == indicator_key:
            return indicator
    raise Invalid(
        f"'{indicator_key}' is not an indicator of {framework.title} {framework.version}",
        field="indicator_key",
    )


def indicator_row(session: Session, review: Review, indicator_key: str) -> IndicatorRow:
    """One indicator with the review's figure for it."""
    indicator = catalogue_indicator(review_framework(session, review), indicator_key)
    return _row(indicator, stored_values(session, review).get(indicator_key))


def _number(name: str, value: object, *, required: bool) -> float | None:
    if value is None:
        if required:
            raise Invalid("enter the figure for this area", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("must be a number", field=name)
    number = float(value)
    if not math.isfinite(number):
        raise Invalid("must be a finite number", field=name)
    return number


def _record(
    session: Session,
    ctx: WriteContext,
    stored: IndicatorValue,
    action: str,
    before: dict[str, object],
    after: dict[str, object] | None = None,
) -> None:
    """A change to an indicator's figures: the data profile is part of the review's evidence."""
    changes.record(
        session,
        ctx,
        write=Write.evidence,
        entity="indicator_value",
        entity_id=stored.id,
        action=action,
        before=before,
        after=after,
    )


def set_value(
    session: Session,
    *,
    ctx: WriteContext,
    indicator_key: str,
    value: object,
    period: object,
    source: object = "",
    england: object = None,
    similar_areas: object = None,
    note: object = "",
) -> IndicatorRow:
    """Store (or replace) the review's figure for one indicator, with its comparators."""
    review = ctx.review
    changes.check_accepts(review, Write.evidence)
    indicator = catalogue_indicator(review_framework(session, review), indicator_key)
    fields = {
        "value": _number("value", value, required=True),
        "period": bounded_text(
            "period", period, _PERIOD_MAX, ask="enter the period the figure covers, such as 2024-25"
        ),
        "source": bounded_text("source", source, _SOURCE_MAX),
        "england": _number("england", england, required=False),
        "similar_areas": _number("similar_areas", similar_areas, required=False),
        "note": bounded_text("note", note, _NOTE_MAX),
    }
    stored = stored_values(session, review).get(indicator_key)
    if stored is None:
        stored = IndicatorValue(review_id=review.id, indicator_key=indicator_key, **fields)  # type: ignore[arg-type]
        before: dict[str, object] = {}
        action = "create"
    else:
        before = changes.snapshot(stored, [*fields])
        for name, new in fields.items():
            setattr(stored, name, new)
        action = "update"
    after = changes.snapshot(stored, [*fields])
    if before != after:
        stored.updated_at = utcnow()
        session.add(stored)
        session.flush()
        after = {"indicator_key": indicator_key, **after} if action == "create" else after
        _record(session, ctx, stored, action, before, after)
    return _row(indicator, stored)


def delete_value(session: Session, *, ctx: WriteContext, indicator_key: str) -> None:
    """Remove the review's figure for one indicator."""
    review = ctx.review
    changes.check_accepts(review, Write.evidence)
    catalogue_indicator(review_framework(session, review), indicator_key)
    stored = stored_values(session, review).get(indicator_key)
    if stored is None:
        raise NotFound("there is no figure stored for this indicator")
    before = changes.snapshot(stored)
    session.delete(stored)
    _record(session, ctx, stored, "delete", before)


# What refers to a review's framework (its indicators), counted for the reviews package.
references.register_content_counter(
    "data profile figures",
    lambda s, review: references.count(s, IndicatorValue, IndicatorValue.review_id == review.id),
)
