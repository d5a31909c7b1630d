"""Accounts, credentials and sign-in (no HTTP here)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlmodel import Session, col, func, select

from app.accounts import lockout, two_factor
from app.accounts.models import AuthToken, SignInAttempt, User, stored_id
from app.accounts.passwords import check_password
from app.core import audit
from app.core.config import get_settings
from app.core.errors import Conflict, Invalid, NotFound
from app.core.models_base import aware
from app.core.security import (
    hash_password,
    new_token,
    same,
    token_digest,
    verify_password,
)
from app.core.timeutil import utcnow

TOKEN_KINDS = ("access", "personal", "session")
MAX_TOKEN_NAME = 200
MAX_PERSONAL_TOKEN_DAYS = 366
# A sign-in form left open longer than this is refused and shown again with a fresh token.
SIGN_IN_FORM_SECONDS = 12 * 60 * 60

# Called with (session, user) when a person's name changes. Packages that print names (a review's
# report names its team) register here, so accounts needs to know none of them.
on_renamed: list[Callable[[Session, User], None]] = []


def normalise_email(email: str) -> str:
    """The stored form of an email address; refuses text that cannot be one."""
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 320 or " " in email:
        raise Invalid("enter an email address such as name@example.org", field="email")
    return email


def _check_display_name(display_name: str) -> str:
    name = display_name.strip()
    if not name:
        raise Invalid("enter the person's name", field="display_name")
    if len(name) > 200:
        raise Invalid("must be 200 characters or fewer", field="display_name")
    return name


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    is_admin: bool = False,
    acting_user_id: int | None = None,
) -> User:
    """A new active account; the password is stored only as an argon2 hash."""
    email = normalise_email(email)
    name = _check_display_name(display_name)
    check_password(password, personal=(email, name))
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"an account for {email} already exists", field="email")
    user = User(email=email, display_name=name, password_hash=hash_password(password), is_admin=is_admin)
    audit.record_new(session, user, user_id=acting_user_id, entity="user")
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def list_users(session: Session) -> list[User]:
    """Every account, active ones first, then by name."""
    return list(
        session.exec(
            select(User).order_by(col(User.is_active).desc(), func.lower(User.display_name), col(User.id))
        )
    )


def update_user(
    session: Session,
    *,
    acting_user: User,
    user_id: int,
    display_name: str | None = None,
    is_active: bool | None = None,
    is_admin: bool | None = None,
    password: str | None = None,
) -> User:
    """An administrator changes an account. Fields left as None stay as they are.

    A password reset or a deactivation signs the person out everywhere. Administrators cannot
    deactivate themselves or drop their own admin rights, so the last one cannot lock everyone out.
    """
    user = get_user(session, user_id)
    # Check everything before changing anything: a caller may answer a refusal without
    # rolling back, and a half-applied change must never be committed.
    name = _check_display_name(display_name) if display_name is not None else user.display_name
    if is_active is False and user.is_active and user.id == acting_user.id:
        raise Invalid("you cannot deactivate your own account", field="is_active")
    if is_admin is False and user.is_admin and user.id == acting_user.id:
        raise Invalid("you cannot remove your own administrator rights", field="is_admin")
    if password:
        check_password(password, personal=(user.email, name))
    before = audit.snapshot(user)
    user.display_name = name
    if is_active is not None:
        user.is_active = is_active
    if is_admin is not None:
        user.is_admin = is_admin
    if password:
        user.password_hash = hash_password(password)
    session.add(user)
    if before["display_name"] != name:
        for hook in on_renamed:
            hook(session, user)
    after = audit.snapshot(user)
    password_changed = bool(password)
    if after != before or password_changed:
        audit.record(
            session,
            user_id=acting_user.id,
            entity="user",
            entity_id=user.id,
            action="update",
            before=before,
            # The hash itself never enters the trail; only the fact that the password was reset.
            after={**after, "password_reset": True} if password_changed else after,
            reason="password reset by an administrator" if password_changed else "",
        )
    if password_changed or is_active is False:
        revoke_all_tokens(session, user=user, acting_user_id=acting_user.id)
    if password_changed:
        # A reset is how an administrator lets a locked-out person straight back in.
        lockout.clear_account(session, user.email)
    return user


def change_password(session: Session, *, user: User, current_password: str, new_password: str) -> User:
    """The signed-in person changes their own password (other sessions and tokens stay valid)."""
    if not verify_password(current_password, user.password_hash):
        raise Invalid("the current password is not right", field="current_password")
    check_password(new_password, field="new_password", personal=(user.email, user.display_name))
    if current_password == new_password:
        raise Invalid("choose a password different from the current one", field="new_password")
    user.password_hash = hash_password(new_password)
    session.add(user)
    audit.record(
        session,
        user_id=user.id,
        entity="user",
        entity_id=user.id,
        action="update",
        after={"password_changed": True},
        reason="password changed by its owner",
    )
    return user


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
        user_id=stored_id(user),
        kind=kind,
        name=name,
        token_hash=token_digest(secret),
        csrf_secret=new_token() if kind == "session" else "",
        expires_at=utcnow() + lifetime if lifetime else None,
    )
    audit.record_new(
        session,
        record,
        user_id=user.id,
        entity="auth_token",
        after=audit.snapshot(record, ("kind", "name", "expires_at")),
    )
    return IssuedToken(secret, record)


class SignInOutcome(StrEnum):
    signed_in = "signed_in"
    wrong = "wrong"  # unknown email, wrong password or inactive account: the same answer for each
    code_needed = "code_needed"  # the password is right; now the code from the app
    wrong_code = "wrong_code"
    enrol_needed = "enrol_needed"  # the role requires two-factor sign-in and it is not set up
    locked = "locked"


@dataclass
class SignIn:
    """What came of one sign-in step."""

    outcome: SignInOutcome
    user: User | None = None
    issued: IssuedToken | None = None
    locked: lockout.Locked | None = None


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    code: str = "",
    client: str,
    kind: str,
    lifetime: timedelta,
) -> SignIn:
    """Check a password, then the second factor where the person has one; issue a token of `kind`.

    Without a code, an enrolled person gets `code_needed` (the web form asks for it next); a
    person whose role requires two-factor sign-in and who has not set it up gets `enrol_needed`.
    Failures are counted towards lockouts, so the caller must let the unit of work commit.
    """
    user = authenticate(session, email=email, password=password, client=client)
    if user is None:
        return SignIn(
            SignInOutcome.wrong, locked=lockout.current_lockout(session, email=email, client=client)
        )
    if two_factor.is_enrolled(session, user):
        if not code.strip():
            return SignIn(SignInOutcome.code_needed, user=user)
        return second_step(session, user=user, code=code, client=client, kind=kind, lifetime=lifetime)
    if two_factor.must_enrol(session, user):
        return SignIn(SignInOutcome.enrol_needed, user=user)
    return _complete(session, user, kind=kind, lifetime=lifetime)


def second_step(
    session: Session, *, user: User, code: str, client: str, kind: str, lifetime: timedelta
) -> SignIn:
    """The code from the person's app (or a recovery code) after their password was accepted."""
    if not user.is_active:
        return SignIn(SignInOutcome.wrong)
    if not two_factor.verify_code(session, user=user, code=code):
        locked = lockout.note_failure(session, email=user.email, client=client, user_id=user.id)
        return SignIn(SignInOutcome.wrong_code, user=user, locked=locked)
    return _complete(session, user, kind=kind, lifetime=lifetime)


