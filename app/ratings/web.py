"""Rating pages: the self-assessment questionnaire, the ratings grid, rating a line, moderation
and the results.

Every page works without JavaScript: each form posts here and, when the save works, redirects
back (Post/Redirect/Get) to where the person was. When a service refuses, the page is shown
again with the error summary and the message by the field, keeping what was typed.
`ratings.js` only adds saving-as-you-go to the questionnaire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlmodel import Session

from app import charts
from app.accounts.permissions import Action, Role
from app.core.deps import SessionDep
from app.core.text import plain_excerpt
from app.frameworks.schema import Framework
from app.ratings import moderation, results, service
from app.reviews.access import ReviewScope
from app.reviews.changes import review_framework
from app.reviews.deps import (
    ManageReview,
    Moderate,
    RateSelf,
    RateTeam,
    ReadRatings,
    review_scope_any,
)
from app.reviews.models import Organisation
from app.scoring import ReviewScores, level_label
from app.web.kit import FormErrors, attempt, many, read_form, review_page, see_other, text_fields

router = APIRouter(include_in_schema=False)

FLAG_WORDS = {"none": "No ratings", "single": "One rating", "agreed": "Agreed", "split": "Split"}
# Notices after a redirect, picked by a fixed key so a link cannot put words on the page.
NOTICES = {
    "closed": "The self-assessment is closed. Self-assessors can no longer change their answers "
    "and now see the anonymous spread of everyone's ratings.",
    "reopened": "The self-assessment is open again for changes.",
    "rated": "Your rating has been saved.",
    "moderated": "The moderated rating has been saved.",
    "override-saved": "The override has been saved. The computed result is still shown beside it.",
    "override-removed": "The override has been removed: the computed result stands.",
}


# The stale-save message links to the stored moderated rating it asks the lead to check.
STORED_RATING = "current-heading"


def _form_errors(prefix: str, *names: str, **ids: str) -> FormErrors:
    """Errors for a form whose inputs have ids `{prefix}-{name}` (radios and checkboxes: the
    first box), so that several forms can share a page; `ids` places other fields."""
    return FormErrors(fields=names + tuple(ids), ids={**{name: f"{prefix}-{name}" for name in names}, **ids})


async def _posted(request: Request) -> tuple[dict[str, str], list[str]]:
    """The form's text fields and the cited evidence ids (a repeated field)."""
    form = await read_form(request)
    return text_fields(form), many(form, "cited_evidence")


