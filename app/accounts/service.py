"""Accounts, credentials and sign-in (no HTTP here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, delete, func, select

from app.accounts.models import AuthToken, SignInAttempt, User
from app.core import audit
from app.core.config import get_settings
from app.core.errors import Conflict, Invalid, NotFound
from app.core.models_base import aware
from app.core.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from app.core.timeutil import utcnow

TOKEN_KINDS = ("access", "personal", "session")
FAILURE_WINDOW = timedelta(minutes=15)


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 320:
        raise Invalid("enter an email address such as name@example.org", field="email")
    return email


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    is_admin: bool = False,
    acting_user_id: int | None = None,
) -> User:
    email = normalise_email(email)
    if not display_name.strip():
        raise Invalid("enter the person's name", field="display_name")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"must be at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"an account for {email} already exists", field="email")
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        is_admin=is_admin,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        user_id=acting_user_id,
        entity="user",
        entity_id=user.id,
        action="create",
        after=audit.snapshot(user),
    )
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def recent_failures(session: Session, email: str) -> int:
    since = utcnow() - FAILURE_WINDOW
    return session.exec(
        select(func.count())
        .select_from(SignInAttempt)
        .where(SignInAttempt.email == email.strip().lower(), SignInAttempt.at >= since)
    ).one()


def failure_delay(failures: int) -> float:
    """Seconds to wait before answering a sign-in: grows with recent failures, capped."""
    allowed = get_settings().login_delay_after_failures
    if failures < allowed:
        return 0.0
    return float(min(2 ** (failures - allowed), 30))


def authenticate(session: Session, *, email: str, password: str, client: str = "") -> User | None:
    """The active user with this email and password, or None (and the failure is counted)."""
    user = user_by_email(session, email)
    if user is not None and user.is_active and verify_password(password, user.password_hash):
        session.exec(delete(SignInAttempt).where(SignInAttempt.email == user.email))
        return user
    if user is None:
        verify_password(password, None)  # same work either way
    session.add(SignInAttempt(email=email.strip().lower()[:320], client=client[:64]))
    return None


@dataclass
class IssuedToken:
    token: str
    record: AuthToken


def issue_token(
    session: Session, *, user: User, kind: str, name: str = "", lifetime: timedelta | None = None
) -> IssuedToken:
    """Store a new credential; the secret is returned once and only its hash is kept."""
    if kind not in TOKEN_KINDS:
        raise Invalid(f"unknown token kind '{kind}'", field="kind")
    secret = new_token()
    record = AuthToken(
        user_id=user.id,
        kind=kind,
        name=name,
        token_hash=token_digest(secret),
        csrf_secret=new_token() if kind == "session" else "",
        expires_at=utcnow() + lifetime if lifetime else None,
    )
    session.add(record)
    session.flush()
    return IssuedToken(secret, record)


def resolve_token(session: Session, secret: str, kinds: tuple[str, ...]) -> tuple[User, AuthToken] | None:
    """The user and token for a presented secret, if it is live (not revoked, not expired)."""
    if not secret:
        return None
    record = session.exec(select(AuthToken).where(AuthToken.token_hash == token_digest(secret))).first()
    if record is None or record.kind not in kinds or record.revoked_at is not None:
        return None
    expires = aware(record.expires_at)
    if expires is not None and expires <= utcnow():
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        return None
    return user, record


def revoke_token(session: Session, *, user: User, token_id: int) -> AuthToken:
    record = session.get(AuthToken, token_id)
    if record is None or record.user_id != user.id:
        raise NotFound("token not found")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        audit.record(
            session,
            user_id=user.id,
            entity="auth_token",
            entity_id=record.id,
            action="revoke",
            before={"revoked_at": None},
            after={"revoked_at": record.revoked_at},
        )
    return record


def list_tokens(session: Session, *, user: User, kind: str = "personal") -> list[AuthToken]:
    return list(
        session.exec(
            select(AuthToken)
            .where(AuthToken.user_id == user.id, AuthToken.kind == kind)
            .order_by(col(AuthToken.created_at).desc())
        )
    )
