"""Lockouts after repeated failed sign-ins, per account and per client address."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from accounts_helpers import audit_rows, settings_env, web_sign_in
from starlette.datastructures import Headers

from app.accounts import lockout, service
from app.accounts.deps import client_address
from app.accounts.models import SignInLockout, User
from app.core.db import session_scope
from app.core.models_base import aware
from app.core.timeutil import utcnow
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.anyio


async def _token(client, email: str, password: str = PASSWORD, **extra):
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password, **extra})


def _lockout_row(scope: str, subject: str) -> SignInLockout | None:
    with session_scope(read_only=True) as s:
        return lockout._lockout(s, scope, subject)


def _expire_lockouts() -> None:
    """Move every lockout into the past, as if its time had run out."""
    with session_scope() as s:
        for row in s.exec(lockout.select(SignInLockout)):
            row.locked_until = utcnow() - timedelta(seconds=1)
            s.add(row)


async def test_five_failures_lock_the_account_out_even_for_the_right_password(client):
    user = make_user(email="target@example.org")
    for _ in range(4):
        assert (await _token(client, user.email, "guess guess guess")).status_code == 401
    fifth = await _token(client, user.email, "guess guess guess")
    assert fifth.status_code == 429
    assert fifth.json()["detail"] == "too many failed sign-ins: try again in 1 minute"
    assert 1 <= int(fifth.headers["retry-after"]) <= 60
    right = await _token(client, user.email)
    assert right.status_code == 429  # no password is checked while locked out
    rows = audit_rows("sign_in_lockout", action="lock")
    assert len(rows) == 1
    assert rows[0].user_id == user.id and rows[0].actor == "sign-in"
    assert rows[0].changes["level"] == [0, 1]
    assert rows[0].personal["subject"] == [None, "target@example.org"]  # retention can empty it


async def test_each_lockout_lasts_twice_as_long_as_the_one_before(client):
    make_user(email="target@example.org")
    lengths = []
    for _ in range(3):
        for _ in range(5):
            await _token(client, "target@example.org", "guess guess guess")
        row = _lockout_row("account", "target@example.org")
        lengths.append(round((aware(row.locked_until) - utcnow()).total_seconds()))
        _expire_lockouts()
    assert lengths == [60, 120, 240]
    assert len(audit_rows("sign_in_lockout", action="lock")) == 3


def test_lockouts_stop_growing_at_the_limit(db):
    with settings_env(SIGN_IN_LOCKOUT_MAX_SECONDS="100"), session_scope() as s:
        s.add(SignInLockout(scope="account", subject="a@example.org", level=6, locked_until=utcnow()))
        s.flush()
        locked = None
        for _ in range(5):
            locked = lockout.note_failure(s, email="a@example.org", client="")
        assert locked is not None and locked.seconds_left() <= 100


async def test_unknown_accounts_are_locked_out_the_same_way(client):
    for _ in range(5):
        response = await _token(client, "nobody@example.org", "guess guess guess")
    assert response.status_code == 429  # no hint whether the account exists


async def test_a_successful_sign_in_clears_the_failures(client):
    user = make_user()
    for _ in range(4):
        await _token(client, user.email, "guess guess guess")
    assert (await _token(client, user.email)).status_code == 200
    assert (await _token(client, user.email, "guess guess guess")).status_code == 401  # counting afresh


async def test_an_administrator_password_reset_lifts_the_lockout(client):
    admin = make_user(admin=True)
    user = make_user()
    for _ in range(5):
        await _token(client, user.email, "guess guess guess")
    with session_scope() as s:
        service.update_user(
            s, acting_user=s.get(User, admin.id), user_id=user.id, password="a fresh start for you"
        )
    assert (await _token(client, user.email, "a fresh start for you")).status_code == 200


async def test_one_client_address_is_locked_out_across_accounts(client):
    with settings_env(SIGN_IN_FAILURES_PER_CLIENT="6"):
        users = [make_user() for _ in range(3)]
        for user in users:
            await _token(client, user.email, "guess guess guess")
            await _token(client, user.email, "guess guess guess")
        response = await _token(client, make_user().email)
        assert response.status_code == 429
        rows = audit_rows("sign_in_lockout")
        assert len(rows) == 1 and rows[0].user_id is None
        with session_scope(read_only=True) as s:
            locked = s.get(SignInLockout, int(rows[0].entity_id))
            assert (locked.scope, locked.subject) == ("client", "127.0.0.1")


async def test_the_web_form_says_when_to_try_again(client):
    user = make_user()
    for _ in range(4):
        assert (await web_sign_in(client, user.email, "guess guess guess")).status_code == 401
    response = await web_sign_in(client, user.email, "guess guess guess")
    assert response.status_code == 429
    assert "too many failed sign-ins for this account. Try again in 1 minute." in response.text


def _request(peer: str, forwarded: list[str] | None = None) -> SimpleNamespace:
    headers = Headers(raw=[(b"x-forwarded-for", value.encode()) for value in forwarded or []])
    return SimpleNamespace(client=SimpleNamespace(host=peer), headers=headers)


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "expected"),
    [
        ("", "10.0.0.5", ["203.0.113.9"], "10.0.0.5"),  # no proxy trusted: the header is ignored
        ("10.0.0.5", "198.51.100.7", ["203.0.113.9"], "198.51.100.7"),  # not from the proxy
        ("10.0.0.5", "10.0.0.5", ["203.0.113.9"], "203.0.113.9"),
        ("10.0.0.0/24", "10.0.0.5", ["6.6.6.6, 203.0.113.9, 10.0.0.4"], "203.0.113.9"),  # forged left
        ("10.0.0.5, ::1", "::1", ["2001:db8::1"], "2001:db8::1"),
        ("10.0.0.5", "10.0.0.5", ["not an address"], "10.0.0.5"),
        ("10.0.0.5", "10.0.0.5", [], "10.0.0.5"),
    ],
)
def test_client_address_trusts_forwarded_for_only_from_named_proxies(trusted, peer, forwarded, expected):
    with settings_env(TRUSTED_PROXIES=trusted):
        assert client_address(_request(peer, forwarded)) == expected  # type: ignore[arg-type]


def test_a_lockout_made_by_a_parallel_request_is_used_not_duplicated(db):
    with session_scope() as s:
        s.add(SignInLockout(scope="account", subject="race@example.org", level=2, locked_until=utcnow()))
    with session_scope() as s:
        row = lockout._new_lockout(s, "account", "race@example.org", utcnow())
        assert row.level == 2  # the other request's row, and this unit of work is still usable
        assert lockout.current_lockout(s, email="race@example.org", client="") is None