def complete_enrolment_sign_in(
    session: Session, *, user: User, code: str, kind: str, lifetime: timedelta
) -> tuple[IssuedToken, list[str]]:
    """A person required to use two-factor sign-in confirms their new app while signing in: the
    token, and their recovery codes to show once."""
    codes = two_factor.confirm_enrolment(session, user=user, code=code)
    issued = _complete(session, user, kind=kind, lifetime=lifetime).issued
    assert issued is not None
    return issued, codes


def _complete(session: Session, user: User, *, kind: str, lifetime: timedelta) -> SignIn:
    lockout.clear_account(session, user.email)
    issued = issue_token(session, user=user, kind=kind, lifetime=lifetime)
    return SignIn(SignInOutcome.signed_in, user=user, issued=issued)


def recent_failures(session: Session, email: str) -> int:
    """Failed sign-ins for this email in the last quarter of an hour."""
    since = utcnow() - lockout.FAILURE_WINDOW
    return session.exec(
        select(func.count())
        .select_from(SignInAttempt)
        .where(SignInAttempt.email == email.strip().lower()[:320], SignInAttempt.at >= since)
    ).one()


def failure_delay(failures: int) -> float:
    """Seconds to wait before answering a sign-in: grows with recent failures, capped."""
    allowed = get_settings().login_delay_after_failures
    if failures < allowed:
        return 0.0
    return float(min(2 ** (failures - allowed), 30))


def authenticate(session: Session, *, email: str, password: str, client: str = "") -> User | None:
    """The active user with this email and password, or None (and the failure is counted, which
    may lock the account or the client address out: `lockout.note_failure`)."""
    user = user_by_email(session, email)
    if user is not None and user.is_active and verify_password(password, user.password_hash):
        return user
    if user is None:
        verify_password(password, None)  # same work either way
    lockout.note_failure(session, email=email, client=client, user_id=user.id if user else None)
    return None


def create_personal_token(
    session: Session, *, user: User, name: str, expires_in_days: int | None = None
) -> IssuedToken:
    """A named token for scripts, shown once; without an expiry it lasts until revoked."""
    name = name.strip()
    if not name:
        raise Invalid("give the token a name that says what it is for", field="name")
    if len(name) > MAX_TOKEN_NAME:
        raise Invalid(f"must be {MAX_TOKEN_NAME} characters or fewer", field="name")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_PERSONAL_TOKEN_DAYS:
        raise Invalid(
            f"must be a whole number of days from 1 to {MAX_PERSONAL_TOKEN_DAYS}", field="expires_in_days"
        )
    lifetime = timedelta(days=expires_in_days) if expires_in_days else None
    return issue_token(session, user=user, kind="personal", name=name, lifetime=lifetime)


