"""Two-factor sign-in: an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

Anyone may turn it on from their account page. Administrators must have it when settings say
so (in production by default), and review leads when an administrator has asked for it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp
import segno
from sqlalchemy import column, table
from sqlmodel import Session, col, delete, select

from app.accounts.models import AccountPolicy, RecoveryCode, TwoFactor, User, stored_id
from app.core import audit
from app.core.config import get_settings
from app.core.errors import Conflict, Invalid
from app.core.timeutil import utcnow

ISSUER = "sysreview"
RECOVERY_CODE_COUNT = 10
# Codes from the step before and after the current one are accepted: phone clocks drift.
CLOCK_DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o or 1/l/i to misread
POLICY_ID = 1
WRONG_CODE = "the code is not right: enter the 6 digits your app shows now"

# Review roles belong to the reviews package, above this one; the membership table answers
# "does this person lead a review?" without importing it.
_membership = table("membership", column("user_id"), column("role"))


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def two_factor_of(session: Session, user: User) -> TwoFactor | None:
    return session.exec(select(TwoFactor).where(TwoFactor.user_id == user.id)).first()


def is_enrolled(session: Session, user: User) -> bool:
    """True once the person has confirmed an authenticator app."""
    found = two_factor_of(session, user)
    return found is not None and found.enabled_at is not None


def get_policy(session: Session) -> AccountPolicy:
    """The service-wide sign-in rules (defaults until an administrator changes them)."""
    return session.get(AccountPolicy, POLICY_ID) or AccountPolicy(id=POLICY_ID)


def set_two_factor_for_leads(session: Session, *, acting_user: User, required: bool) -> AccountPolicy:
    """An administrator requires (or stops requiring) two-factor sign-in for review leads."""
    if not acting_user.is_admin:
        raise Invalid("only administrators can change the sign-in rules", field="two_factor_for_leads")
    policy = get_policy(session)
    before = audit.snapshot(policy, ("two_factor_for_leads",))
    if policy.two_factor_for_leads == required:
        return policy
    policy.two_factor_for_leads = required
    session.add(policy)
    audit.record(
        session,
        user_id=acting_user.id,
        entity="account_policy",
        entity_id=POLICY_ID,
        action="update",
        before=before,
        after=audit.snapshot(policy, ("two_factor_for_leads",)),
    )
    return policy


def leads_a_review(session: Session, user: User) -> bool:
    query = select(_membership.c.user_id).where(
        _membership.c.user_id == user.id, _membership.c.role == "lead"
    )
    return session.exec(query.limit(1)).first() is not None


def is_required(session: Session, user: User) -> bool:
    """Whether this person must sign in with a second factor."""
    if user.is_admin and get_settings().two_factor_for_admins:
        return True
    return get_policy(session).two_factor_for_leads and leads_a_review(session, user)


def must_enrol(session: Session, user: User) -> bool:
    """Required but not yet set up: the person is sent to set it up when they sign in."""
    return is_required(session, user) and not is_enrolled(session, user)


# Enrolment


def start_enrolment(session: Session, *, user: User) -> TwoFactor:
    """A new secret for the person's authenticator app, not in force until confirmed.

    Asking again before confirming replaces the secret, so an abandoned attempt leaves nothing.
    """
    found = two_factor_of(session, user)
    if found is not None and found.enabled_at is not None:
        raise Conflict("two-factor sign-in is already on for your account", field="code")
    if found is None:
        found = TwoFactor(user_id=stored_id(user), secret=pyotp.random_base32())
    else:
        found.secret = pyotp.random_base32()
    session.add(found)
    session.flush()
    return found


def pending_enrolment(session: Session, user: User) -> TwoFactor | None:
    """The secret being set up, if the person has started and not yet confirmed."""
    found = two_factor_of(session, user)
    return found if found is not None and found.enabled_at is None else None


def provisioning_uri(two_factor: TwoFactor, user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(two_factor.secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data address for an <img> (the page policy allows data:)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def confirm_enrolment(session: Session, *, user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on once the person enters a code from their app; returns their
    recovery codes, shown this once."""
    pending = pending_enrolment(session, user)
    if pending is None:
        raise Invalid("start setting up two-factor sign-in first", field="code")
    step = _matching_step(pending.secret, code)
    if step is None:
        raise Invalid(WRONG_CODE, field="code")
    pending.enabled_at = utcnow()
    pending.last_step = step
    session.add(pending)
    codes = _replace_recovery_codes(session, user)
    _record(session, user, before={"two_factor": False}, after={"two_factor": True}, reason="turned on")
    return codes


