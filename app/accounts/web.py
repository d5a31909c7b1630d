"""Web pages: sign-in and sign-out, the account page and user administration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import service, two_factor
from app.accounts.deps import (
    SESSION_COOKIE,
    AdminUser,
    CurrentUser,
    OptionalUser,
    cookie_secure,
    remember,
    safe_next,
    second_step,
    session_lifetime,
    sign_in,
)
from app.accounts.lockout import Locked
from app.accounts.models import TwoFactor, User
from app.accounts.service import SignInOutcome
from app.core.config import get_settings
from app.core.deps import RowId, SessionDep
from app.core.security import MIN_PASSWORD_LENGTH
from app.web.kit import FormErrors, attempt, page, see_other

router = APIRouter(include_in_schema=False)

T = TypeVar("T")

# Holds the nonce the sign-in form's hidden token is bound to (there is no session yet).
SIGN_IN_COOKIE = "sysreview_sign_in"

# Messages shown after a redirect, chosen by a fixed key so a link cannot put words on the page.
ACCOUNT_NOTICES = {
    "revoked": "The token has been revoked. Scripts using it will stop working.",
    "password": "Your password has been changed.",
    "two-factor-off": "Two-factor sign-in is off. You sign in with your password alone.",
}
ADMIN_NOTICES = {
    "created": "The account has been created. Tell the person their email address and password.",
    "updated": "The account has been updated.",
    "deactivated": "The account has been deactivated and its sessions and tokens revoked.",
    "reactivated": "The account has been reactivated.",
    "rules": "The sign-in rules have been saved.",
    "two-factor-reset": (
        "Their two-factor sign-in has been removed. They set it up again if their role requires it."
    ),
}
SIGN_IN_NOTICES = {"signed-out": "You have signed out."}


def _no_store(response: Response) -> Response:
    # Pages that show a secret, or a form bound to one, must not be kept in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


# Sign-in and sign-out

SIGN_IN_FORM = "accounts/sign_in.html"
CODE_FORM = "accounts/sign_in_code.html"
SETUP_FORM = "accounts/two_factor_setup.html"
WRONG_CREDENTIALS = "The email address or password is not right, or the account is not active"
STALE_FORM = "This sign-in form has expired or did not come from this site. Enter your details again."


def _locked_message(locked: Locked) -> str:
    where = "this account" if locked.scope == "account" else "your network"
    return f"There have been too many failed sign-ins for {where}. Try again in {locked.wait_text()}."


def _sign_in_page(
    request: Request,
    *,
    next_path: str,
    template: str = SIGN_IN_FORM,
    context: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    flash: str | None = None,
    status_code: int | None = None,
) -> Response:
    """A sign-in step with a fresh signed token bound to this browser's nonce cookie, and the
    person's second-step token when they have passed their password."""
    nonce = request.cookies.get(SIGN_IN_COOKIE, "")
    if not (20 <= len(nonce) <= 64):
        nonce = service.new_sign_in_nonce()
    ctx = dict(context or {})
    user = ctx.pop("step_user", None)
    ctx.update(
        {
            "page_title": ctx.get("page_title", "Sign in"),
            "sign_in_token": service.sign_in_form_token(nonce),
            "step_token": service.second_step_token(nonce, user) if user is not None else "",
            "next_path": next_path,
            "flash": flash,
        }
    )
    response = page(request, template, ctx, errors=errors, status_code=status_code)
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


def _signed_in(request: Request, issued: service.IssuedToken, response: Response) -> Response:
    """Set the web session cookie on `response` and forget the sign-in nonce."""
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


