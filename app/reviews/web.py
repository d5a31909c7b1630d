"""Web pages for a review: your reviews, create, home, details, status, report text, team and partners.

Every form posts back here and, when it works, redirects (Post/Redirect/Get) to a page that
says what happened. When a service refuses, the same page is shown again with the error
summary and the message beside the field, keeping what the person typed (`app.web.kit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.accounts.deps import AdminUser, CurrentUser
from app.accounts.permissions import Role
from app.core.deps import RowId, SessionDep
from app.frameworks import service as frameworks
from app.reviews import overview, service, workflow
from app.reviews.access import ReviewScope
from app.reviews.changes import review_framework
from app.reviews.deps import ManageReview, ReadReview, WriteFindings
from app.reviews.models import ORGANISATION_TYPES, REVIEW_KINDS, REVIEW_STATUSES, Organisation
from app.web.kit import FormErrors, attempt, form_date, page, read_form, review_page, see_other, text_fields
from app.web.words import KIND_WORDS, ORG_TYPE_WORDS, ROLE_WORDS, WORDS, options

router = APIRouter(include_in_schema=False)

# Messages shown after a redirect, chosen by a fixed key so a link cannot put words on the page.
NOTICES = {
    "created": "The review has been created. Add the partner organisations and the team next.",
    "details": "The review's details have been saved.",
    "status": "The review's status has changed.",
    "report-text": "The report text has been saved.",
    "member-added": "The person has been added to the team.",
    "member-changed": "The team member's role has been saved.",
    "member-removed": "The person has been taken off the team.",
    "partner-added": "The partner organisation has been added.",
    "partner-changed": "The partner organisation has been saved.",
    "partner-removed": "The partner organisation has been removed.",
}

REVIEW_FORM_FIELDS = (
    "title",
    "place",
    "icb",
    "councils",
    "kind",
    "framework",
    "fieldwork_start",
    "fieldwork_end",
    "lead_email",
)
# Services name their own fields; some forms show them under another input.
FIELD_IDS = {"framework_key": "framework", "framework_version": "framework"}


def _review_form_errors() -> FormErrors:
    return FormErrors(REVIEW_FORM_FIELDS + tuple(FIELD_IDS), ids=FIELD_IDS)


# Every page inside a review shows the review's notices and the plain words for its codes.
_review_page = partial(review_page, notices=NOTICES, words=WORDS)


# Your reviews ------------------------------------------------------------------------------------


@router.get("/")
def home(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """The signed-in person's reviews; administrators also see every review and the admin links."""
    ctx: dict[str, Any] = {"page_title": "Your reviews", "mine": service.reviews_of(session, user)}
    if user.is_admin:
        ctx["everything"] = service.all_reviews(session, user)
    return page(request, "home.html", ctx)


# Creating a review and editing its details ---------------------------------------------------


def _framework_options(session: Session) -> list[tuple[str, str]]:
    found = []
    for row in frameworks.list_versions(session):
        summary = frameworks.summary(row)
        scale: dict[str, Any] = summary["scale"]  # type: ignore[assignment]
        levels = scale["levels"]
        how = (
            f"rated {levels[0]['value']} to {levels[-1]['value']}"
            if scale["mode"] == "rated"
            else "narrative only"
        )
        found.append((f"{row.key}:{row.version}", f"{row.title}, version {row.version} ({how})"))
    return found


def _details_from_form(form: Mapping[str, str], errors: FormErrors) -> dict[str, Any]:
    """The review details a form carries, parsed into what the services take."""
    details: dict[str, Any] = {
        "title": form.get("title", ""),
        "place": form.get("place", ""),
        "icb": form.get("icb", ""),
        "councils": [line for line in form.get("councils", "").splitlines() if line.strip()],
        "kind": form.get("kind", ""),
        "fieldwork_start": form_date(form, "fieldwork_start", errors),
        "fieldwork_end": form_date(form, "fieldwork_end", errors),
    }
    if "framework" in form:
        key, _, version = form["framework"].partition(":")
        details["framework_key"], details["framework_version"] = key, version or None
    return details


def _review_form_ctx(session: Session, form: Mapping[str, str]) -> dict[str, Any]:
    return {
        "form": form,
        "kinds": options(REVIEW_KINDS, KIND_WORDS),
        "framework_options": _framework_options(session),
    }