def _int_or_none(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


def _save_chosen_level(
    session: Session,
    errors: FormErrors,
    fields: Mapping[str, str],
    save: Callable[[int], object],
    *,
    missing: str,
) -> None:
    """Save the level the form chose through `save`, or say (`missing`) that none was chosen;
    either way what went wrong ends up in `errors`."""
    value = _int_or_none(fields.get("value", ""))
    if value is None:
        errors.add("value", missing)
    else:
        attempt(session, errors, lambda: save(value))


# A rating page shows the ratings' notices and the words for how far the raters agree.
_page = partial(review_page, notices=NOTICES, flag_words=FLAG_WORDS)


# The self-assessment questionnaire -------------------------------------------------------------


def _questionnaire(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    errors: FormErrors | None = None,
    error_ref: str | None = None,
    posted: dict[str, Any] | None = None,
    status: int | None = None,
) -> Response:
    review = scope.review
    framework = review_framework(session, review)
    own = {rating.ref: rating for rating in service.own_ratings(session, scope=scope)}
    closed = review.self_assessment_closed
    editable = framework.scale.rated and not closed and scope.can(Action.rate_self)
    spread = {}
    if closed and framework.scale.rated:
        spread = {line.ref: line for line in service.self_assessment_spread(session, scope=scope)}
    refs = framework.refs()
    saved = request.query_params.get("saved", "")
    domains = [
        {
            "domain": domain,
            "rated": sum(1 for line in domain.lines if line.ref in own),
            "total": len(domain.lines),
        }
        for domain in framework.domains
    ]
    organisation = None
    if scope.organisation_id is not None:
        organisation = session.get(Organisation, scope.organisation_id)
    return _page(
        request,
        scope,
        "ratings/self_assessment.html",
        active="self",
        title="Self-assessment",
        errors=errors,
        status_code=status,
        framework=framework,
        own=own,
        spread=spread,
        closed=closed,
        editable=editable,
        domains=domains,
        rated=sum(1 for ref in refs if ref in own),
        total=len(refs),
        saved_ref=saved if saved in refs else "",
        organisation=organisation,
        error_ref=error_ref,
        posted=posted or {},
    )


@router.get("/reviews/{review_id}/self-assessment")
def self_assessment_page(
    request: Request,
    session: SessionDep,
    scope: ReviewScope = review_scope_any(Action.rate_self, Action.read_ratings),
) -> Response:
    if scope.role is not Role.self_assessor:
        # The team sees everyone's self-assessment, with names, on the ratings page.
        return see_other(f"/reviews/{scope.review.id}/ratings")
    return _questionnaire(request, session, scope)


@router.post("/reviews/{review_id}/self-assessment/close")
def close_self_assessment(session: SessionDep, scope: ManageReview) -> Response:
    service.set_self_assessment_closed(session, ctx=scope, closed=True)
    return see_other(f"/reviews/{scope.review.id}/ratings?done=closed#self-assessment")


@router.post("/reviews/{review_id}/self-assessment/reopen")
def reopen_self_assessment(session: SessionDep, scope: ManageReview) -> Response:
    service.set_self_assessment_closed(session, ctx=scope, closed=False)
    return see_other(f"/reviews/{scope.review.id}/ratings?done=reopened#self-assessment")


@router.post("/reviews/{review_id}/self-assessment/{ref}")
async def save_self_assessment(ref: str, request: Request, session: SessionDep, scope: RateSelf) -> Response:
    fields, _ = await _posted(request)
    errors = _form_errors(ref, "value", "rationale")
    _save_chosen_level(
        session,
        errors,
        fields,
        lambda value: service.save_rating(
            session, ctx=scope, ref=ref, value=value, rationale=fields.get("rationale", "")
        ),
        missing=f"choose a level for {ref}",
    )
    if errors:
        status = 409 if scope.review.self_assessment_closed else 422
        return _questionnaire(
            request, session, scope, errors=errors, error_ref=ref, posted=fields, status=status
        )
    return see_other(f"/reviews/{scope.review.id}/self-assessment?saved={ref}#line-{ref}")


# The ratings grid ------------------------------------------------------------------------------


def radar_svg(framework: Framework, scores: ReviewScores) -> Markup | None:
    """The self-assessment against the moderated ratings as an inline SVG radar chart."""
    profile = results.rating_profile(framework, scores)
    if profile is None or not any(v is not None for v in profile.self_assessment + profile.moderated):
        return None
    per = "domain" if profile.axis_kind == "domain" else "line of enquiry"
    svg = charts.radar_chart(
        profile.axes,
        [("Self-assessment", profile.self_assessment), ("Moderated", profile.moderated)],
        minimum=framework.scale.lowest,
        maximum=framework.scale.top,
        title=f"Self-assessment and moderated ratings by {per}",
        levels=[(level.value, f"{level.value} {level.label}") for level in framework.scale.levels],
    )
    return Markup(svg)  # noqa: S704 - built by app.charts, which escapes every text it draws


@router.get("/reviews/{review_id}/ratings")
def ratings_page(request: Request, session: SessionDep, scope: ReadRatings) -> Response:
    review = scope.review
    framework = review_framework(session, review)
    scores = results.review_scores(session, review)
    lines = {line.ref: line for _, line in framework.lines()}
    own = {r.ref: r for r in service.own_ratings(session, scope=scope)} if scope.can(Action.rate_team) else {}
    return _page(
        request,
        scope,
        "ratings/grid.html",
        active="ratings",
        title="Ratings",
        framework=framework,
        scores=scores,
        lines=lines,
        domain_names={d.key: d.name for d in framework.domains},
        own=own,
        radar=radar_svg(framework, scores),
        profile=results.rating_profile(framework, scores),
        progress=service.self_assessor_progress(session, review=review),
        can_rate=scope.can(Action.rate_team) and framework.scale.rated,
    )


# Rating one line as the review team -------------------------------------------------------------


def _rate_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    ref: str,
    *,
    errors: FormErrors | None = None,
    posted: dict[str, Any] | None = None,
    posted_cited: list[str] | None = None,
) -> Response:
    review = scope.review
    framework = review_framework(session, review)
    domain, line = service.line_of(framework, ref)
    own = service.own_rating(session, scope=scope, ref=ref)
    cited = posted_cited if posted_cited is not None else (list(own.cited_evidence) if own else [])
    refs = framework.refs()
    position = refs.index(ref)
    return _page(
        request,
        scope,
        "ratings/rate.html",
        active="ratings",
        title=f"Rate {ref}",
        errors=errors,
        framework=framework,
        domain=domain,
        line=line,
        own=own,
        evidence=service.evidence_for_line(session, review=review, framework=framework, ref=ref, cited=cited),
        cited=cited,
        next_ref=refs[position + 1] if position + 1 < len(refs) else None,
        posted=posted,
    )


