"""Web pages: home, sign-in and sign-out, the account page, user administration, the audit trail."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import audit_service, service
from app.accounts.deps import (
    SESSION_COOKIE,
    AdminUser,
    CurrentUser,
    OptionalUser,
    cookie_secure,
    safe_next,
    session_lifetime,
    sign_in,
)
from app.accounts.permissions import Action
from app.core.deps import SessionDep
from app.core.errors import DomainError
from app.core.security import MIN_PASSWORD_LENGTH
from app.reviews.access import ReviewScope
from app.reviews.deps import review_scope
from app.web.templating import render

router = APIRouter(include_in_schema=False)

# Holds the nonce the sign-in form's hidden token is bound to (there is no session yet).
SIGN_IN_COOKIE = "sysreview_sign_in"

# Messages shown after a redirect, chosen by a fixed key so a link cannot put words on the page.
ACCOUNT_NOTICES = {
    "revoked": "The token has been revoked. Scripts using it will stop working.",
    "password": "Your password has been changed.",
}
ADMIN_NOTICES = {
    "created": "The account has been created. Tell the person their email address and password.",
    "updated": "The account has been updated.",
    "deactivated": "The account has been deactivated and its sessions and tokens revoked.",
    "reactivated": "The account has been reactivated.",
}
SIGN_IN_NOTICES = {"signed-out": "You have signed out."}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _field_errors(exc: DomainError, fields: tuple[str, ...]) -> tuple[list[dict[str, str]], dict[str, str]]:
    """A service error as the error summary and the message beside the field it names."""
    field = exc.field if exc.field in fields else ""
    return [{"field": field, "message": exc.message}], ({field: exc.message} if field else {})


def _no_store(response: Response) -> Response:
    # Pages that show a secret, or a form bound to one, must not be kept in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


# Home


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """The signed-in person's reviews; administrators also see every review and the admin links."""
    ctx: dict[str, Any] = {"page_title": "Your reviews", "mine": service.reviews_of(session, user)}
    if user.is_admin:
        ctx["everything"] = service.all_reviews(session, user)
    return render(request, "home.html", ctx)


# Sign-in and sign-out


def _sign_in_page(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    errors: list[dict[str, str]] | None = None,
    field_errors: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    """The sign-in form with a fresh signed token, bound to this browser's nonce cookie."""
    nonce = request.cookies.get(SIGN_IN_COOKIE, "")
    if not (20 <= len(nonce) <= 64):
        nonce = service.new_sign_in_nonce()
    response = render(
        request,
        "accounts/sign_in.html",
        {
            "page_title": "Sign in",
            "sign_in_token": service.sign_in_form_token(nonce),
            "next_path": next_path,
            "email": email,
            "errors": errors or [],
            "field_errors": field_errors or {},
            "flash": flash,
        },
        status_code=status_code,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        nonce,
        max_age=service.SIGN_IN_FORM_SECONDS,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
        path="/sign-in",
    )
    return _no_store(response)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(
    request: Request,
    user: OptionalUser,
    next: Annotated[str, Query(max_length=2000)] = "/",
    notice: str = "",
) -> Response:
    if user is not None:
        return _see_other(safe_next(next))
    return _sign_in_page(request, next_path=safe_next(next), flash=SIGN_IN_NOTICES.get(notice))


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in_submit(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the form came from our own page, then the email and password; start a web session."""
    next_path = safe_next(next)
    email = email.strip()
    if not service.sign_in_form_token_valid(request.cookies.get(SIGN_IN_COOKIE, ""), csrf_token):
        message = "This sign-in form has expired or did not come from this site. Enter your details again."
        return _sign_in_page(
            request,
            next_path=next_path,
            email=email,
            errors=[{"field": "", "message": message}],
            status_code=403,
        )
    field_errors = {}
    if not email:
        field_errors["email"] = "Enter your email address"
    if not password:
        field_errors["password"] = "Enter your password"
    if field_errors:
        return _sign_in_page(
            request,
            next_path=next_path,
            email=email,
            errors=[{"field": name, "message": text} for name, text in field_errors.items()],
            field_errors=field_errors,
            status_code=422,
        )
    issued = await sign_in(
        request, session, email=email, password=password, kind="session", lifetime=session_lifetime()
    )
    if issued is None:
        message = "The email address or password is not right, or the account is not active"
        return _sign_in_page(
            request,
            next_path=next_path,
            email=email,
            errors=[{"field": "email", "message": message}],
            field_errors={"email": message},
            status_code=401,
        )
    response = _see_other(next_path)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int(session_lifetime().total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    """End this web session (the form carries the session's CSRF secret) and forget the cookie."""
    token = getattr(request.state, "auth_token", None)
    if user is not None and token is not None:
        service.revoke_token(session, user=user, token_id=token.id)
    response = _see_other("/sign-in?notice=signed-out")
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request)
    )
    return response


# The account page: personal access tokens and password


def _account_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    *,
    new_token: service.IssuedToken | None = None,
    form: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
    field_errors: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    tokens = service.list_tokens(session, user=user)
    ctx = {
        "page_title": "Your account",
        "tokens": [(token, service.token_is_live(token)) for token in tokens],
        "new_token": new_token,
        "form": form or {},
        "errors": errors or [],
        "field_errors": field_errors or {},
        "flash": flash,
        "min_password": MIN_PASSWORD_LENGTH,
        "max_days": service.MAX_PERSONAL_TOKEN_DAYS,
    }
    return _no_store(render(request, "accounts/account.html", ctx, status_code=status_code))


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: SessionDep, user: CurrentUser, done: str = "") -> Response:
    return _account_page(request, session, user, flash=ACCOUNT_NOTICES.get(done))


