"""Rating pages: the self-assessment questionnaire, the ratings grid, rating a line, moderation
and the results.

Every page works without JavaScript: each form posts here and, when the save works, redirects
back (Post/Redirect/Get) to where the person was. When a service refuses, the page is shown
again with the error summary and the message by the field, keeping what was typed.
`ratings.js` only adds saving-as-you-go to the questionnaire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from app import charts
from app.accounts.permissions import Action, Role
from app.core.deps import SessionDep
from app.core.errors import Conflict, DomainError
from app.core.text import plain_excerpt
from app.frameworks.schema import Framework
from app.ratings import service
from app.reviews.access import ReviewScope
from app.reviews.changes import review_framework
from app.reviews.deps import review_scope, review_scope_any
from app.reviews.models import Organisation
from app.scoring import ReviewScores, level_label
from app.web.templating import render

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


@dataclass
class Problems:
    """What is wrong with a submitted form: the error summary and the message by each field.

    `anchors` maps a service's field name to the id of the input the summary links to.
    """

    anchors: dict[str, str]
    summary: list[dict[str, str]] = field(default_factory=list)
    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str | None, message: str) -> None:
        text = message[:1].upper() + message[1:]
        if text and text[-1] not in ".!?":
            text += "."
        anchor = self.anchors.get(name or "", "")
        if name in self.anchors:
            self.by_field.setdefault(name or "", text)
        self.summary.append({"field": anchor, "message": text})

    def __bool__(self) -> bool:
        return bool(self.summary)


def _anchors(prefix: str, *names: str) -> dict[str, str]:
    # Radios and checkboxes link to their first box, which carries the plain id.
    return {name: f"{prefix}-{name}" for name in names}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    """The form's text fields, stripped, and the cited evidence ids (a repeated field)."""
    form = await request.form()
    fields = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    cited = [v for v in form.getlist("cited_evidence") if isinstance(v, str) and v]
    return fields, cited


def _int_or_none(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


def _page(
    request: Request,
    scope: ReviewScope,
    template: str,
    active: str,
    title: str,
    status: int = 200,
    **ctx: Any,
) -> Response:
    return render(
        request,
        template,
        {
            "review": scope.review,
            "scope": scope,
            "active": active,
            "page_title": title,
            "flash": NOTICES.get(request.query_params.get("done", "")),
            "flag_words": FLAG_WORDS,
            **ctx,
        },
        status_code=status,
    )


def _attempt(session: Session, problems: Problems, action: Any) -> Any:
    """Run a service call; on refusal, undo what it began and note why for the page."""
    try:
        return action()
    except DomainError as exc:
        session.rollback()
        problems.add(exc.field, exc.message)
        return None


# The self-assessment questionnaire -------------------------------------------------------------


def _questionnaire(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    problems: Problems | None = None,
    error_ref: str | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
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
    if scope.membership is not None and scope.membership.organisation_id is not None:
        organisation = session.get(Organisation, scope.membership.organisation_id)
    return _page(
        request,
        scope,
        "ratings/self_assessment.html",
        "self",
        "Self-assessment",
        status=status,
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
        errors=problems.summary if problems else [],
        error_ref=error_ref,
        field_errors=problems.by_field if problems else {},
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
        return _see_other(f"/reviews/{scope.review.id}/ratings")
    return _questionnaire(request, session, scope)


@router.post("/reviews/{review_id}/self-assessment/close")
def close_self_assessment(
    session: SessionDep, scope: ReviewScope = review_scope(Action.manage_review)
) -> Response:
    service.set_self_assessment_closed(session, scope=scope, closed=True)
    return _see_other(f"/reviews/{scope.review.id}/ratings?done=closed#self-assessment")


@router.post("/reviews/{review_id}/self-assessment/reopen")
def reopen_self_assessment(
    session: SessionDep, scope: ReviewScope = review_scope(Action.manage_review)
) -> Response:
    service.set_self_assessment_closed(session, scope=scope, closed=False)
    return _see_other(f"/reviews/{scope.review.id}/ratings?done=reopened#self-assessment")


@router.post("/reviews/{review_id}/self-assessment/{ref}")
async def save_self_assessment(
    ref: str, request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.rate_self)
) -> Response:
    fields, _ = await _form(request)
    problems = Problems(_anchors(ref, "value", "rationale"))
    value = _int_or_none(fields.get("value", ""))
    if value is None:
        problems.add("value", f"choose a level for {ref}")
    else:
        _attempt(
            session,
            problems,
            lambda: service.save_rating(
                session, scope=scope, ref=ref, value=value, rationale=fields.get("rationale", "")
            ),
        )
    if problems:
        status = 409 if scope.review.self_assessment_closed else 422
        return _questionnaire(
            request, session, scope, problems=problems, error_ref=ref, posted=fields, status=status
        )
    return _see_other(f"/reviews/{scope.review.id}/self-assessment?saved={ref}#line-{ref}")


# The ratings grid ------------------------------------------------------------------------------


def radar_svg(framework: Framework, scores: ReviewScores) -> Markup | None:
    """The self-assessment against the moderated ratings as an inline SVG radar chart."""
    profile = service.rating_profile(framework, scores)
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
def ratings_page(
    request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.read_ratings)
) -> Response:
    review = scope.review
    framework = review_framework(session, review)
    scores = service.review_scores(session, review)
    lines = {line.ref: line for _, line in framework.lines()}
    own = {r.ref: r for r in service.own_ratings(session, scope=scope)} if scope.can(Action.rate_team) else {}
    return _page(
        request,
        scope,
        "ratings/grid.html",
        "ratings",
        "Ratings",
        framework=framework,
        scores=scores,
        lines=lines,
        domain_names={d.key: d.name for d in framework.domains},
        own=own,
        radar=radar_svg(framework, scores),
        profile=service.rating_profile(framework, scores),
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
    problems: Problems | None = None,
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
        "ratings",
        f"Rate {ref}",
        status=422 if problems else 200,
        framework=framework,
        domain=domain,
        line=line,
        own=own,
        evidence=service.evidence_for_line(session, review=review, framework=framework, ref=ref, cited=cited),
        cited=cited,
        next_ref=refs[position + 1] if position + 1 < len(refs) else None,
        errors=problems.summary if problems else [],
        field_errors=problems.by_field if problems else {},
        posted=posted,
    )


@router.get("/reviews/{review_id}/ratings/{ref}/rate")
def rate_page(
    ref: str, request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.rate_team)
) -> Response:
    return _rate_page(request, session, scope, ref)


