"""Who is asking: bearer tokens for the API, a session cookie for the web pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.accounts import service
from app.accounts.access import ReviewScope, authorize
from app.accounts.models import AuthToken, User
from app.accounts.permissions import Action
from app.core.deps import SessionDep
from app.core.errors import DomainError, Forbidden
from app.core.security import same

SESSION_COOKIE = "sysreview_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class NotAuthenticated(DomainError):
    status_code = 401


async def presented_csrf(request: Request) -> str:
    """The CSRF value sent with a write: a header (scripts) or a hidden form field (forms)."""
    if request.method in _SAFE_METHODS:
        return ""
    if header := request.headers.get(CSRF_HEADER):
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # Starlette caches the parsed form on the request, so the endpoint can still read it.
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def _from_cookie(request: Request, session: SessionDep, presented: str) -> tuple[User, AuthToken] | None:
    found = service.resolve_token(session, request.cookies.get(SESSION_COOKIE, ""), ("session",))
    if found is None:
        return None
    # A cookie rides along with any request the browser makes, so writes need the CSRF secret.
    if request.method not in _SAFE_METHODS and not (presented and same(presented, found[1].csrf_secret)):
        raise Forbidden("the form has expired or did not come from this site: reload the page and try again")
    return found


def optional_user(
    request: Request,
    session: SessionDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    csrf: Annotated[str, Depends(presented_csrf)],
) -> User | None:
    """The signed-in user, or None. Bearer tokens first; else the web session cookie."""
    if bearer:
        found = service.resolve_token(session, bearer, ("access", "personal"))
        if found is None:
            raise NotAuthenticated("the token is invalid, expired or revoked")
    else:
        found = _from_cookie(request, session, csrf)
    if found is None:
        return None
    request.state.user = found[0]
    request.state.auth_token = found[1]
    return found[0]


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated("sign in first: send a bearer token or a session cookie")
    return user


def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("only administrators can do this")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
AdminUser = Annotated[User, Depends(admin_user)]


def review_scope(action: Action):  # type: ignore[no-untyped-def]
    """Dependency factory: the caller's scope in the review named by the `review_id` path
    parameter, checked for `action` by the one permission check."""

    def dependency(review_id: int, user: CurrentUser, session: SessionDep) -> ReviewScope:
        return authorize(session, user, review_id, action)

    # The route-permission test reads this to know what each route requires.
    dependency.required_action = action  # type: ignore[attr-defined]
    return Depends(dependency)
