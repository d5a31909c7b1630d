"""The one permission check: may this user take this action on this review?

It answers with the caller's scope, which is also the write context every service that
changes a review takes (see `app.reviews.changes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.permissions import Action, Role, allows
from app.core.errors import Forbidden, NotFound, ReadOnly
from app.reviews.models import Membership, Review


@dataclass
class WriteContext:
    """Who is changing a review: the review, the acting account (None for an actor without
    one, such as a survey respondent), a word for that actor, their role and organisation."""

    review: Review
    user_id: int | None
    role: Role | None
    organisation_id: int | None
    actor: str = ""

    @property
    def published(self) -> bool:
        return self.review.status == "published"


class ReviewScope(WriteContext):
    """What a permitted request knows: the review, the user and their role in it."""

    def __init__(self, review: Review, user: User, role: Role | None, membership: Membership | None):
        super().__init__(
            review=review,
            user_id=user.id,
            role=role,  # None for a global admin with no role of their own
            organisation_id=membership.organisation_id if membership else None,
        )
        self.user = user
        self.membership = membership

    def can(self, action: Action | str) -> bool:
        return allows(self.role, Action(action), published=self.published, is_admin=self.user.is_admin)


def membership_of(session: Session, user_id: int, review_id: int) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.review_id == review_id, Membership.user_id == user_id)
    ).first()


def authorize(session: Session, user: User, review_id: int, action: Action) -> ReviewScope:
    """Return the scope, or raise: 404 when the user has no role (never confirm the review
    exists), 409 for a write to a published review, 403 for an action the role lacks."""
    # The review and the caller's membership in one query: this runs on every review request.
    found = session.exec(
        select(Review, Membership)
        .outerjoin(
            Membership,
            and_(col(Membership.review_id) == col(Review.id), col(Membership.user_id) == user.id),
        )
        .where(col(Review.id) == review_id)
    ).first()
    review, membership = found if found is not None else (None, None)
    if review is None or (membership is None and not user.is_admin):
        raise NotFound("review not found")
    scope = ReviewScope(review, user, Role(membership.role) if membership else None, membership)
    if scope.can(action):
        return scope
    if scope.published and scope.can(Action.read_review) and _role_could_before(scope, action):
        raise ReadOnly("this review is published and can no longer be changed")
    if action is Action.write_action_plan and not scope.published and _role_could_after(scope, action):
        raise Forbidden("the action plan opens once the review is published")
    raise Forbidden(f"your role in this review does not allow this ({action.value})")


def _role_could_after(scope: ReviewScope, action: Action) -> bool:
    return allows(scope.role, action, published=True, is_admin=scope.user.is_admin)


def _role_could_before(scope: ReviewScope, action: Action) -> bool:
    return allows(scope.role, action, published=False, is_admin=scope.user.is_admin)


def scope_for(session: Session, review: Review, user: User) -> ReviewScope:
    """The scope of `user` in `review` without a permission check: for the command line, the
    demo seed and tests, which act as a named person outside any request."""
    membership = membership_of(session, user.id or 0, review.id or 0)
    return ReviewScope(review, user, Role(membership.role) if membership else None, membership)


def anonymous_context(review: Review, actor: str) -> WriteContext:
    """A write context for someone with no account (a survey respondent): only a word for them."""
    return WriteContext(review=review, user_id=None, role=None, organisation_id=None, actor=actor)