@router.post("/reviews/{review_id}/ratings/{ref}/rate")
async def save_team_rating(
    ref: str, request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.rate_team)
) -> Response:
    fields, cited = await _form(request)
    problems = Problems(_anchors("rate", "value", "rationale", "cited_evidence"))
    value = _int_or_none(fields.get("value", ""))
    if value is None:
        problems.add("value", "choose a level")
    else:
        _attempt(
            session,
            problems,
            lambda: service.save_rating(
                session,
                scope=scope,
                ref=ref,
                value=value,
                rationale=fields.get("rationale", ""),
                cited_evidence=cited,
            ),
        )
    if problems:
        return _rate_page(request, session, scope, ref, problems=problems, posted=fields, posted_cited=cited)
    framework = review_framework(session, scope.review)
    refs = framework.refs()
    if fields.get("then") == "next" and ref in refs and refs.index(ref) + 1 < len(refs):
        return _see_other(f"/reviews/{scope.review.id}/ratings/{refs[refs.index(ref) + 1]}/rate?done=rated")
    return _see_other(f"/reviews/{scope.review.id}/ratings?done=rated#row-{ref}")


# Moderation ------------------------------------------------------------------------------------


def _moderation_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    ref: str,
    *,
    problems: Problems | None = None,
    posted: dict[str, Any] | None = None,
    posted_cited: list[str] | None = None,
    status: int = 200,
) -> Response:
    view = service.moderation_view(session, review=scope.review, ref=ref)
    framework = view.framework
    chart = None
    if framework.scale.rated and view.ratings:
        chart = Markup(  # noqa: S704 - built by app.charts, which escapes every text it draws
            charts.spread_chart(
                {
                    "Self-assessment": [
                        r.rating.value for r in view.ratings if r.rating.group == "self_assessment"
                    ],
                    "Review team": [r.rating.value for r in view.ratings if r.rating.group == "review_team"],
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
        "ratings",
        f"Moderate {ref}",
        status=status,
        view=view,
        framework=framework,
        chart=chart,
        cited=cited,
        excerpts={item.id: plain_excerpt(item.narrative, 240) for item in view.evidence},
        can_moderate=scope.can(Action.moderate) and framework.scale.rated,
        errors=problems.summary if problems else [],
        field_errors=problems.by_field if problems else {},
        posted=posted,
    )


@router.get("/reviews/{review_id}/moderation/{ref}")
def moderation_page(
    ref: str, request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.read_ratings)
) -> Response:
    return _moderation_page(request, session, scope, ref)


@router.post("/reviews/{review_id}/moderation/{ref}")
async def save_moderation(
    ref: str, request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.moderate)
) -> Response:
    fields, cited = await _form(request)
    problems = Problems(
        {**_anchors("moderate", "value", "rationale", "cited_evidence"), "version": "moderate-value"}
    )
    value = _int_or_none(fields.get("value", ""))
    version = _int_or_none(fields.get("version", "")) if fields.get("version") else None
    stale = False
    if value is None:
        problems.add("value", "choose the moderated level")
    else:
        try:
            service.moderate(
                session,
                scope=scope,
                ref=ref,
                value=value,
                rationale=fields.get("rationale", ""),
                cited_evidence=cited,
                expected_version=version,
                reason=fields.get("reason", ""),
            )
        except Conflict as exc:
            session.rollback()
            stale = True
            problems.add("version", exc.message)
        except DomainError as exc:
            session.rollback()
            problems.add(exc.field, exc.message)
    if problems:
        # After a stale save the form keeps what this person chose, but now carries the stored
        # version: saving again replaces the other rating knowingly, having seen it above.
        kept = {k: v for k, v in fields.items() if k != "version"} if stale else fields
        return _moderation_page(
            request,
            session,
            scope,
            ref,
            problems=problems,
            posted=kept,
            posted_cited=cited,
            status=409 if stale else 422,
        )
    return _see_other(f"/reviews/{scope.review.id}/moderation/{ref}?done=moderated")