@router.get("/reviews/{review_id}/ratings/{ref}/rate")
def rate_page(ref: str, request: Request, session: SessionDep, scope: RateTeam) -> Response:
    return _rate_page(request, session, scope, ref)


@router.post("/reviews/{review_id}/ratings/{ref}/rate")
async def save_team_rating(ref: str, request: Request, session: SessionDep, scope: RateTeam) -> Response:
    fields, cited = await _posted(request)
    errors = _form_errors("rate", "value", "rationale", "cited_evidence")
    _save_chosen_level(
        session,
        errors,
        fields,
        lambda value: service.save_rating(
            session,
            ctx=scope,
            ref=ref,
            value=value,
            rationale=fields.get("rationale", ""),
            cited_evidence=cited,
        ),
        missing="choose a level",
    )
    if errors:
        return _rate_page(request, session, scope, ref, errors=errors, posted=fields, posted_cited=cited)
    refs = review_framework(session, scope.review).refs()
    if fields.get("then") == "next" and ref in refs and refs.index(ref) + 1 < len(refs):
        return see_other(f"/reviews/{scope.review.id}/ratings/{refs[refs.index(ref) + 1]}/rate?done=rated")
    return see_other(f"/reviews/{scope.review.id}/ratings?done=rated#row-{ref}")


# Moderation ------------------------------------------------------------------------------------


def _moderation_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    ref: str,
    *,
    errors: FormErrors | None = None,
    posted: dict[str, Any] | None = None,
    posted_cited: list[str] | None = None,
    status: int | None = None,
) -> Response:
    view = moderation.moderation_view(session, review=scope.review, ref=ref)
    framework = view.framework
    chart = None
    if framework.scale.rated and view.ratings:
        chart = Markup(  # noqa: S704 - built by app.charts, which escapes every text it draws
            charts.spread_chart(
                {
                    "Self-assessment": [
                        r.rating.value for r in view.ratings if r.rating.group == service.SELF_ASSESSMENT
                    ],
                    "Review team": [
                        r.rating.value for r in view.ratings if r.rating.group == service.REVIEW_TEAM
                    ],
                },
                framework.scale.values,
                {level.value: level.label for level in framework.scale.levels},
                f"Individual ratings of {ref}",
            )
        )
    if posted_cited is not None:
        cited = posted_cited
    else:
        cited = view.moderated.cited_evidence if view.moderated else []
    return _page(
        request,
        scope,
        "ratings/moderation.html",
        active="ratings",
        title=f"Moderate {ref}",
        errors=errors,
        status_code=status,
        view=view,
        framework=framework,
        chart=chart,
        cited=cited,
        excerpts={item.id: plain_excerpt(item.narrative, 240) for item in view.evidence},
        can_moderate=scope.can(Action.moderate) and framework.scale.rated,
        posted=posted,
    )


@router.get("/reviews/{review_id}/moderation/{ref}")
def moderation_page(ref: str, request: Request, session: SessionDep, scope: ReadRatings) -> Response:
    return _moderation_page(request, session, scope, ref)


