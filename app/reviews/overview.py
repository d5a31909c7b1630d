"""What other packages add to a review's home page, registered by them.

The home page shows, beside the review's own details, summaries that belong to packages above
reviews (how well the evidence covers the framework, say). Each such package registers its
summary here when its service is imported, naming the action a member needs to see it, so
reviews shows them without importing those packages.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from app.accounts.permissions import Action
from app.reviews.access import ReviewScope
from app.reviews.models import Review

Summary = Callable[[Session, Review], object]

_SUMMARIES: dict[str, tuple[Action, Summary]] = {}


def register(name: str, summary: Summary, *, needs: Action) -> None:
    """Show `summary` on the review home page, as `name`, to members who may take `needs`."""
    _SUMMARIES[name] = (needs, summary)


def summaries(session: Session, scope: ReviewScope) -> dict[str, object]:
    """Every registered summary this member may see, by name."""
    return {
        name: summary(session, scope.review)
        for name, (needs, summary) in _SUMMARIES.items()
        if scope.can(needs)
    }
