"""Who is asking: bearer tokens for the API, a session cookie for the web pages."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from functools import lru_cache, partial
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from types import SimpleNamespace
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts import lockout, service
from app.accounts.lockout import Locked
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

log = logging.getLogger("sysreview")

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
    remember(request, *found)  # so even the refusal page shows who is signed in
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
    remember(request, *found)
    return found[0]


def remember(request: Request, user: User, token: AuthToken) -> None:
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


@lru_cache(maxsize=8)
def _trusted_networks(setting: str) -> tuple[IPv4Network | IPv6Network, ...]:
    networks = []
    for item in setting.split(","):
        if item.strip():
            try:
                networks.append(ip_network(item.strip(), strict=False))
            except ValueError:
                log.warning("TRUSTED_PROXIES: %r is not an address or network; ignored", item.strip())
    return tuple(networks)


def _is_trusted(address: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(request: Request) -> str:
    """The address sign-in failures are counted against.

    The direct peer, unless it is a proxy named in TRUSTED_PROXIES: then the last address in
    X-Forwarded-For that is not itself a trusted proxy (addresses further left were written by
    the client and could be anything).
    """
    peer = request.client.host if request.client else ""
    networks = _trusted_networks(get_settings().trusted_proxies)
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _is_trusted(hop, networks):
            return hop[:64] if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _failures_and_lockout(email: str, client: str) -> tuple[int, Locked | None]:
    # Read in a read-only unit of its own: the request's session would take SQLite's write
    # lock at its first statement and keep it for the whole wait below.
    with session_scope(read_only=True) as session:
        return (
            service.recent_failures(session, email),
            lockout.current_lockout(session, email=email, client=client),
        )


async def slow_down_after_failures(email: str, client: str = "") -> Locked | None:
    """Refuse at once while the account or the client address is locked out (returns the
    lockout); otherwise wait before answering when this email has failed to sign in several
    times lately.

    Sleeps on the event loop (never time.sleep), so other requests carry on meanwhile.
    """
    failures, locked = await run_in_threadpool(_failures_and_lockout, email, client)
    if locked is not None:
        return locked
    delay = service.failure_delay(failures)
    if delay > 0:
        await asyncio.sleep(delay)
    return None


async def sign_in(
    request: Request,
    session: Session,
    *,
    email: str,
    password: str,
    code: str = "",
    kind: str,
    lifetime: timedelta,
) -> service.SignIn:
    """Check the email, password and any code (after any lockout or slow-down) and issue a token
    of `kind` (`service.sign_in`).

    Whatever the outcome, the caller answers without raising, so the request's unit of work
    commits the recorded failure that feeds the slow-down and the lockouts.
    """
    client = client_address(request)
    locked = await slow_down_after_failures(email, client)
    if locked is not None:
        return service.SignIn(service.SignInOutcome.locked, locked=locked)
    # Password hashing is deliberately slow CPU work: keep it off the event loop.
    return await run_in_threadpool(
        partial(
            service.sign_in,
            session,
            email=email,
            password=password,
            code=code,
            client=client,
            kind=kind,
            lifetime=lifetime,
        )
    )


async def second_step(
    request: Request, session: Session, *, user: User, code: str, kind: str, lifetime: timedelta
) -> service.SignIn:
    """The code after the password (the web form's second step), under the same lockouts."""
    client = client_address(request)
    locked = await slow_down_after_failures(user.email, client)
    if locked is not None:
        return service.SignIn(service.SignInOutcome.locked, locked=locked)
    return await run_in_threadpool(
        partial(
            service.second_step, session, user=user, code=code, client=client, kind=kind, lifetime=lifetime
        )
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
