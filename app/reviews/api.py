"""JSON API for reviews, their partner organisations and their team, and the caller's own reviews."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.accounts.deps import AdminUser, CurrentUser
from app.accounts.permissions import Action, Role, allows
from app.accounts.schemas import user_public
from app.core.deps import RowId, SessionDep
from app.reviews import service, workflow
from app.reviews.access import ReviewScope, membership_of
from app.reviews.deps import ManageReview, ReadReview, WriteFindings
from app.reviews.models import Review
from app.reviews.schemas import (
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    MePublic,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
    ReportTextUpdate,
    ReviewCreate,
    ReviewPublic,
    ReviewRolePublic,
    ReviewStatus,
    ReviewUpdate,
    StatusMove,
)
from app.reviews.service import REPORT_TEXT_FIELDS

router = APIRouter(prefix="/api/v1")
# The review routes; mounted on `router` at the end of this module, beside `/me`.
reviews = APIRouter(prefix="/reviews", tags=["reviews"])


def review_public(review: Review, role: str | None, *, is_admin: bool) -> ReviewPublic:
    """The review as the caller may see it: report text only where the role table lets the
    caller read the report (the same rule as the report pages)."""
    shown = review.model_dump(exclude={"self_assessment_closed"})
    if not allows(
        Role(role) if role else None,
        Action.read_report,
        published=review.status == "published",
        is_admin=is_admin,
    ):
        shown.update(dict.fromkeys(REPORT_TEXT_FIELDS))
    return ReviewPublic(**shown, role=role, allowed_moves=workflow.allowed_moves(review.status))


def _scoped(scope: ReviewScope) -> ReviewPublic:
    return review_public(scope.review, scope.role.value if scope.role else None, is_admin=scope.user.is_admin)


def member_public(member: service.TeamMember) -> MemberPublic:
    m = member.membership
    return MemberPublic(
        id=m.id or 0,
        user_id=m.user_id,
        email=member.user.email,
        display_name=member.user.display_name,
        role=m.role,
        organisation_id=m.organisation_id,
        organisation_name=member.organisation.name if member.organisation else None,
        created_at=m.created_at,
    )


@reviews.post(
    "", status_code=status.HTTP_201_CREATED, summary="Open a review and name its lead (administrators)"
)
def create_review(body: ReviewCreate, user: AdminUser, session: SessionDep) -> ReviewPublic:
    review = service.create_review_with_lead(session, user_id=user.id, **body.model_dump())
    membership = membership_of(session, user.id or 0, review.id or 0)
    return review_public(review, membership.role if membership else None, is_admin=user.is_admin)


@reviews.get("", summary="Reviews you have a role in (administrators: every review)")
def list_reviews(
    user: CurrentUser, session: SessionDep, status: ReviewStatus | None = None
) -> list[ReviewPublic]:
    return [
        review_public(review, role, is_admin=user.is_admin)
        for review, role in service.reviews_for(session, user, status=status)
    ]


@reviews.get("/{review_id}", summary="One review")
def get_review(scope: ReadReview) -> ReviewPublic:
    return _scoped(scope)


@reviews.patch("/{review_id}", summary="Change the review's details")
def update_review(body: ReviewUpdate, session: SessionDep, scope: ManageReview) -> ReviewPublic:
    service.update_review(session, ctx=scope, changes=body.model_dump(exclude_unset=True))
    return _scoped(scope)


@reviews.put("/{review_id}/report-text", summary="Write the report's summary, people's experience and scope")
def put_report_text(body: ReportTextUpdate, session: SessionDep, scope: WriteFindings) -> ReviewPublic:
    service.set_report_text(session, ctx=scope, changes=body.model_dump(exclude_unset=True))
    return _scoped(scope)


@reviews.post("/{review_id}/status", summary="Move the review one step along its workflow")
def move_status(body: StatusMove, session: SessionDep, scope: ManageReview) -> ReviewPublic:
    service.move_status(session, ctx=scope, status=body.status)
    return _scoped(scope)


# Partner organisations


@reviews.get("/{review_id}/organisations", summary="The review's partner organisations")
def list_organisations(session: SessionDep, scope: ReadReview) -> list[OrganisationPublic]:
    return [OrganisationPublic.model_validate(o) for o in service.list_organisations(session, scope.review)]


@reviews.post(
    "/{review_id}/organisations", status_code=status.HTTP_201_CREATED, summary="Add a partner organisation"
)
def add_organisation(
    body: OrganisationCreate, session: SessionDep, scope: ManageReview
) -> OrganisationPublic:
    organisation = service.add_organisation(session, ctx=scope, name=body.name, org_type=body.org_type)
    return OrganisationPublic.model_validate(organisation)


@reviews.patch("/{review_id}/organisations/{organisation_id}", summary="Rename a partner or change its type")
def update_organisation(
    organisation_id: RowId,
    body: OrganisationUpdate,
    session: SessionDep,
    scope: ManageReview,
) -> OrganisationPublic:
    organisation = service.update_organisation(
        session,
        ctx=scope,
        organisation_id=organisation_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return OrganisationPublic.model_validate(organisation)


@reviews.delete(
    "/{review_id}/organisations/{organisation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a partner nothing refers to",
)
def delete_organisation(organisation_id: RowId, session: SessionDep, scope: ManageReview) -> Response:
    service.delete_organisation(session, ctx=scope, organisation_id=organisation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Team


def _member(session: SessionDep, scope: ReviewScope, membership_id: RowId) -> MemberPublic:
    return member_public(service.team_member(session, scope.review, membership_id))


@reviews.get("/{review_id}/members", summary="The review team and their roles")
def list_members(session: SessionDep, scope: ReadReview) -> list[MemberPublic]:
    return [member_public(m) for m in service.list_members(session, scope.review)]


@reviews.post("/{review_id}/members", status_code=status.HTTP_201_CREATED, summary="Give an account a role")
def add_member(body: MemberCreate, session: SessionDep, scope: ManageReview) -> MemberPublic:
    membership = service.add_member(
        session,
        ctx=scope,
        email=body.email,
        role=body.role,
        organisation_id=body.organisation_id,
    )
    return _member(session, scope, membership.id or 0)


@reviews.patch("/{review_id}/members/{membership_id}", summary="Change a member's role or organisation")
def update_member(
    membership_id: RowId,
    body: MemberUpdate,
    session: SessionDep,
    scope: ManageReview,
) -> MemberPublic:
    service.update_member(
        session,
        ctx=scope,
        membership_id=membership_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return _member(session, scope, membership_id)


@reviews.delete(
    "/{review_id}/members/{membership_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take someone off the team (never the last lead)",
)
def remove_member(membership_id: RowId, session: SessionDep, scope: ManageReview) -> Response:
    service.remove_member(session, ctx=scope, membership_id=membership_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# The caller's own account and reviews


@router.get("/me", tags=["auth"], summary="Who am I: my account and my role in each review")
def me(session: SessionDep, user: CurrentUser) -> MePublic:
    roles = [
        ReviewRolePublic(
            review_id=item.review.id or 0,
            title=item.review.title,
            place=item.review.place,
            status=item.review.status,
            role=str(item.role),
        )
        for item in service.reviews_of(session, user)
    ]
    return MePublic(**user_public(user).model_dump(), reviews=roles)


router.include_router(reviews)