@router.post("/reviews/{review_id}/moderation/{ref}")
async def save_moderation(ref: str, request: Request, session: SessionDep, scope: Moderate) -> Response:
    fields, cited = await _posted(request)
    errors = _form_errors("moderate", "value", "rationale", "cited_evidence", version=STORED_RATING)
    version = _int_or_none(fields.get("version", "")) if fields.get("version") else None
    _save_chosen_level(
        session,
        errors,
        fields,
        lambda value: moderation.moderate(
            session,
            ctx=scope,
            ref=ref,
            value=value,
            rationale=fields.get("rationale", ""),
            cited_evidence=cited,
            expected_version=version,
            reason=fields.get("reason", ""),
        ),
        missing="choose the moderated level",
    )
    if errors:
        # A refusal about the version means someone else saved first. The form then keeps what
        # this person chose but carries the stored version: saving again replaces the other
        # rating knowingly, having seen it above.
        stale = STORED_RATING in errors.by_field
        kept = {k: v for k, v in fields.items() if k != "version"} if stale else fields
        return _moderation_page(
            request,
            session,
            scope,
            ref,
            errors=errors,
            posted=kept,
            posted_cited=cited,
            status=409 if stale else 422,
        )
    return see_other(f"/reviews/{scope.review.id}/moderation/{ref}?done=moderated")


# Results and overrides ----------------------------------------------------------------------------


def _results_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    errors: FormErrors | None = None,
    posted: dict[str, Any] | None = None,
) -> Response:
    review = scope.review
    framework = review_framework(session, review)
    scores = results.review_scores(session, review)
    targets = [("overall", "The overall result")] + [
        (f"domain:{domain.key}", f"Domain: {domain.name}") for domain in framework.domains
    ]
    levels = (
        [(level.value, level_label(framework, level.value)) for level in framework.scale.levels]
        if framework.scale.rated
        else []
    )
    return _page(
        request,
        scope,
        "ratings/results.html",
        active="ratings",
        title="Results",
        errors=errors,
        framework=framework,
        scores=scores,
        overrides=moderation.list_overrides(session, review=review),
        targets=targets,
        levels=levels,
        can_override=scope.can(Action.moderate) and framework.scale.rated,
        posted=posted or {},
    )


@router.get("/reviews/{review_id}/scores")
def results_page(request: Request, session: SessionDep, scope: ReadRatings) -> Response:
    return _results_page(request, session, scope)


def _target(raw: str) -> tuple[str, str]:
    """'overall' or 'domain:KEY' from the form's select, as (scope, domain key)."""
    kind, _, key = raw.partition(":")
    return kind, key


@router.post("/reviews/{review_id}/scores/overrides")
async def save_override(request: Request, session: SessionDep, scope: Moderate) -> Response:
    fields, _ = await _posted(request)
    # The select names both the scope and the domain; the level radios link to their first box.
    errors = _form_errors(
        "override", "justification", scope="target", domain_key="target", level="override-level"
    )
    result_scope, domain_key = _target(fields.get("target", ""))
    level = _int_or_none(fields.get("level", ""))
    if not fields.get("target"):
        errors.add("scope", "choose the result to override")
    if level is None:
        errors.add("level", "choose the level the result should have")
    if not errors:
        attempt(
            session,
            errors,
            lambda: moderation.set_override(
                session,
                ctx=scope,
                result_scope=result_scope,
                domain_key=domain_key,
                level=level or 0,
                justification=fields.get("justification", ""),
            ),
        )
    if errors:
        return _results_page(request, session, scope, errors=errors, posted=fields)
    return see_other(f"/reviews/{scope.review.id}/scores?done=override-saved#overrides")


@router.post("/reviews/{review_id}/scores/overrides/remove")
async def remove_override(request: Request, session: SessionDep, scope: Moderate) -> Response:
    fields, _ = await _posted(request)
    result_scope, domain_key = _target(fields.get("target", ""))
    moderation.delete_override(session, ctx=scope, result_scope=result_scope, domain_key=domain_key)
    return see_other(f"/reviews/{scope.review.id}/scores?done=override-removed#overrides")
