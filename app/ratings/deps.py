"""A review-scope dependency for routes that more than one action may open.

Rating a line is one route for two kinds of rater: a self-assessor rates their
own system (`rate_self`) and a reviewer or the lead rates from the evidence
(`rate_team`). Rather than two routes, the route accepts either action. The
check is still the one permission check, `app.accounts.access.authorize`,
tried for each action in turn.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from app.accounts.access import ReviewScope, authorize
from app.accounts.deps import CurrentUser
from app.accounts.permissions import Action
from app.core.deps import SessionDep
from app.core.errors import DomainError, ReadOnly


def authorize_any(
    session: SessionDep, user: CurrentUser, review_id: int, actions: tuple[Action, ...]
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

    def dependency(review_id: int, user: CurrentUser, session: SessionDep) -> ReviewScope:
        return authorize_any(session, user, review_id, actions)

    dependency.required_action = actions  # type: ignore[attr-defined]
    return Depends(dependency)