@router.post("/account/tokens", response_class=HTMLResponse)
def account_create_token(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    name: Annotated[str, Form(max_length=500)] = "",
    expires_in_days: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create a personal access token and show its secret on this one page, once."""
    form = {"name": name, "expires_in_days": expires_in_days}
    days: int | None = None
    if expires_in_days.strip():
        if not expires_in_days.strip().isdigit():
            message = "Enter the number of days as a whole number, such as 30, or leave it empty"
            return _account_page(
                request,
                session,
                user,
                form=form,
                errors=[{"field": "expires_in_days", "message": message}],
                field_errors={"expires_in_days": message},
                status_code=422,
            )
        days = int(expires_in_days)
    try:
        issued = service.create_personal_token(session, user=user, name=name, expires_in_days=days)
    except DomainError as exc:
        errors, field_errors = _field_errors(exc, ("name", "expires_in_days"))
        return _account_page(
            request, session, user, form=form, errors=errors, field_errors=field_errors, status_code=422
        )
    return _account_page(request, session, user, new_token=issued, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke_token(token_id: int, session: SessionDep, user: CurrentUser) -> Response:
    service.revoke_token(session, user=user, token_id=token_id)
    return _see_other("/account?done=revoked")


@router.post("/account/password", response_class=HTMLResponse)
def account_change_password(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    current_password: Annotated[str, Form(max_length=500)] = "",
    new_password: Annotated[str, Form(max_length=500)] = "",
    confirm_password: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    field_errors: dict[str, str] = {}
    if new_password != confirm_password:
        field_errors["confirm_password"] = "The two new passwords are not the same"
    else:
        try:
            service.change_password(
                session, user=user, current_password=current_password, new_password=new_password
            )
        except DomainError as exc:
            field_errors = _field_errors(exc, ("current_password", "new_password"))[1]
    if field_errors:
        errors = [{"field": name, "message": text} for name, text in field_errors.items()]
        return _account_page(
            request, session, user, errors=errors, field_errors=field_errors, status_code=422
        )
    return _see_other("/account?done=password")


# User administration


def _users_page(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    *,
    form: dict[str, Any] | None = None,
    errors: list[dict[str, str]] | None = None,
    field_errors: dict[str, str] | None = None,
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    ctx = {
        "page_title": "Users",
        "users": service.list_users(session),
        "form": form or {},
        "errors": errors or [],
        "field_errors": field_errors or {},
        "flash": flash,
        "min_password": MIN_PASSWORD_LENGTH,
    }
    return render(request, "accounts/users.html", ctx, status_code=status_code)


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(request: Request, session: SessionDep, admin: AdminUser, done: str = "") -> Response:
    return _users_page(request, session, admin, flash=ADMIN_NOTICES.get(done))


@router.post("/admin/users", response_class=HTMLResponse)
def admin_create_user(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    email: Annotated[str, Form(max_length=320)] = "",
    display_name: Annotated[str, Form(max_length=500)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    is_admin: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        service.create_user(
            session,
            email=email,
            display_name=display_name,
            password=password,
            is_admin=is_admin == "yes",
            acting_user_id=admin.id,
        )
    except DomainError as exc:
        errors, field_errors = _field_errors(exc, ("email", "display_name", "password"))
        form = {"email": email, "display_name": display_name, "is_admin": is_admin == "yes"}
        return _users_page(
            request, session, admin, form=form, errors=errors, field_errors=field_errors, status_code=422
        )
    return _see_other("/admin/users?done=created")


def _user_edit_page(
    request: Request,
    session: SessionDep,
    user_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: list[dict[str, str]] | None = None,
    field_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    person = service.get_user(session, user_id)
    ctx = {
        "page_title": f"Change {person.display_name}",
        "person": person,
        "form": form
        or {"display_name": person.display_name, "is_admin": person.is_admin, "is_active": person.is_active},
        "errors": errors or [],
        "field_errors": field_errors or {},
        "min_password": MIN_PASSWORD_LENGTH,
    }
    return render(request, "accounts/user_edit.html", ctx, status_code=status_code)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def admin_user(request: Request, user_id: int, session: SessionDep, admin: AdminUser) -> Response:
    return _user_edit_page(request, session, user_id)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def admin_update_user(
    request: Request,
    user_id: int,
    session: SessionDep,
    admin: AdminUser,
    display_name: Annotated[str, Form(max_length=500)] = "",
    is_admin: Annotated[str, Form(max_length=10)] = "",
    is_active: Annotated[str, Form(max_length=10)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Save the whole edit form: unticked boxes mean no, an empty password means keep it."""
    try:
        service.update_user(
            session,
            acting_user=admin,
            user_id=user_id,
            display_name=display_name,
            is_admin=is_admin == "yes",
            is_active=is_active == "yes",
            password=password or None,
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        errors, field_errors = _field_errors(exc, ("display_name", "is_admin", "is_active", "password"))
        form = {"display_name": display_name, "is_admin": is_admin == "yes", "is_active": is_active == "yes"}
        return _user_edit_page(
            request, session, user_id, form=form, errors=errors, field_errors=field_errors, status_code=422
        )
    return _see_other("/admin/users?done=updated")


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
def admin_set_active(
    request: Request,
    user_id: int,
    session: SessionDep,
    admin: AdminUser,
    active: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The quick deactivate / reactivate button in the users list."""
    try:
        service.update_user(session, acting_user=admin, user_id=user_id, is_active=active == "yes")
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return _users_page(
            request, session, admin, errors=[{"field": "", "message": exc.message}], status_code=422
        )
    return _see_other("/admin/users?done=" + ("reactivated" if active == "yes" else "deactivated"))


# The audit trail of one review


@router.get("/reviews/{review_id}/audit", response_class=HTMLResponse)
def review_audit_page(
    request: Request,
    session: SessionDep,
    scope: ReviewScope = review_scope(Action.read_audit),
    entity: Annotated[str, Query(max_length=40)] = "",
    user_id: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Who changed what in this review, newest first, filtered by kind of record and by person."""
    person = int(user_id) if user_id.isdigit() else None
    limit = audit_service.DEFAULT_PAGE
    trail = audit_service.review_audit(
        session,
        review_id=scope.review.id,
        entity=entity or None,
        user_id=person,
        limit=limit,
        offset=(page - 1) * limit,
    )
    filters_found = audit_service.audit_filters(session, review_id=scope.review.id)
    filters = {key: value for key, value in (("entity", entity), ("user_id", user_id)) if value}

    def page_link(number: int) -> str:
        return "?" + urlencode({**filters, "page": number})

    ctx = {
        "page_title": "Audit trail",
        "review": scope.review,
        "scope": scope,
        "active": "audit",
        "trail": trail,
        "page": page,
        "filters": filters_found,
        "entity": entity,
        "user_id": user_id,
        "describe": audit_service.describe_value,
        "previous_link": page_link(page - 1) if trail.has_previous else None,
        "next_link": page_link(page + 1) if trail.has_next else None,
        "first_shown": trail.offset + 1,
        "last_shown": trail.offset + len(trail.items),
    }
    return render(request, "accounts/audit.html", ctx)