def _setup_context(session: SessionDep, user: User, two_factor_row: TwoFactor) -> dict[str, Any]:
    uri = two_factor.provisioning_uri(two_factor_row, user)
    secret = two_factor_row.secret
    return {
        "page_title": "Set up two-factor sign-in",
        "required": two_factor.is_required(session, user),
        "setup": {
            "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "uri": uri,
            "qr": two_factor.qr_code_data_uri(uri),
        },
    }


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
    """Check the form came from our own page, then the email and password. Then start a web
    session, or ask for the code from the person's app, or have them set one up first."""
    next_path = safe_next(next)
    email = email.strip()
    form = {"email": email}
    errors = FormErrors(fields=("email", "password"))
    if not service.sign_in_form_token_valid(request.cookies.get(SIGN_IN_COOKIE, ""), csrf_token):
        errors.add(None, STALE_FORM)
        return _sign_in_page(request, next_path=next_path, context=form, errors=errors, status_code=403)
    if not email:
        errors.add("email", "Enter your email address")
    if not password:
        errors.add("password", "Enter your password")
    if errors:
        return _sign_in_page(request, next_path=next_path, context=form, errors=errors)
    result = await sign_in(
        request, session, email=email, password=password, kind="session", lifetime=session_lifetime()
    )
    if result.locked is not None:
        errors.add(None, _locked_message(result.locked))
        return _sign_in_page(request, next_path=next_path, context=form, errors=errors, status_code=429)
    if result.outcome == SignInOutcome.code_needed:
        context = {"page_title": "Enter your code", "step_user": result.user}
        return _sign_in_page(request, next_path=next_path, template=CODE_FORM, context=context)
    if result.outcome == SignInOutcome.enrol_needed and result.user is not None:
        started = two_factor.start_enrolment(session, user=result.user)
        context = {**_setup_context(session, result.user, started), "step_user": result.user}
        context["action"] = "/sign-in/two-factor"
        return _sign_in_page(request, next_path=next_path, template=SETUP_FORM, context=context)
    if result.issued is None:
        errors.add("email", WRONG_CREDENTIALS)
        return _sign_in_page(request, next_path=next_path, context=form, errors=errors, status_code=401)
    return _signed_in(request, result.issued, see_other(next_path))


def _second_step_user(request: Request, session: SessionDep, csrf_token: str, step: str) -> User | None:
    """The person who passed their password in this browser a few minutes ago, if the form is ours."""
    nonce = request.cookies.get(SIGN_IN_COOKIE, "")
    if not service.sign_in_form_token_valid(nonce, csrf_token):
        return None
    return service.second_step_user(session, nonce, step)


def _start_again(request: Request, next_path: str) -> Response:
    errors = FormErrors()
    errors.add(None, "Your sign-in took too long or did not come from this site. Sign in again.")
    return _sign_in_page(request, next_path=next_path, errors=errors, status_code=403)


@router.post("/sign-in/code", response_class=HTMLResponse)
async def sign_in_code(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Form(max_length=40)] = "",
    step: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The second step: the code from the person's app, or one of their recovery codes."""
    next_path = safe_next(next)
    user = _second_step_user(request, session, csrf_token, step)
    if user is None:
        return _start_again(request, next_path)
    errors = FormErrors(fields=("code",))
    context = {"page_title": "Enter your code", "step_user": user}
    if not code.strip():
        errors.add("code", "Enter the code from your authenticator app")
        return _sign_in_page(request, next_path=next_path, template=CODE_FORM, context=context, errors=errors)
    result = await second_step(
        request, session, user=user, code=code, kind="session", lifetime=session_lifetime()
    )
    if result.locked is not None:
        errors.add(None, _locked_message(result.locked))
        return _sign_in_page(request, next_path=next_path, errors=errors, status_code=429)
    if result.issued is None:
        errors.add("code", "The code is not right. Enter the code your app shows now, or a recovery code")
        return _sign_in_page(
            request, next_path=next_path, template=CODE_FORM, context=context, errors=errors, status_code=401
        )
    return _signed_in(request, result.issued, see_other(next_path))


