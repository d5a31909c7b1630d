"""Web pages: sign-in and sign-out, the account page and user administration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import service
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
from app.core.deps import SessionDep
from app.core.security import MIN_PASSWORD_LENGTH
from app.web.kit import FormErrors, attempt, page, see_other
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


def _no_store(response: Response) -> Response:
    # Pages that show a secret, or a form bound to one, must not be kept in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


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
        return see_other(safe_next(next))
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
    response = see_other(next_path)
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
    response = see_other("/sign-in?notice=signed-out")
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
    errors = FormErrors(("name", "expires_in_days"))
    days: int | None = None
    if expires_in_days.strip():
        if expires_in_days.strip().isdigit():
            days = int(expires_in_days)
        else:
            errors.add(
                "expires_in_days", "Enter the number of days as a whole number, such as 30, or leave it empty"
            )
    issued = None
    if not errors:
        issued = attempt(
            session,
            errors,
            lambda: service.create_personal_token(session, user=user, name=name, expires_in_days=days),
        )
    if issued is None:
        return _account_page(request, session, user, form=form, **errors.context(), status_code=422)
    return _account_page(request, session, user, new_token=issued, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke_token(token_id: int, session: SessionDep, user: CurrentUser) -> Response:
    service.revoke_token(session, user=user, token_id=token_id)
    return see_other("/account?done=revoked")


@router.post("/account/password", response_class=HTMLResponse)
def account_change_password(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    current_password: Annotated[str, Form(max_length=500)] = "",
    new_password: Annotated[str, Form(max_length=500)] = "",
    confirm_password: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    errors = FormErrors(("current_password", "new_password", "confirm_password"))
    if new_password != confirm_password:
        errors.add("confirm_password", "The two new passwords are not the same")
    else:
        attempt(
            session,
            errors,
            lambda: service.change_password(
                session, user=user, current_password=current_password, new_password=new_password
            ),
        )
    if errors:
        return _account_page(request, session, user, **errors.context(), status_code=422)
    return see_other("/account?done=password")


# User administration


def _users_page(
    request: Request,
    session: SessionDep,
    admin: AdminUser,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    flash: str | None = None,
) -> Response:
    ctx = {
        "page_title": "Users",
        "users": service.list_users(session),
        "form": form or {},
        "flash": flash,
        "min_password": MIN_PASSWORD_LENGTH,
    }
    return page(request, "accounts/users.html", ctx, errors=errors)


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
    errors = FormErrors(("email", "display_name", "password"))
    attempt(
        session,
        errors,
        lambda: service.create_user(
            session,
            email=email,
            display_name=display_name,
            password=password,
            is_admin=is_admin == "yes",
            acting_user_id=admin.id,
        ),
    )
    if errors:
        form = {"email": email, "display_name": display_name, "is_admin": is_admin == "yes"}
        return _users_page(request, session, admin, form=form, errors=errors)
    return see_other("/admin/users?done=created")


def _user_edit_page(
    request: Request,
    session: SessionDep,
    user_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    person = service.get_user(session, user_id)
    ctx = {
        "page_title": f"Change {person.display_name}",
        "person": person,
        "form": form
        or {"display_name": person.display_name, "is_admin": person.is_admin, "is_active": person.is_active},
        "min_password": MIN_PASSWORD_LENGTH,
    }
    return page(request, "accounts/user_edit.html", ctx, errors=errors)


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
    errors = FormErrors(("display_name", "is_admin", "is_active", "password"))
    attempt(
        session,
        errors,
        lambda: service.update_user(
            session,
            acting_user=admin,
            user_id=user_id,
            display_name=display_name,
            is_admin=is_admin == "yes",
            is_active=is_active == "yes",
            password=password or None,
        ),
    )
    if errors:
        form = {"display_name": display_name, "is_admin": is_admin == "yes", "is_active": is_active == "yes"}
        return _user_edit_page(request, session, user_id, form=form, errors=errors)
    return see_other("/admin/users?done=updated")


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
def admin_set_active(
    request: Request,
    user_id: int,
    session: SessionDep,
    admin: AdminUser,
    active: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The quick deactivate / reactivate button in the users list."""
    errors = FormErrors()
    attempt(
        session,
        errors,
        lambda: service.update_user(session, acting_user=admin, user_id=user_id, is_active=active == "yes"),
    )
    if errors:
        return _users_page(request, session, admin, errors=errors)
    return see_other("/admin/users?done=" + ("reactivated" if active == "yes" else "deactivated"))
