"""What refers to a review's partners and framework, told by the packages that hold it.

Evidence, ratings, figures and findings live in packages above reviews, so reviews cannot
count them itself without importing them. Instead each of those packages registers a counter
here when its service is imported (the composition roots import every service), and reviews
asks the registered counters when a partner is to be removed or the framework to change.

The database's foreign keys stay the last word: a delete that something still refers to is
refused by the database even when no counter was registered (see `service.delete_organisation`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, func, select

from app.reviews.models import Review

# (session, review, organisation id) -> how many records of one kind refer to that partner.
OrganisationCounter = Callable[[Session, Review, int], int]
# (session, review) -> how many records of one kind hang off the review's framework.
ContentCounter = Callable[[Session, Review], int]

_ORGANISATION: dict[str, OrganisationCounter] = {}
_CONTENT: dict[str, ContentCounter] = {}


def register_organisation_counter(what: str, count: OrganisationCounter) -> None:
    """Declare that records called `what` (plural, such as "evidence items") refer to partners."""
    _ORGANISATION[what] = count


def register_content_counter(what: str, count: ContentCounter) -> None:
    """Declare that records called `what` hang off a review's framework (its lines, indicators)."""
    _CONTENT[what] = count


def organisation_references(session: Session, review: Review, organisation_id: int) -> dict[str, int]:
    """How many records refer to a partner organisation, by what they are (only non-zero counts)."""
    counts = {what: count(session, review, organisation_id) for what, count in _ORGANISATION.items()}
    return {what: n for what, n in counts.items() if n}


def framework_content(session: Session, review: Review) -> dict[str, int]:
    """How many records hang off the review's framework, by what they are (only non-zero counts)."""
    counts = {what: count(session, review) for what, count in _CONTENT.items()}
    return {what: n for what, n in counts.items() if n}


def count(session: Session, model: Any, *conditions: Any) -> int:
    """How many rows of `model` meet the conditions: what most counters need."""
    return int(session.exec(select(func.count()).select_from(model).where(*conditions)).one())


def listed(counts: dict[str, int]) -> str:
    """Counts as words: "2 evidence items, 1 team members"."""
    return ", ".join(f"{n} {what}" for what, n in counts.items())