# Results and overrides ----------------------------------------------------------------------------


def _results_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    problems: Problems | None = None,
    posted: dict[str, Any] | None = None,
) -> Response:
    review = scope.review
    framework = review_framework(session, review)
    scores = service.review_scores(session, review)
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
        "ratings",
        "Results",
        status=422 if problems else 200,
        framework=framework,
        scores=scores,
        overrides=service.list_overrides(session, review=review),
        targets=targets,
        levels=levels,
        can_override=scope.can(Action.moderate) and framework.scale.rated,
        errors=problems.summary if problems else [],
        field_errors=problems.by_field if problems else {},
        posted=posted or {},
    )


@router.get("/reviews/{review_id}/scores")
def results_page(
    request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.read_ratings)
) -> Response:
    return _results_page(request, session, scope)


def _target(raw: str) -> tuple[str, str]:
    """'overall' or 'domain:KEY' from the form's select, as (scope, domain key)."""
    kind, _, key = raw.partition(":")
    return kind, key


@router.post("/reviews/{review_id}/scores/overrides")
async def save_override(
    request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.moderate)
) -> Response:
    fields, _ = await _form(request)
    problems = Problems(
        {
            "scope": "target",
            "domain_key": "target",
            "level": "override-level",
            "justification": "override-justification",
        }
    )
    result_scope, domain_key = _target(fields.get("target", ""))
    level = _int_or_none(fields.get("level", ""))
    if not fields.get("target"):
        problems.add("scope", "choose the result to override")
    if level is None:
        problems.add("level", "choose the level the result should have")
    if not problems:
        _attempt(
            session,
            problems,
            lambda: service.set_override(
                session,
                scope=scope,
                result_scope=result_scope,
                domain_key=domain_key,
                level=level or 0,
                justification=fields.get("justification", ""),
            ),
        )
    if problems:
        return _results_page(request, session, scope, problems=problems, posted=fields)
    return _see_other(f"/reviews/{scope.review.id}/scores?done=override-saved#overrides")


@router.post("/reviews/{review_id}/scores/overrides/remove")
async def remove_override(
    request: Request, session: SessionDep, scope: ReviewScope = review_scope(Action.moderate)
) -> Response:
    fields, _ = await _form(request)
    result_scope, domain_key = _target(fields.get("target", ""))
    service.delete_override(session, scope=scope, result_scope=result_scope, domain_key=domain_key)
    return _see_other(f"/reviews/{scope.review.id}/scores?done=override-removed#overrides")