def new_recovery_codes(session: Session, *, user: User, code: str) -> list[str]:
    """Replace the person's recovery codes (a current code proves it is them); the old ones stop
    working."""
    if not is_enrolled(session, user):
        raise Invalid("two-factor sign-in is not on for your account", field="code")
    if not verify_code(session, user=user, code=code, recovery=False):
        raise Invalid(WRONG_CODE, field="code")
    codes = _replace_recovery_codes(session, user)
    _record(session, user, after={"recovery_codes": "replaced"}, reason="new recovery codes")
    return codes


def turn_off(session: Session, *, user: User, code: str) -> None:
    """The person turns two-factor sign-in off, proving it is them with a current code."""
    if is_required(session, user):
        raise Invalid("your role requires two-factor sign-in, so it cannot be turned off", field="code")
    if not is_enrolled(session, user):
        raise Invalid("two-factor sign-in is not on for your account", field="code")
    if not verify_code(session, user=user, code=code):
        raise Invalid(WRONG_CODE, field="code")
    _remove(session, user, acting_user_id=user.id, reason="turned off by its owner")


def reset(session: Session, *, acting_user: User, user: User) -> None:
    """An administrator removes a person's two-factor set-up (a lost phone and no recovery codes);
    they set it up again at their next sign-in if their role requires it."""
    if two_factor_of(session, user) is None:
        return
    _remove(session, user, acting_user_id=acting_user.id, reason="removed by an administrator")


def _remove(session: Session, user: User, *, acting_user_id: int | None, reason: str) -> None:
    session.exec(delete(TwoFactor).where(col(TwoFactor.user_id) == user.id))
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    _record(
        session,
        user,
        by=acting_user_id,
        before={"two_factor": True},
        after={"two_factor": False},
        reason=reason,
    )


def _record(
    session: Session,
    user: User,
    *,
    by: int | None = None,
    before: dict[str, object] | None = None,
    after: dict[str, object],
    reason: str,
) -> None:
    """An audit row for a change to the person's two-factor set-up (never the secret itself);
    `by` is whoever acted, the person themselves unless given."""
    audit.record(
        session,
        user_id=by if by is not None else user.id,
        entity="user",
        entity_id=user.id,
        action="update",
        before=before,
        after=after,
        reason=f"two-factor sign-in: {reason}",
    )


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(user_id=stored_id(user), code_hash=_recovery_digest(code)))
    session.flush()
    return codes


def _new_recovery_code() -> str:
    # 10 characters from 31: about 50 bits, far beyond guessing within the sign-in lockouts.
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def unused_recovery_codes(session: Session, user: User) -> int:
    return len(
        session.exec(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None)
            )
        ).all()
    )


# Checking a code at sign-in


def _matching_step(secret: str, code: str, *, after: int = 0) -> int | None:
    """The 30-second step whose code this is (within the allowed drift), if later than `after`."""
    digits = _normalise(code)
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(utcnow().timestamp()) // totp.interval
    for step in range(current - CLOCK_DRIFT_STEPS, current + CLOCK_DRIFT_STEPS + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def verify_code(session: Session, *, user: User, code: str, recovery: bool = True) -> bool:
    """True for a current code from the person's app (each code works once) or, when `recovery`,
    an unused recovery code, which is then spent."""
    found = two_factor_of(session, user)
    if found is None or found.enabled_at is None or not code.strip():
        return False
    step = _matching_step(found.secret, code, after=found.last_step)
    if step is not None:
        found.last_step = step
        session.add(found)
        return True
    return recovery and _spend_recovery_code(session, user, code)


def _spend_recovery_code(session: Session, user: User, code: str) -> bool:
    spare = session.exec(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_digest(code),
            col(RecoveryCode.used_at).is_(None),
        )
    ).first()
    if spare is None:
        return False
    spare.used_at = utcnow()
    session.add(spare)
    left = unused_recovery_codes(session, user)
    _record(
        session,
        user,
        after={"recovery_code_used": True},
        reason=f"signed in with a recovery code; {left} left",
    )
    return True


def current_code(secret: str) -> str:
    """The code an authenticator app shows now (for the command line and tests)."""
    return str(pyotp.TOTP(secret).now())
