"""JSON API for sign-in, tokens and user administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from app.accounts import service
from app.accounts.deps import (
    AdminUser,
    CurrentToken,
    CurrentUser,
    access_token_lifetime,
    sign_in,
)
from app.accounts.models import AuthToken, stored_id
from app.accounts.schemas import (
    PersonalTokenCreate,
    PersonalTokenCreated,
    PersonalTokenPublic,
    TokenResponse,
    UserCreate,
    UserPublic,
    UserUpdate,
    user_public,
)
from app.accounts.service import SignInOutcome
from app.core.deps import RowId, SessionDep
from app.core.models_base import aware

router = APIRouter(prefix="/api/v1")

WRONG_CREDENTIALS = "the email address or password is not right, or the account is not active"


CODE_NEEDED = (
    "this account uses two-factor sign-in: send the 6-digit code from the authenticator app, "
    "or a recovery code, in the `totp` form field"
)
ENROL_FIRST = (
    "this account must use two-factor sign-in: sign in on the web once to set it up, "
    "or use a personal access token"
)


def _refusal(detail: str, status_code: int, headers: dict[str, str] | None = None) -> JSONResponse:
    # Answered rather than raised, so the failed attempt is committed and counts next time.
    return JSONResponse({"detail": detail, "errors": []}, status_code=status_code, headers=headers)


@router.post("/auth/token", tags=["auth"], summary="Sign in: exchange email and password for a bearer token")
async def create_access_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    totp: Annotated[
        str,
        Form(
            max_length=40,
            description="For accounts with two-factor sign-in: the code from the authenticator app, "
            "or a recovery code",
        ),
    ] = "",
) -> Response:
    """OAuth2 password flow: `username` is the email address, and `totp` the code for accounts
    with two-factor sign-in. The token expires after the configured number of minutes and can be
    revoked early with POST /api/v1/auth/revoke. Scripts can use a personal access token instead.
    Repeated failures lock the account, and the client address, out for a while (429)."""
    lifetime = access_token_lifetime()
    result = await sign_in(
        request,
        session,
        email=form.username,
        password=form.password,
        code=totp,
        kind="access",
        lifetime=lifetime,
    )
    if result.locked is not None:
        wait = result.locked.seconds_left()
        return _refusal(
            f"too many failed sign-ins: try again in {result.locked.wait_text()}",
            status.HTTP_429_TOO_MANY_REQUESTS,
            {"Retry-After": str(wait)},
        )
    if result.outcome in (SignInOutcome.code_needed, SignInOutcome.wrong_code):
        return _refusal(CODE_NEEDED, status.HTTP_401_UNAUTHORIZED, {"WWW-Authenticate": "Bearer"})
    if result.outcome == SignInOutcome.enrol_needed:
        return _refusal(ENROL_FIRST, status.HTTP_403_FORBIDDEN)
    if result.issued is None:
        return _refusal(WRONG_CREDENTIALS, status.HTTP_401_UNAUTHORIZED, {"WWW-Authenticate": "Bearer"})
    expires_at = aware(result.issued.record.expires_at)
    assert expires_at is not None, "access tokens always expire"
    body = TokenResponse(
        access_token=result.issued.token, expires_in=int(lifetime.total_seconds()), expires_at=expires_at
    )
    return JSONResponse(body.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


def _revoke_current(session: SessionDep, user: CurrentUser, token: CurrentToken) -> Response:
    service.revoke_token(session, user=user, token_id=stored_id(token))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# One handler, two addresses: revoking "this" token, and signing out by deleting it.
for path, method, summary in (
    ("/auth/revoke", "POST", "Revoke the token (or web session) this request was made with"),
    ("/auth/token", "DELETE", "Sign out: revoke the token this request was made with"),
):
    router.add_api_route(
        path,
        _revoke_current,
        methods=[method],
        status_code=204,
        tags=["auth"],
        summary=summary,
        response_class=Response,
    )


@router.post(
    "/auth/tokens",
    tags=["auth"],
    status_code=status.HTTP_201_CREATED,
    summary="Create a personal access token for scripts (the secret is returned once)",
)
def create_personal_token(
    body: PersonalTokenCreate, session: SessionDep, user: CurrentUser
) -> PersonalTokenCreated:
    issued = service.create_personal_token(
        session, user=user, name=body.name, expires_in_days=body.expires_in_days
    )
    return PersonalTokenCreated(**_token_public(issued.record).model_dump(), token=issued.token)


@router.get("/auth/tokens", tags=["auth"], summary="Your personal access tokens (never their secrets)")
def list_personal_tokens(session: SessionDep, user: CurrentUser) -> list[PersonalTokenPublic]:
    return [_token_public(record) for record in service.list_tokens(session, user=user)]


@router.delete(
    "/auth/tokens/{token_id}",
    tags=["auth"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke one of your personal access tokens",
)
def revoke_personal_token(token_id: RowId, session: SessionDep, user: CurrentUser) -> Response:
    service.revoke_token(session, user=user, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _token_public(record: AuthToken) -> PersonalTokenPublic:
    token = PersonalTokenPublic.model_validate(record)
    # SQLite hands datetimes back without their zone; they were stored as UTC.
    return token.model_copy(
        update={
            "created_at": aware(token.created_at),
            "expires_at": aware(token.expires_at),
            "revoked_at": aware(token.revoked_at),
        }
    )


@router.get("/users", tags=["users"], summary="Every user account (administrators only)")
def list_users(session: SessionDep, _admin: AdminUser) -> list[UserPublic]:
    return [user_public(user) for user in service.list_users(session)]


@router.post(
    "/users",
    tags=["users"],
    status_code=status.HTTP_201_CREATED,
    summary="Create a user account (administrators only)",
)
def create_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> UserPublic:
    user = service.create_user(
        session,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        is_admin=body.is_admin,
        acting_user_id=admin.id,
    )
    return user_public(user)


@router.get("/users/{user_id}", tags=["users"], summary="One user account (administrators only)")
def get_user(user_id: RowId, session: SessionDep, _admin: AdminUser) -> UserPublic:
    return user_public(service.get_user(session, user_id))


@router.patch(
    "/users/{user_id}",
    tags=["users"],
    summary="Change a user: name, active, administrator, or reset the password (administrators only)",
)
def update_user(user_id: RowId, body: UserUpdate, session: SessionDep, admin: AdminUser) -> UserPublic:
    user = service.update_user(session, acting_user=admin, user_id=user_id, **body.model_dump())
    return user_public(user)
