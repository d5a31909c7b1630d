"""Who may act on a review: dependencies that run the one permission check for a route.

`review_scope(action)` gives a route the caller's scope in the review named by its
`review_id` path parameter. Some routes open to more than one action (rating a line is one
route for a self-assessor, `rate_self`, and for a reviewer, `rate_team`): `review_scope_any`
tries each in turn. The route-permission test reads `required_action` from each dependency.

A route names the scope it needs by one of the aliases at the end (`scope: WriteFindings`), so
the action a route asks for reads in its signature.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from app.accounts.deps import CurrentUser
from app.accounts.permissions import Action
from app.core.deps import RowId, SessionDep
from app.core.errors import DomainError, ReadOnly
from app.reviews.access import ReviewScope, authorize


def review_scope(action: Action) -> Any:
    """Dependency factory: the caller's scope in the review named by the `review_id` path
    parameter, checked for `action` by the one permission check."""

    def dependency(review_id: RowId, user: CurrentUser, session: SessionDep) -> ReviewScope:
        return authorize(session, user, review_id, action)

    dependency.required_action = action  # type: ignore[attr-defined]
    return Depends(dependency)


def authorize_any(
    session: SessionDep, user: CurrentUser, review_id: RowId, actions: tuple[Action, ...]
) -> ReviewScope:
    """The caller's scope if any one of `actions` is allowed; else the most telling refusal.

    A non-member gets 404 whichever action is tried. When every action is refused, a
    "published, read-only" refusal wins over a plain "your role cannot", as it is the
    one that tells the caller why a write they could once make is now refused.
    """
    refusals: list[DomainError] = []
    for action in actions:
        try:
            return authorize(session, user, review_id, action)
        except DomainError as exc:
            refusals.append(exc)
    read_only = [exc for exc in refusals if isinstance(exc, ReadOnly)]
    raise (read_only or refusals)[0]


def review_scope_any(*actions: Action) -> Any:
    """Dependency factory: like `review_scope(action)`, but any one of `actions` will do.

    `required_action` is set to the tuple of actions (not a single `Action`), so the
    route-permission test can read that the route opens to a member with any of them.
    """
    if not actions:
        raise ValueError("name at least one action")

    def dependency(review_id: RowId, user: CurrentUser, session: SessionDep) -> ReviewScope:
        return authorize_any(session, user, review_id, actions)

    dependency.required_action = actions  # type: ignore[attr-defined]
    return Depends(dependency)


# One alias per action: a route's signature says what it needs, e.g. `scope: ReadRatings`.
ReadReview = Annotated[ReviewScope, review_scope(Action.read_review)]
ManageReview = Annotated[ReviewScope, review_scope(Action.manage_review)]
ReadEvidence = Annotated[ReviewScope, review_scope(Action.read_evidence)]
WriteEvidence = Annotated[ReviewScope, review_scope(Action.write_evidence)]
RestoreEvidence = Annotated[ReviewScope, review_scope(Action.restore_evidence)]
RateSelf = Annotated[ReviewScope, review_scope(Action.rate_self)]
RateTeam = Annotated[ReviewScope, review_scope(Action.rate_team)]
ReadRatings = Annotated[ReviewScope, review_scope(Action.read_ratings)]
Moderate = Annotated[ReviewScope, review_scope(Action.moderate)]
WriteFindings = Annotated[ReviewScope, review_scope(Action.write_findings)]
ReadReport = Annotated[ReviewScope, review_scope(Action.read_report)]
ExportReport = Annotated[ReviewScope, review_scope(Action.export_report)]
ReadAudit = Annotated[ReviewScope, review_scope(Action.read_audit)]
WriteActionPlan = Annotated[ReviewScope, review_scope(Action.write_action_plan)]