def _new_review_page(
    request: Request, session: Session, form: Mapping[str, str], errors: FormErrors | None = None
) -> Response:
    ctx = {
        "page_title": "Create a review",
        "errors": [],
        "field_errors": {},
        **_review_form_ctx(session, form),
    }
    return page(request, "reviews/new.html", ctx, errors=errors)


@router.get("/reviews/new")
def new_review_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return _new_review_page(request, session, {})


@router.post("/reviews/new")
async def create_review(request: Request, session: SessionDep, user: AdminUser) -> Response:
    form = text_fields(await read_form(request))
    errors = _review_form_errors()
    details = _details_from_form(form, errors)
    if not form.get("framework"):
        errors.add("framework", "choose a framework from the library")
    created = None
    if not errors:
        created = attempt(
            session,
            errors,
            lambda: service.create_review_with_lead(
                session, user_id=user.id, lead_email=form.get("lead_email", ""), **details
            ),
        )
    if created is None:
        return _new_review_page(request, session, form, errors)
    return see_other(f"/reviews/{created.id}?done=created")


def _edit_form_values(scope: ReviewScope) -> dict[str, str]:
    review = scope.review
    return {
        "title": review.title,
        "place": review.place,
        "icb": review.icb,
        "councils": "\n".join(review.councils),
        "kind": review.kind,
        "framework": f"{review.framework_key}:{review.framework_version}",
        "fieldwork_start": review.fieldwork_start.isoformat() if review.fieldwork_start else "",
        "fieldwork_end": review.fieldwork_end.isoformat() if review.fieldwork_end else "",
    }


def _edit_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    form: Mapping[str, str],
    errors: FormErrors | None = None,
) -> Response:
    return _review_page(
        request,
        scope,
        "reviews/edit.html",
        active="overview",
        title="Change the review's details",
        errors=errors,
        framework_locked=service.framework_lock_reason(session, scope.review),
        framework=review_framework(session, scope.review),
        **_review_form_ctx(session, form),
    )


@router.get("/reviews/{review_id}/edit")
def edit_review_page(request: Request, session: SessionDep, scope: ManageReview) -> Response:
    return _edit_page(request, session, scope, _edit_form_values(scope))


@router.post("/reviews/{review_id}/edit")
async def edit_review(request: Request, session: SessionDep, scope: ManageReview) -> Response:
    form = text_fields(await read_form(request))
    errors = _review_form_errors()
    changes = _details_from_form(form, errors)
    if not errors:
        attempt(session, errors, lambda: service.update_review(session, ctx=scope, changes=changes))
    if errors:
        return _edit_page(request, session, scope, form, errors)
    return see_other(f"/reviews/{scope.review.id}?done=details")


# The review home page and its status ----------------------------------------------------------


def _home(
    request: Request, session: Session, scope: ReviewScope, errors: FormErrors | None = None
) -> Response:
    review = scope.review
    members = service.list_members(session, review)
    summaries = overview.summaries(session, scope)
    return _review_page(
        request,
        scope,
        "reviews/home.html",
        active="overview",
        title=review.title,
        errors=errors,
        framework=review_framework(session, review),
        members=members,
        leads=[m for m in members if m.membership.role == Role.lead.value],
        partners=service.list_organisations(session, review),
        coverage=summaries.get("coverage"),
        statuses=REVIEW_STATUSES,
        current_index=REVIEW_STATUSES.index(review.status),
        forward=workflow.next_status(review.status),
        back=workflow.previous_status(review.status),
        final_status=workflow.FINAL_STATUS,
    )


@router.get("/reviews/{review_id}")
def review_home(request: Request, session: SessionDep, scope: ReadReview) -> Response:
    return _home(request, session, scope)


@router.post("/reviews/{review_id}/status")
async def move_status(request: Request, session: SessionDep, scope: ManageReview) -> Response:
    form = text_fields(await read_form(request))
    errors = FormErrors(("confirm_publish",))
    target = form.get("status", "")
    # Publishing cannot be undone, so the form asks the lead to say they mean it.
    if target == workflow.FINAL_STATUS and form.get("confirm_publish") != "yes":
        errors.add(
            "confirm_publish", "confirm that you want to publish: a published review cannot be changed"
        )
    if not errors:
        attempt(session, errors, lambda: service.move_status(session, ctx=scope, status=target))
    if errors:
        return _home(request, session, scope, errors)
    return see_other(f"/reviews/{scope.review.id}?done=status")


