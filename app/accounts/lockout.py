"""Lockouts after repeated failed sign-ins, per account and per client address.

Each failure is kept as a `SignInAttempt`. When an account (by email address) or a client
address reaches its limit of failures, it is locked out: the first time for
`sign_in_lockout_seconds`, each time after that for twice as long as the time before, up to
`sign_in_lockout_max_seconds`. A day without a lockout starts the doubling over, and so does a
successful sign-in for the account. Every lockout is written to the audit trail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from app.accounts.models import SignInAttempt, SignInLockout
from app.core import audit
from app.core.config import get_settings
from app.core.db import insert_or_twin
from app.core.models_base import aware
from app.core.timeutil import utcnow

FAILURE_WINDOW = timedelta(minutes=15)
# After this long without a new lockout, the next one is short again.
QUIET_RESET = timedelta(days=1)
ACCOUNT = "account"
CLIENT = "client"


@dataclass(frozen=True)
class Locked:
    """Sign-in is refused for `scope` ("account" or "client") until `until`."""

    scope: str
    until: datetime

    def seconds_left(self, now: datetime | None = None) -> int:
        return max(1, math.ceil((self.until - (now or utcnow())).total_seconds()))

    def wait_text(self) -> str:
        """How long to wait, in words: "1 minute", "3 minutes", "2 hours"."""
        minutes = math.ceil(self.seconds_left() / 60)
        if minutes < 120:
            return f"{minutes} minute{'s' if minutes != 1 else ''}"
        return f"{math.ceil(minutes / 60)} hours"


def _email_key(email: str) -> str:
    return email.strip().lower()[:320]


def _subjects(email: str, client: str) -> list[tuple[str, str, int]]:
    """(scope, subject, failures allowed) for this attempt; no client address, no client limit."""
    settings = get_settings()
    subjects = [(ACCOUNT, _email_key(email), settings.sign_in_failures_per_account)]
    if client:
        subjects.append((CLIENT, client[:64], settings.sign_in_failures_per_client))
    return subjects


def _lockout(session: Session, scope: str, subject: str) -> SignInLockout | None:
    return session.exec(
        select(SignInLockout).where(SignInLockout.scope == scope, SignInLockout.subject == subject)
    ).first()


def current_lockout(session: Session, *, email: str, client: str) -> Locked | None:
    """The lockout in force for this account or this client address (the longer one), if any."""
    now = utcnow()
    found = [
        Locked(scope, until)
        for scope, subject, _ in _subjects(email, client)
        if (row := _lockout(session, scope, subject)) is not None
        and (until := aware(row.locked_until)) is not None
        and until > now
    ]
    return max(found, key=lambda locked: locked.until, default=None)


def _failures_since(session: Session, scope: str, subject: str, since: datetime) -> int:
    column = SignInAttempt.email if scope == ACCOUNT else SignInAttempt.client
    return session.exec(
        select(func.count()).select_from(SignInAttempt).where(column == subject, SignInAttempt.at >= since)
    ).one()


def note_failure(session: Session, *, email: str, client: str, user_id: int | None = None) -> Locked | None:
    """Count a failed sign-in (wrong password, unknown account or wrong code); lock the account or
    the client address out when it has reached its limit. Returns the new lockout, if any."""
    session.add(SignInAttempt(email=_email_key(email), client=client[:64]))
    session.flush()
    settings = get_settings()
    now = utcnow()
    started: Locked | None = None
    for scope, subject, allowed in _subjects(email, client):
        row = _lockout(session, scope, subject)
        last_until = aware(row.locked_until) if row is not None else None
        # Failures before the last lockout ended have been paid for already.
        since = max(now - FAILURE_WINDOW, last_until) if last_until else now - FAILURE_WINDOW
        if _failures_since(session, scope, subject, since) < allowed:
            continue
        repeat = row is not None and last_until is not None and now - last_until < QUIET_RESET
        level = row.level + 1 if repeat and row is not None else 1
        seconds = min(
            settings.sign_in_lockout_seconds * 2 ** (level - 1), settings.sign_in_lockout_max_seconds
        )
        if row is None:
            row = _new_lockout(session, scope, subject, now)
        before = {"level": row.level, "locked_until": row.locked_until}
        row.level = level
        row.locked_until = now + timedelta(seconds=seconds)
        session.add(row)
        session.flush()
        audit.record(
            session,
            user_id=user_id if scope == ACCOUNT else None,
            actor="sign-in",
            entity="sign_in_lockout",
            entity_id=row.id,
            action="lock",
            before={**before, "scope": scope, "subject": None},
            after={"level": level, "locked_until": row.locked_until, "scope": scope, "subject": subject},
            reason=f"{_failures_since(session, scope, subject, since)} failed sign-ins; "
            f"locked for {seconds} seconds",
            personal_fields=("subject",),
        )
        candidate = Locked(scope, aware(row.locked_until) or now)
        if started is None or candidate.until > started.until:
            started = candidate
    return started


def _new_lockout(session: Session, scope: str, subject: str, now: datetime) -> SignInLockout:
    """The subject's lockout row, made now; if a parallel failed sign-in made it first, that one."""
    row = SignInLockout(scope=scope, subject=subject, locked_until=now)
    stored, _ = insert_or_twin(session, row, lambda: _lockout(session, scope, subject))
    return stored


def clear_account(session: Session, email: str) -> None:
    """A successful sign-in (or a password reset): the account's failures and lockouts are over."""
    key = _email_key(email)
    session.exec(delete(SignInAttempt).where(col(SignInAttempt.email) == key))
    session.exec(
        delete(SignInLockout).where(col(SignInLockout.scope) == ACCOUNT, col(SignInLockout.subject) == key)
    )
