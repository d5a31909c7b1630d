"""Reviews: creation, reading, the status workflow, partners and team."""

from __future__ import annotations

from sqlmodel import Session

from app.core import audit
from app.core.errors import Invalid, ReadOnly
from app.core.timeutil import utcnow
from app.frameworks import service as frameworks
from app.frameworks.schema import Framework
from app.reviews.models import REVIEW_KINDS, Review


def review_framework(session: Session, review: Review) -> Framework:
    """The framework version this review is pinned to."""
    return frameworks.get_framework(session, review.framework_key, review.framework_version)


def touch(session: Session, review: Review) -> None:
    """Mark the review's content as changed (feeds the report cache key)."""
    review.revision += 1
    review.updated_at = utcnow()
    session.add(review)


def ensure_writable(review: Review) -> None:
    if review.status == "published":
        raise ReadOnly("this review is published and can no longer be changed")


def create_review(
    session: Session,
    *,
    user_id: int,
    title: str,
    place: str,
    kind: str,
    framework_key: str,
    framework_version: str | None = None,
    **fields: object,
) -> Review:
    """Create a review pinned to a framework version (the newest when none is named)."""
    if kind not in REVIEW_KINDS:
        raise Invalid(f"must be one of {', '.join(REVIEW_KINDS)}", field="kind")
    try:
        row = frameworks.get_version(session, framework_key, framework_version)
    except Exception as exc:  # NotFound: name the field at fault
        raise Invalid(str(exc), field="framework_key") from exc
    review = Review(
        title=title,
        place=place,
        kind=kind,
        framework_key=row.key,
        framework_version=row.version,
        **fields,  # type: ignore[arg-type]
    )
    session.add(review)
    session.flush()
    audit.record(
        session,
        user_id=user_id,
        review_id=review.id,
        entity="review",
        entity_id=review.id,
        action="create",
        after=audit.snapshot(review),
    )
    return review