# Report text -------------------------------------------------------------------------------


def _report_text_page(
    request: Request, scope: ReviewScope, form: Mapping[str, str], errors: FormErrors | None = None
) -> Response:
    return _review_page(
        request,
        scope,
        "reviews/report_text.html",
        active="report",
        title="The report's opening text",
        errors=errors,
        form=form,
    )


@router.get("/reviews/{review_id}/report-text")
def report_text_page(request: Request, scope: WriteFindings) -> Response:
    form = {name: getattr(scope.review, name) for name in service.REPORT_TEXT_FIELDS}
    return _report_text_page(request, scope, form)


@router.post("/reviews/{review_id}/report-text")
async def save_report_text(request: Request, session: SessionDep, scope: WriteFindings) -> Response:
    form = text_fields(await read_form(request))
    errors = FormErrors(service.REPORT_TEXT_FIELDS)
    changes = {name: form.get(name, "") for name in service.REPORT_TEXT_FIELDS}
    attempt(session, errors, lambda: service.set_report_text(session, ctx=scope, changes=changes))
    if errors:
        return _report_text_page(request, scope, form, errors)
    return see_other(f"/reviews/{scope.review.id}/report-text?done=report-text")


# Team and partners ---------------------------------------------------------------------------

MEMBER_FIELDS = ("email", "role", "organisation_id")
PARTNER_FIELDS = ("name", "org_type")


def _role_options() -> list[tuple[str, str]]:
    return options(tuple(role.value for role in Role), ROLE_WORDS)


def _org_type_options() -> list[tuple[str, str]]:
    return options(ORGANISATION_TYPES, ORG_TYPE_WORDS)


def _partner_options(partners: list[Organisation]) -> list[tuple[str, str]]:
    return [(str(org.id), org.name) for org in partners]


def _organisation_id(form: Mapping[str, str], errors: FormErrors) -> int | None:
    raw = form.get("organisation_id", "")
    if not raw:
        return None
    if not raw.isdigit():
        errors.add("organisation_id", "choose one of the review's partner organisations")
        return None
    return int(raw)


def _team_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    *,
    member_form: Mapping[str, str] | None = None,
    partner_form: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    partners = service.list_organisations(session, scope.review)
    members = service.list_members(session, scope.review)
    return _review_page(
        request,
        scope,
        "reviews/team.html",
        active="team",
        title="Team and partners",
        errors=errors,
        members=members,
        lead_count=sum(1 for m in members if m.membership.role == Role.lead.value),
        partners=partners,
        partner_options=_partner_options(partners),
        member_form=member_form or {},
        partner_form=partner_form or {},
        role_options=_role_options(),
        org_type_options=_org_type_options(),
    )


@router.get("/reviews/{review_id}/team")
def team_page(request: Request, session: SessionDep, scope: ReadReview) -> Response:
    return _team_page(request, session, scope)


@router.post("/reviews/{review_id}/team/members")
async def add_member(request: Request, session: SessionDep, scope: ManageReview) -> Response:
    form = text_fields(await read_form(request))
    errors = FormErrors(MEMBER_FIELDS)
    organisation_id = _organisation_id(form, errors)
    if not form.get("role"):
        errors.add("role", "choose the person's role in this review")
    if not errors:
        attempt(
            session,
            errors,
            lambda: service.add_member(
                session,
                ctx=scope,
                email=form.get("email", ""),
                role=form["role"],
                organisation_id=organisation_id,
            ),
        )
    if errors:
        return _team_page(request, session, scope, member_form=form, errors=errors)
    return see_other(f"/reviews/{scope.review.id}/team?done=member-added")


def _member_page(
    request: Request,
    session: Session,
    scope: ReviewScope,
    member: service.TeamMember,
    form: Mapping[str, str],
    errors: FormErrors | None = None,
) -> Response:
    return _review_page(
        request,
        scope,
        "reviews/member.html",
        active="team",
        title=f"Change {member.user.display_name}'s role",
        errors=errors,
        member=member,
        form=form,
        role_options=_role_options(),
        partner_options=_partner_options(service.list_organisations(session, scope.review)),
    )