@router.post("/sign-in/two-factor", response_class=HTMLResponse)
def sign_in_set_up_two_factor(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Form(max_length=40)] = "",
    step: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """A person whose role requires two-factor sign-in confirms their new app, then is signed in
    and shown their recovery codes once."""
    next_path = safe_next(next)
    user = _second_step_user(request, session, csrf_token, step)
    pending = two_factor.pending_enrolment(session, user) if user is not None else None
    if user is None or pending is None:
        return _start_again(request, next_path)
    errors = FormErrors(fields=("code",))
    done = attempt(
        session,
        errors,
        lambda: service.complete_enrolment_sign_in(
            session, user=user, code=code, kind="session", lifetime=session_lifetime()
        ),
    )
    if done is None:
        context = {
            **_setup_context(session, user, pending),
            "step_user": user,
            "action": "/sign-in/two-factor",
        }
        return _sign_in_page(
            request, next_path=next_path, template=SETUP_FORM, context=context, errors=errors
        )
    issued, codes = done
    remember(request, user, issued.record)  # the codes page shows who is now signed in
    return _signed_in(request, issued, _recovery_codes_page(request, codes, next_path=next_path))


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


# The account page: two-factor sign-in, personal access tokens and password

ACCOUNT_FIELDS = (
    "name",
    "expires_in_days",
    "current_password",
    "new_password",
    "confirm_password",
    "recovery_code",
    "off_code",
)


def _account_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    *,
    new_token: service.IssuedToken | None = None,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    flash: str | None = None,
    status_code: int | None = None,
) -> Response:
    tokens = service.list_tokens(session, user=user)
    ctx = {
        "page_title": "Your account",
        "tokens": [(token, service.token_is_live(token)) for token in tokens],
        "new_token": new_token,
        "form": form or {},
        "flash": flash,
        "min_password": MIN_PASSWORD_LENGTH,
        "max_days": service.MAX_PERSONAL_TOKEN_DAYS,
        "two_factor": {
            "enrolled": two_factor.is_enrolled(session, user),
            "required": two_factor.is_required(session, user),
            "recovery_left": two_factor.unused_recovery_codes(session, user),
        },
    }
    return _no_store(page(request, "accounts/account.html", ctx, errors=errors, status_code=status_code))


