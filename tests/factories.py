"""Test data made through the services, so tests exercise the real rules."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.models import User
from app.core.db import session_scope

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def make_user(
    session: Session | None = None, *, name: str | None = None, admin: bool = False, email: str | None = None
) -> User:
    n = next(_counter)
    email = email or f"user{n}@example.org"
    if session is None:
        with session_scope() as s:
            return accounts.create_user(
                s, email=email, display_name=name or f"User {n}", password=PASSWORD, is_admin=admin
            )
    return accounts.create_user(
        session, email=email, display_name=name or f"User {n}", password=PASSWORD, is_admin=admin
    )


def token_for(user: User) -> str:
    with session_scope() as s:
        return accounts.issue_token(s, user=user, kind="access", lifetime=timedelta(hours=1)).token


def auth(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}