@router.get("/reviews/{review_id}/team/members/{membership_id}")
def member_page(membership_id: RowId, request: Request, session: SessionDep, scope: ManageReview) -> Response:
    member = service.team_member(session, scope.review, membership_id)
    form = {"role": member.membership.role, "organisation_id": str(member.membership.organisation_id or "")}
    return _member_page(request, session, scope, member, form)


@router.post("/reviews/{review_id}/team/members/{membership_id}")
async def change_member(
    membership_id: RowId,
    request: Request,
    session: SessionDep,
    scope: ManageReview,
) -> Response:
    form = text_fields(await read_form(request))
    member = service.team_member(session, scope.review, membership_id)
    errors = FormErrors(("role", "organisation_id"))
    changes = {"role": form.get("role", ""), "organisation_id": _organisation_id(form, errors)}
    if not errors:
        attempt(
            session,
            errors,
            lambda: service.update_member(session, ctx=scope, membership_id=membership_id, changes=changes),
        )
    if errors:
        return _member_page(request, session, scope, member, form, errors)
    return see_other(f"/reviews/{scope.review.id}/team?done=member-changed")


@router.post("/reviews/{review_id}/team/members/{membership_id}/remove")
async def remove_member(
    membership_id: RowId,
    request: Request,
    session: SessionDep,
    scope: ManageReview,
) -> Response:
    errors = FormErrors()
    attempt(session, errors, lambda: service.remove_member(session, ctx=scope, membership_id=membership_id))
    if errors:
        return _team_page(request, session, scope, errors=errors)
    return see_other(f"/reviews/{scope.review.id}/team?done=member-removed")


@router.post("/reviews/{review_id}/team/organisations")
async def add_partner(request: Request, session: SessionDep, scope: ManageReview) -> Response:
    form = text_fields(await read_form(request))
    errors = FormErrors(PARTNER_FIELDS)
    if not form.get("org_type"):
        errors.add("org_type", "choose the kind of organisation")
    if not errors:
        attempt(
            session,
            errors,
            lambda: service.add_organisation(
                session, ctx=scope, name=form.get("name", ""), org_type=form["org_type"]
            ),
        )
    if errors:
        return _team_page(request, session, scope, partner_form=form, errors=errors)
    return see_other(f"/reviews/{scope.review.id}/team?done=partner-added#partners")


def _partner_page(
    request: Request,
    scope: ReviewScope,
    organisation: Organisation,
    form: Mapping[str, str],
    errors: FormErrors | None = None,
) -> Response:
    return _review_page(
        request,
        scope,
        "reviews/partner.html",
        active="team",
        title=f"Change {organisation.name}",
        errors=errors,
        organisation=organisation,
        form=form,
        org_type_options=_org_type_options(),
    )


@router.get("/reviews/{review_id}/team/organisations/{organisation_id}")
def partner_page(
    organisation_id: RowId,
    request: Request,
    session: SessionDep,
    scope: ManageReview,
) -> Response:
    organisation = service.get_organisation(session, scope.review, organisation_id)
    return _partner_page(
        request, scope, organisation, {"name": organisation.name, "org_type": organisation.org_type}
    )


@router.post("/reviews/{review_id}/team/organisations/{organisation_id}")
async def change_partner(
    organisation_id: RowId,
    request: Request,
    session: SessionDep,
    scope: ManageReview,
) -> Response:
    form = text_fields(await read_form(request))
    organisation = service.get_organisation(session, scope.review, organisation_id)
    errors = FormErrors(PARTNER_FIELDS)
    changes = {"name": form.get("name", ""), "org_type": form.get("org_type", "")}
    attempt(
        session,
        errors,
        lambda: service.update_organisation(
            session, ctx=scope, organisation_id=organisation_id, changes=changes
        ),
    )
    if errors:
        return _partner_page(request, scope, organisation, form, errors)
    return see_other(f"/reviews/{scope.review.id}/team?done=partner-changed#partners")


@router.post("/reviews/{review_id}/team/organisations/{organisation_id}/remove")
async def remove_partner(
    organisation_id: RowId,
    request: Request,
    session: SessionDep,
    scope: ManageReview,
) -> Response:
    errors = FormErrors()
    attempt(
        session,
        errors,
        lambda: service.delete_organisation(session, ctx=scope, organisation_id=organisation_id),
    )
    if errors:
        return _team_page(request, session, scope, errors=errors)
    return see_other(f"/reviews/{scope.review.id}/team?done=partner-removed#partners")
