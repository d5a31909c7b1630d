"""Sign-in, tokens, 'who am I' and user administration through the JSON API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from accounts_helpers import audit_rows, record_sign_in_sleeps, settings_env

from app.accounts import service
from app.accounts.models import AuthToken, SignInAttempt, User
from app.core.config import get_settings
from app.core.db import session_scope
from app.core.models_base import aware
from app.core.timeutil import utcnow
from tests.factories import PASSWORD, add_member, auth, make_review, make_user

pytestmark = pytest.mark.anyio


async def _token(client, email: str, password: str = PASSWORD):
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password})


async def test_password_flow_issues_a_bearer_token_that_expires_as_configured(client):
    user = make_user(email="lead@example.org")
    response = await _token(client, "Lead@Example.org")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().access_token_minutes * 60
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "lead@example.org"
    with session_scope() as s:
        record = s.get(AuthToken, int(audit_rows("auth_token", user_id=user.id)[-1].entity_id))
        assert record.kind == "access"
        # Only the hash is stored.
        assert record.token_hash != body["access_token"]
        remaining = aware(record.expires_at) - utcnow()
        assert timedelta(minutes=get_settings().access_token_minutes - 1) < remaining


async def test_wrong_password_is_refused_and_counted(client):
    make_user(email="someone@example.org")
    response = await _token(client, "someone@example.org", "not the password")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "password is not right" in response.json()["detail"]
    unknown = await _token(client, "nobody@example.org", "whatever it is")
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == response.json()["detail"]  # no hint whether the account exists
    with session_scope() as s:
        assert service.recent_failures(s, "someone@example.org") == 1
        assert service.recent_failures(s, "nobody@example.org") == 1


async def test_inactive_account_cannot_sign_in(client):
    admin = make_user(admin=True)
    user = make_user()
    with session_scope() as s:
        service.update_user(s, acting_user=s.get(User, admin.id), user_id=user.id, is_active=False)
    assert (await _token(client, user.email)).status_code == 401


async def test_token_missing_fields_name_them(client):
    response = await client.post("/api/v1/auth/token", data={"username": "a@example.org"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "password"


async def test_repeated_failures_slow_sign_in_down(client, monkeypatch):
    requested = record_sign_in_sleeps(monkeypatch)
    with settings_env(LOGIN_DELAY_AFTER_FAILURES="2"):
        make_user(email="target@example.org")
        for _ in range(2):
            assert (await _token(client, "target@example.org", "guess guess guess")).status_code == 401
        assert requested == []
        # The third try follows two recent failures: 2**(2-2) = 1 second, then 2 seconds.
        assert (await _token(client, "target@example.org", "guess guess guess")).status_code == 401
        assert requested == [1.0]
        # Even the right password waits, so the delay tells a guesser nothing.
        assert (await _token(client, "target@example.org")).status_code == 200
        assert requested == [1.0, 2.0]
        # Success clears the count.
        with session_scope() as s:
            assert service.recent_failures(s, "target@example.org") == 0


def test_failure_delay_grows_and_is_capped(monkeypatch):
    with settings_env(LOGIN_DELAY_AFTER_FAILURES="3"):
        assert [service.failure_delay(n) for n in range(0, 6)] == [0.0, 0.0, 0.0, 1.0, 2.0, 4.0]
        assert service.failure_delay(100) == 30.0


async def test_old_failures_do_not_count(db):
    with session_scope() as s:
        s.add(SignInAttempt(email="old@example.org", at=utcnow() - timedelta(hours=1)))
        s.add(SignInAttempt(email="old@example.org"))
    with session_scope() as s:
        assert service.recent_failures(s, "old@example.org") == 1


async def test_revoke_current_token_by_post_and_by_delete(client):
    user = make_user()
    for method, path in (("POST", "/api/v1/auth/revoke"), ("DELETE", "/api/v1/auth/token")):
        token = (await _token(client, user.email)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 204
        after = await client.get("/api/v1/me", headers=headers)
        assert after.status_code == 401
        assert after.json()["detail"] == "the token is invalid, expired or revoked"
    revokes = audit_rows("auth_token", action="revoke")
    assert len(revokes) == 2
    assert all(row.user_id == user.id for row in revokes)


async def test_expired_token_is_refused(client):
    user = make_user()
    with session_scope() as s:
        issued = service.issue_token(s, user=user, kind="access", lifetime=timedelta(seconds=-1))
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.token}"})
    assert response.status_code == 401


async def test_personal_access_tokens_create_list_use_revoke(client):
    user = make_user()
    headers = auth(user)
    created = await client.post(
        "/api/v1/auth/tokens", json={"name": "evidence import", "expires_in_days": 30}, headers=headers
    )
    assert created.status_code == 201
    body = created.json()
    secret = body["token"]
    assert body["name"] == "evidence import"
    assert body["expires_at"] is not None
    forever = await client.post("/api/v1/auth/tokens", json={"name": "nightly export"}, headers=headers)
    assert forever.json()["expires_at"] is None

    listed = await client.get("/api/v1/auth/tokens", headers=headers)
    assert listed.status_code == 200
    names = [t["name"] for t in listed.json()]
    assert names == ["nightly export", "evidence import"]
    assert all("token" not in t and "token_hash" not in t for t in listed.json())

    script = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/me", headers=script)).json()["id"] == user.id
    revoked = await client.delete(f"/api/v1/auth/tokens/{body['id']}", headers=headers)
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/me", headers=script)).status_code == 401
    listed = (await client.get("/api/v1/auth/tokens", headers=headers)).json()
    assert [t["revoked_at"] is not None for t in listed] == [False, True]

    creates = audit_rows("auth_token", action="create", user_id=user.id)
    assert {row.changes["name"][1] for row in creates} >= {"evidence import", "nightly export"}
    assert "token_hash" not in str([row.changes for row in creates])
    assert audit_rows("auth_token", action="revoke", entity_id=str(body["id"]))[0].user_id == user.id


async def test_personal_token_validation_names_the_field(client):
    headers = auth(make_user())
    too_long = await client.post(
        "/api/v1/auth/tokens", json={"name": "x", "expires_in_days": 1000}, headers=headers
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "expires_in_days"
    blank = await client.post("/api/v1/auth/tokens", json={"name": "   "}, headers=headers)
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "name"


async def test_cannot_revoke_someone_elses_token(client):
    owner, other = make_user(), make_user()
    with session_scope() as s:
        issued = service.create_personal_token(s, user=owner, name="mine")
    response = await client.delete(f"/api/v1/auth/tokens/{issued.record.id}", headers=auth(other))
    assert response.status_code == 404
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.token}"})
    ).status_code == 200


async def test_me_lists_my_reviews_and_roles(client):
    review = make_review(title="Review of Westshire", status="fieldwork")
    other = make_review(title="Review of Eastshire")
    user = add_member(review, "reviewer")
    add_member(other, "observer", user=user)
    make_review(title="Not mine")
    body = (await client.get("/api/v1/me", headers=auth(user))).json()
    assert body["is_admin"] is False
    assert sorted((r["title"], r["role"], r["status"]) for r in body["reviews"]) == [
        ("Review of Eastshire", "observer", "planning"),
        ("Review of Westshire", "reviewer", "fieldwork"),
    ]
    assert "password_hash" not in body


async def test_admin_manages_users_and_every_change_is_audited(client):
    admin = make_user(admin=True, name="Ada Admin")
    headers = auth(admin)
    created = await client.post(
        "/api/v1/users",
        json={
            "email": "New.Person@Example.org",
            "display_name": "New Person",
            "password": "a long enough pw",
        },
        headers=headers,
    )
    assert created.status_code == 201
    person = created.json()
    assert person["email"] == "new.person@example.org"
    assert person["is_admin"] is False and person["is_active"] is True
    assert "password_hash" not in person

    listed = await client.get("/api/v1/users", headers=headers)
    assert {u["email"] for u in listed.json()} == {admin.email, "new.person@example.org"}

    changed = await client.patch(
        f"/api/v1/users/{person['id']}",
        json={"display_name": "Renamed Person", "is_admin": True},
        headers=headers,
    )
    assert changed.status_code == 200
    assert changed.json()["display_name"] == "Renamed Person"
    assert changed.json()["is_admin"] is True

    rows = audit_rows("user", entity_id=str(person["id"]))
    assert [row.action for row in rows] == ["create", "update"]
    assert all(row.user_id == admin.id for row in rows)
    assert rows[1].changes == {"display_name": ["New Person", "Renamed Person"], "is_admin": [False, True]}
    assert "password_hash" not in rows[0].changes


async def test_password_reset_by_admin_signs_the_person_out(client):
    admin = make_user(admin=True)
    person = make_user()
    person_headers = auth(person)
    response = await client.patch(
        f"/api/v1/users/{person.id}", json={"password": "brand new password"}, headers=auth(admin)
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=person_headers)).status_code == 401
    assert (await _token(client, person.email)).status_code == 401
    assert (await _token(client, person.email, "brand new password")).status_code == 200
    reset = audit_rows("user", action="update", entity_id=str(person.id))[-1]
    assert reset.user_id == admin.id
    assert reset.changes == {"password_reset": [None, True]}
    assert reset.reason == "password reset by an administrator"


async def test_deactivating_a_user_ends_their_access(client):
    admin = make_user(admin=True)
    person = make_user()
    person_headers = auth(person)
    response = await client.patch(
        f"/api/v1/users/{person.id}", json={"is_active": False}, headers=auth(admin)
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=person_headers)).status_code == 401
    row = audit_rows("user", action="update", entity_id=str(person.id))[-1]
    assert row.changes == {"is_active": [True, False]}
    assert row.user_id == admin.id


async def test_admin_cannot_lock_themselves_out(client):
    admin = make_user(admin=True)
    headers = auth(admin)
    response = await client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "is_active", "message": "you cannot deactivate your own account"}
    ]
    response = await client.patch(f"/api/v1/users/{admin.id}", json={"is_admin": False}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "is_admin"


async def test_user_admin_input_errors_name_the_field(client):
    admin = make_user(admin=True, email="admin@example.org")
    headers = auth(admin)
    duplicate = await client.post(
        "/api/v1/users",
        json={"email": "ADMIN@example.org", "display_name": "Copy", "password": "long enough pw"},
        headers=headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "email"
    short = await client.post(
        "/api/v1/users",
        json={"email": "x@example.org", "display_name": "X", "password": "short"},
        headers=headers,
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "password"
    bad_email = await client.post(
        "/api/v1/users",
        json={"email": "not-an-email", "display_name": "X", "password": "long enough pw"},
        headers=headers,
    )
    assert bad_email.status_code == 422
    assert bad_email.json()["errors"][0]["field"] == "email"
    missing = await client.patch("/api/v1/users/999999", json={"display_name": "Ghost"}, headers=headers)
    assert missing.status_code == 404


async def test_user_admin_is_for_administrators_only(client):
    person = make_user()
    headers = auth(person)
    assert (await client.get("/api/v1/users", headers=headers)).status_code == 403
    response = await client.patch(f"/api/v1/users/{person.id}", json={"is_admin": True}, headers=headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "only administrators can do this"
    assert (await client.get("/api/v1/users")).status_code == 401