def _recovery_codes_page(request: Request, codes: list[str], *, next_path: str = "/account") -> Response:
    """New recovery codes, shown this once."""
    return _no_store(page(request, "accounts/recovery_codes.html", {"codes": codes, "next_path": next_path}))


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
    errors = FormErrors(fields=ACCOUNT_FIELDS)
    days: int | None = None
    if expires_in_days.strip():
        if not expires_in_days.strip().isdigit():
            errors.add(
                "expires_in_days", "Enter the number of days as a whole number, such as 30, or leave it empty"
            )
            return _account_page(request, session, user, form=form, errors=errors)
        days = int(expires_in_days)
    issued = attempt(
        session,
        errors,
        lambda: service.create_personal_token(session, user=user, name=name, expires_in_days=days),
    )
    if issued is None:
        return _account_page(request, session, user, form=form, errors=errors)
    return _account_page(request, session, user, new_token=issued, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke_token(token_id: RowId, session: SessionDep, user: CurrentUser) -> Response:
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
    errors = FormErrors(fields=ACCOUNT_FIELDS)
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
        return _account_page(request, session, user, errors=errors)
    return see_other("/account?done=password")


@router.post("/account/two-factor", response_class=HTMLResponse)
def account_start_two_factor(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Show a new secret to add to an authenticator app; it is on once confirmed with a code."""
    errors = FormErrors(fields=ACCOUNT_FIELDS)
    started = attempt(session, errors, lambda: two_factor.start_enrolment(session, user=user))
    if started is None:
        return _account_page(request, session, user, errors=errors)
    return _no_store(
        page(
            request,
            SETUP_FORM,
            {**_setup_context(session, user, started), "action": "/account/two-factor/confirm"},
        )
    )


@router.post("/account/two-factor/confirm", response_class=HTMLResponse)
def account_confirm_two_factor(
    request: Request, session: SessionDep, user: CurrentUser, code: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    pending = two_factor.pending_enrolment(session, user)
    if pending is None:
        return see_other("/account#two-factor")
    errors = FormErrors(fields=("code",))
    codes = attempt(session, errors, lambda: two_factor.confirm_enrolment(session, user=user, code=code))
    if codes is None:
        context = {**_setup_context(session, user, pending), "action": "/account/two-factor/confirm"}
        return _no_store(page(request, SETUP_FORM, context, errors=errors))
    return _recovery_codes_page(request, codes)


def _with_code(
    request: Request, session: SessionDep, user: User, field_id: str, call: Callable[[], T]
) -> T | Response:
    """Run an account action confirmed by a code typed into the field `field_id`; on refusal,
    the account page again with the message beside that field."""
    errors = FormErrors(fields=(*ACCOUNT_FIELDS, "code"), ids={"code": field_id})
    result = attempt(session, errors, call)
    if result is None:  # refused: attempt noted why
        return _account_page(request, session, user, errors=errors)
    return result


@router.post("/account/two-factor/recovery-codes", response_class=HTMLResponse)
def account_new_recovery_codes(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    recovery_code: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    codes = _with_code(
        request,
        session,
        user,
        "recovery_code",
        lambda: two_factor.new_recovery_codes(session, user=user, code=recovery_code),
    )
    return codes if isinstance(codes, Response) else _recovery_codes_page(request, codes)


@router.post("/account/two-factor/off", response_class=HTMLResponse)
def account_turn_off_two_factor(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    off_code: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    def turn_off() -> bool:
        two_factor.turn_off(session, user=user, code=off_code)
        return True

    done = _with_code(request, session, user, "off_code", turn_off)
    return done if isinstance(done, Response) else see_other("/account?done=two-factor-off")


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
        "two_factor_for_leads": two_factor.get_policy(session).two_factor_for_leads,
        "admins_need_two_factor": get_settings().two_factor_for_admins,
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
    errors = FormErrors(fields=("email", "display_name", "password"))
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


@router.post("/admin/sign-in-rules", response_class=HTMLResponse)
def admin_sign_in_rules(
    session: SessionDep, admin: AdminUser, two_factor_for_leads: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    """Require (or stop requiring) two-factor sign-in for review leads."""
    two_factor.set_two_factor_for_leads(session, acting_user=admin, required=two_factor_for_leads == "yes")
    return see_other("/admin/users?done=rules")


def _user_edit_page(
    request: Request,
    session: SessionDep,
    user_id: RowId,
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
        "has_two_factor": two_factor.two_factor_of(session, person) is not None,
    }
    return page(request, "accounts/user_edit.html", ctx, errors=errors)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def admin_user(request: Request, user_id: RowId, session: SessionDep, admin: AdminUser) -> Response:
    return _user_edit_page(request, session, user_id)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def admin_update_user(
    request: Request,
    user_id: RowId,
    session: SessionDep,
    admin: AdminUser,
    display_name: Annotated[str, Form(max_length=500)] = "",
    is_admin: Annotated[str, Form(max_length=10)] = "",
    is_active: Annotated[str, Form(max_length=10)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Save the whole edit form: unticked boxes mean no, an empty password means keep it."""
    errors = FormErrors(fields=("display_name", "is_admin", "is_active", "password"))
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


@router.post("/admin/users/{user_id}/two-factor/reset", response_class=HTMLResponse)
def admin_reset_two_factor(user_id: RowId, session: SessionDep, admin: AdminUser) -> Response:
    """Remove a person's authenticator app (a lost phone with no recovery codes left)."""
    two_factor.reset(session, acting_user=admin, user=service.get_user(session, user_id))
    return see_other("/admin/users?done=two-factor-reset")


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
def admin_set_active(
    request: Request,
    user_id: RowId,
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