def resolve_token(session: Session, secret: str, kinds: tuple[str, ...]) -> tuple[User, AuthToken] | None:
    """The user and token for a presented secret, if it is live (not revoked, not expired)."""
    if not secret:
        return None
    # One query for both: this runs on every request.
    found = session.exec(
        select(AuthToken, User)
        .join(User, col(User.id) == col(AuthToken.user_id))
        .where(AuthToken.token_hash == token_digest(secret))
    ).first()
    if found is None:
        return None
    record, user = found
    if record.kind not in kinds or record.revoked_at is not None or not user.is_active:
        return None
    expires = aware(record.expires_at)
    if expires is not None and expires <= utcnow():
        return None
    return user, record


def _revoke(session: Session, record: AuthToken, *, acting_user_id: int | None) -> None:
    if record.revoked_at is not None:
        return
    record.revoked_at = utcnow()
    session.add(record)
    audit.record(
        session,
        user_id=acting_user_id,
        entity="auth_token",
        entity_id=record.id,
        action="revoke",
        before={"revoked_at": None},
        after={"revoked_at": record.revoked_at},
    )


def revoke_token(session: Session, *, user: User, token_id: int) -> AuthToken:
    """Revoke one of the user's own tokens (another person's token is 'not found')."""
    record = session.get(AuthToken, token_id)
    if record is None or record.user_id != user.id:
        raise NotFound("token not found")
    _revoke(session, record, acting_user_id=user.id)
    return record


def revoke_all_tokens(session: Session, *, user: User, acting_user_id: int | None) -> int:
    """Sign a person out everywhere: every live token and session. Returns how many were revoked."""
    live = list(
        session.exec(
            select(AuthToken).where(AuthToken.user_id == user.id, col(AuthToken.revoked_at).is_(None))
        )
    )
    for record in live:
        _revoke(session, record, acting_user_id=acting_user_id)
    return len(live)


def list_tokens(session: Session, *, user: User, kind: str = "personal") -> list[AuthToken]:
    return list(
        session.exec(
            select(AuthToken)
            .where(AuthToken.user_id == user.id, AuthToken.kind == kind)
            .order_by(col(AuthToken.created_at).desc(), col(AuthToken.id).desc())
        )
    )


def token_is_live(record: AuthToken) -> bool:
    """Neither revoked nor past its expiry."""
    expires = aware(record.expires_at)
    return record.revoked_at is None and (expires is None or expires > utcnow())


# Sign-in form protection. There is no session yet to hold a CSRF secret, so the form carries
# a value signed with the app's secret key and bound to a random nonce kept in a cookie: a page
# on another site can neither read the cookie nor forge the signature.


def _sign_in_signature(nonce: str, issued: int, purpose: str = "sign-in") -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{purpose}:{nonce}:{issued}".encode(), hashlib.sha256).hexdigest()


def new_sign_in_nonce() -> str:
    return new_token()


def sign_in_form_token(nonce: str, *, now: float | None = None, purpose: str = "sign-in") -> str:
    """The hidden form value that proves the form was served by this site to this browser."""
    issued = int(now if now is not None else time.time())
    return f"{issued}.{_sign_in_signature(nonce, issued, purpose)}"


def sign_in_form_token_valid(
    nonce: str, token: str, *, now: float | None = None, purpose: str = "sign-in", max_age: int = 0
) -> bool:
    """True when `token` was made for this nonce (and purpose) by this app, and not too long ago."""
    if not nonce or not token or "." not in token:
        return False
    issued_text, signature = token.split(".", 1)
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    age = (now if now is not None else time.time()) - issued
    if age < 0 or age > (max_age or SIGN_IN_FORM_SECONDS):
        return False
    return same(signature, _sign_in_signature(nonce, issued, purpose))


# Between the password and the code (or the set-up of an app), the form carries who passed the
# password, signed and bound to the browser's nonce like the sign-in form; it lasts minutes.
SECOND_STEP_SECONDS = 10 * 60


def second_step_token(nonce: str, user: User) -> str:
    """The hidden value that carries a person from their password to the second step."""
    return f"{user.id}:{sign_in_form_token(nonce, purpose=f'second-step:{user.id}')}"


def second_step_user(session: Session, nonce: str, token: str) -> User | None:
    """The active person a second-step value was made for, if it is genuine and recent."""
    user_id, _, signed = token.partition(":")
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    purpose = f"second-step:{int(user_id)}"
    if not sign_in_form_token_valid(nonce, signed, purpose=purpose, max_age=SECOND_STEP_SECONDS):
        return None
    user = session.get(User, int(user_id))
    return user if user is not None and user.is_active else None
