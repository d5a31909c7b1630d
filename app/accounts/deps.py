"""Who is asking: bearer tokens for the API, a session cookie for the web pages."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts import service
from app.accounts.models import AuthToken, User
from app.core import audit
from app.core.config import get_settings
from app.core.db import session_scope
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
    _remember(request, *found)  # so even the refusal page shows who is signed in
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
    _remember(request, *found)
    return found[0]


def _remember(request: Request, user: User, token: AuthToken) -> None:
    # Pages, error pages included, read who is signed in from request.state. An error rolls the
    # request's unit of work back, which expires every ORM row in it, so keep plain copies there.
    request.state.user = SimpleNamespace(**audit.snapshot(user))
    request.state.auth_token = SimpleNamespace(id=token.id, kind=token.kind, csrf_secret=token.csrf_secret)


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated("sign in first: send a bearer token or a session cookie")
    return user


def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("only administrators can do this")
    return user


def current_token(
    request: Request, session: SessionDep, user: Annotated[User, Depends(current_user)]
) -> AuthToken:
    """The credential this request was made with (bearer token or web session)."""
    return session.get_one(AuthToken, request.state.auth_token.id)  # noted by optional_user


CurrentUser = Annotated[User, Depends(current_user)]
CurrentToken = Annotated[AuthToken, Depends(current_token)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
AdminUser = Annotated[User, Depends(admin_user)]


# Sign-in, shared by the API token endpoint and the web form.


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def _count_failures(email: str) -> int:
    # Counted in a read-only unit of its own: the request's session would take SQLite's write
    # lock at its first statement and keep it for the whole wait below.
    with session_scope(read_only=True) as session:
        return service.recent_failures(session, email)


async def slow_down_after_failures(email: str) -> float:
    """Wait before answering when this email has failed to sign in several times lately.

    Sleeps on the event loop (never time.sleep), so other requests carry on meanwhile.
    Returns the delay applied, in seconds.
    """
    delay = service.failure_delay(await run_in_threadpool(_count_failures, email))
    if delay > 0:
        await asyncio.sleep(delay)
    return delay


def _authenticate_and_issue(
    session: Session, email: str, password: str, client: str, kind: str, lifetime: timedelta
) -> service.IssuedToken | None:
    user = service.authenticate(session, email=email, password=password, client=client)
    if user is None:
        return None
    return service.issue_token(session, user=user, kind=kind, lifetime=lifetime)


async def sign_in(
    request: Request, session: Session, *, email: str, password: str, kind: str, lifetime: timedelta
) -> service.IssuedToken | None:
    """Check the email and password (after any slow-down) and issue a token of `kind`, or None.

    On failure the caller must answer without raising, so the request's unit of work commits the
    recorded failure that feeds the slow-down.
    """
    await slow_down_after_failures(email)
    # Password hashing is deliberately slow CPU work: keep it off the event loop.
    return await run_in_threadpool(
        _authenticate_and_issue, session, email, password, client_address(request), kind, lifetime
    )


def session_lifetime() -> timedelta:
    return timedelta(minutes=get_settings().session_minutes)


def access_token_lifetime() -> timedelta:
    return timedelta(minutes=get_settings().access_token_minutes)


def safe_next(target: str | None, default: str = "/") -> str:
    """Where to go after signing in: a path on this site only, never another site.

    Refuses absolute URLs, scheme-relative `//host` and `/\\host` forms (browsers treat a
    backslash as a slash), control characters, and the sign-in and sign-out pages themselves.
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if target.startswith("//") or "\\" in target or any(ord(ch) < 33 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in ("/sign-in", "/sign-out"):
        return default
    return target


def cookie_secure(request: Request) -> bool:
    """Cookies carry the Secure flag over https, or always when settings say the app is behind TLS."""
    return request.url.scheme == "https" or get_settings().force_https_cookies
