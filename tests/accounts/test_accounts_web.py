"""The web pages: sign-in with its pre-session CSRF, sign-out, home, account and user admin."""

from __future__ import annotations

import re

import httpx
import pytest
from accounts_helpers import audit_rows, hidden_value, record_sign_in_sleeps, settings_env, web_sign_in

from app.accounts import service
from app.accounts.deps import safe_next
from app.accounts.models import AuthToken, User
from app.core.db import session_scope
from tests.factories import PASSWORD, add_member, make_review, make_user

pytestmark = pytest.mark.anyio


def _set_cookie_headers(response: httpx.Response, name: str) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]


async def test_anonymous_home_redirects_to_sign_in(client):
    response = await client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/"


async def test_sign_in_sets_a_safe_session_cookie_and_follows_next(client):
    user = make_user()
    response = await web_sign_in(client, user.email, PASSWORD, next_path="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    (cookie,) = _set_cookie_headers(response, "sysreview_session")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes  # plain http in this test
    page = await client.get("/account")
    assert page.status_code == 200
    assert user.display_name in page.text
    with session_scope() as s:
        sessions = s.exec(
            __import__("sqlmodel")
            .select(AuthToken)
            .where(AuthToken.user_id == user.id, AuthToken.kind == "session")
        ).all()
        assert len(sessions) == 1 and sessions[0].csrf_secret


async def test_session_cookie_is_secure_over_https(app):
    user = make_user()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await web_sign_in(client, user.email, PASSWORD)
        (cookie,) = _set_cookie_headers(response, "sysreview_session")
        assert "secure" in [part.strip().lower() for part in cookie.split(";")]


async def test_session_cookie_is_secure_when_settings_force_it(client, monkeypatch):
    """Behind a TLS proxy the app may see plain http; the setting still marks every cookie Secure."""
    with settings_env(FORCE_HTTPS_COOKIES="true"):
        user = make_user()
        form = await client.get("/sign-in")
        (nonce_cookie,) = _set_cookie_headers(form, "sysreview_sign_in")
        assert "secure" in [part.strip().lower() for part in nonce_cookie.split(";")]
        # httpx keeps a Secure cookie off plain http, as a browser would: hand it over by hand.
        nonce = nonce_cookie.split(";")[0].split("=", 1)[1]
        response = await client.post(
            "/sign-in",
            data={
                "email": user.email,
                "password": PASSWORD,
                "csrf_token": hidden_value(form.text, "csrf_token"),
            },
            headers={"Cookie": f"sysreview_sign_in={nonce}"},
        )
        (cookie,) = _set_cookie_headers(response, "sysreview_session")
        assert "secure" in [part.strip().lower() for part in cookie.split(";")]


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/sign-out",
        "/sign-in?next=//evil.example",
        "reviews/1",
        "/ok\nLocation: x",
    ],
)
def test_next_only_allows_local_paths(target):
    assert safe_next(target) == "/"


def test_next_keeps_local_paths_with_query():
    assert safe_next("/reviews/3/evidence?stage=crisis") == "/reviews/3/evidence?stage=crisis"


async def test_sign_in_refuses_offsite_next(client):
    user = make_user()
    response = await web_sign_in(client, user.email, PASSWORD, next_path="//evil.example/")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_sign_in_post_without_the_form_token_is_refused(client):
    """A form on another site can post to /sign-in but cannot know the signed token."""
    user = make_user()
    response = await client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "next": "/"})
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    assert not _set_cookie_headers(response, "sysreview_session")
    # A token copied from another browser does not fit this browser's nonce cookie either.
    other = make_user()
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as attacker:
        stolen = hidden_value((await attacker.get("/sign-in")).text, "csrf_token")
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in", data={"email": other.email, "password": PASSWORD, "csrf_token": stolen, "next": "/"}
    )
    assert response.status_code == 403


def test_sign_in_form_token_expires_and_is_bound_to_its_nonce():
    nonce = service.new_sign_in_nonce()
    token = service.sign_in_form_token(nonce, now=1_000_000)
    assert service.sign_in_form_token_valid(nonce, token, now=1_000_100)
    assert not service.sign_in_form_token_valid(
        nonce, token, now=1_000_000 + service.SIGN_IN_FORM_SECONDS + 1
    )
    assert not service.sign_in_form_token_valid(service.new_sign_in_nonce(), token, now=1_000_100)
    assert not service.sign_in_form_token_valid(nonce, token.replace(".", ".0"), now=1_000_100)
    assert not service.sign_in_form_token_valid("", token)


async def test_sign_in_form_errors_are_shown_and_tied_to_fields(client):
    form = await client.get("/sign-in")
    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"
    token = hidden_value(form.text, "csrf_token")
    response = await client.post("/sign-in", data={"email": "", "password": "", "csrf_token": token})
    assert response.status_code == 422
    assert 'href="#email"' in response.text and 'href="#password"' in response.text
    assert 'aria-describedby="email-error"' in response.text
    make_user(email="real@example.org")
    response = await client.post(
        "/sign-in", data={"email": "real@example.org", "password": "wrong one", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "The email address or password is not right" in response.text
    assert 'value="real@example.org"' in response.text  # the email is kept, the password is not


async def test_web_sign_in_is_slowed_down_too(client, monkeypatch):
    requested = record_sign_in_sleeps(monkeypatch)
    with settings_env(LOGIN_DELAY_AFTER_FAILURES="1"):
        user = make_user()
        assert (await web_sign_in(client, user.email, "wrong password")).status_code == 401
        assert (await web_sign_in(client, user.email, "wrong password")).status_code == 401
        assert requested == [1.0]


async def test_signed_in_visit_to_sign_in_goes_on(client):
    user = make_user()
    await web_sign_in(client, user.email, PASSWORD)
    response = await client.get("/sign-in", params={"next": "/account"})
    assert response.status_code == 303
    assert response.headers["location"] == "/account"


async def test_sign_out_revokes_the_session_and_needs_the_csrf_secret(client):
    user = make_user()
    await web_sign_in(client, user.email, PASSWORD)
    page = await client.get("/account")
    csrf = hidden_value(page.text, "csrf_token")
    refused = await client.post("/sign-out", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert (await client.get("/account")).status_code == 200  # still signed in
    response = await client.post("/sign-out", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?notice=signed-out"
    cleared = _set_cookie_headers(response, "sysreview_session")
    assert cleared and "max-age=0" in cleared[0].lower()
    assert "You have signed out" in (await client.get("/sign-in?notice=signed-out")).text
    with session_scope() as s:
        token = s.exec(__import__("sqlmodel").select(AuthToken).where(AuthToken.user_id == user.id)).one()
        assert token.revoked_at is not None
    assert audit_rows("auth_token", action="revoke")[0].user_id == user.id


async def test_cookie_writes_without_csrf_are_refused(client):
    user = make_user()
    await web_sign_in(client, user.email, PASSWORD)
    response = await client.post("/account/tokens", data={"name": "x"}, headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    response = await client.post("/api/v1/auth/tokens", json={"name": "x"})
    assert response.status_code == 403
    page = await client.get("/account")
    response = await client.post(
        "/api/v1/auth/tokens",
        json={"name": "x"},
        headers={"X-CSRF-Token": hidden_value(page.text, "csrf_token")},
    )
    assert response.status_code == 201


async def test_home_lists_my_reviews_with_role_and_status(client):
    review = make_review(title="Review of Westshire", status="fieldwork")
    make_review(title="Somebody else's review")
    user = add_member(review, "self_assessor")
    await web_sign_in(client, user.email, PASSWORD)
    page = await client.get("/")
    assert page.status_code == 200
    assert f'href="/reviews/{review.id}"' in page.text
    assert "Review of Westshire" in page.text and "Self assessor" in page.text and "Fieldwork" in page.text
    assert "Somebody else" not in page.text
    assert "/admin/users" not in page.text and "/reviews/new" not in page.text


async def test_admin_home_shows_every_review_and_admin_links(client):
    admin = make_user(admin=True)
    make_review(title="Review of Westshire")
    make_review(title="Review of Eastshire")
    await web_sign_in(client, admin.email, PASSWORD)
    page = await client.get("/")
    assert "Review of Westshire" in page.text and "Review of Eastshire" in page.text
    assert 'href="/reviews/new"' in page.text and 'href="/admin/users"' in page.text


async def test_account_page_creates_shows_once_and_revokes_tokens(client):
    user = make_user()
    await web_sign_in(client, user.email, PASSWORD)
    csrf = hidden_value((await client.get("/account")).text, "csrf_token")
    created = await client.post(
        "/account/tokens", data={"name": "team laptop import", "expires_in_days": "30", "csrf_token": csrf}
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-token-value" type="text" readonly value="([^"]+)"', created.text).group(1)
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})).status_code == 200
    again = await client.get("/account")
    assert secret not in again.text and "team laptop import" in again.text
    with session_scope() as s:
        (token,) = service.list_tokens(s, user=s.get(User, user.id))
    revoked = await client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert "The token has been revoked" in (await client.get(revoked.headers["location"])).text
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})).status_code == 401


async def test_account_token_form_errors(client):
    user = make_user()
    await web_sign_in(client, user.email, PASSWORD)
    csrf = hidden_value((await client.get("/account")).text, "csrf_token")
    response = await client.post(
        "/account/tokens", data={"name": "x", "expires_in_days": "soon", "csrf_token": csrf}
    )
    assert response.status_code == 422
    assert 'href="#expires_in_days"' in response.text
    response = await client.post("/account/tokens", data={"name": "", "csrf_token": csrf})
    assert response.status_code == 422
    assert 'href="#name"' in response.text


async def test_change_own_password(client):
    user = make_user()
    await web_sign_in(client, user.email, PASSWORD)
    csrf = hidden_value((await client.get("/account")).text, "csrf_token")
    wrong = await client.post(
        "/account/password",
        data={
            "current_password": "nope",
            "new_password": "another long one",
            "confirm_password": "another long one",
            "csrf_token": csrf,
        },
    )
    assert wrong.status_code == 422 and 'href="#current_password"' in wrong.text
    mismatch = await client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "another long one",
            "confirm_password": "different",
            "csrf_token": csrf,
        },
    )
    assert mismatch.status_code == 422 and 'href="#confirm_password"' in mismatch.text
    done = await client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "another long one",
            "confirm_password": "another long one",
            "csrf_token": csrf,
        },
    )
    assert done.status_code == 303
    with session_scope() as s:
        assert service.authenticate(s, email=user.email, password="another long one") is not None
    assert audit_rows("user", action="update", entity_id=str(user.id))[-1].user_id == user.id


async def test_admin_users_page_creates_edits_and_deactivates(client):
    admin = make_user(admin=True)
    await web_sign_in(client, admin.email, PASSWORD)
    page = await client.get("/admin/users")
    assert page.status_code == 200
    csrf = hidden_value(page.text, "csrf_token")
    created = await client.post(
        "/admin/users",
        data={
            "email": "carer.lead@example.org",
            "display_name": "Carol Lead",
            "password": "long enough pw",
            "csrf_token": csrf,
        },
    )
    assert created.status_code == 303
    listing = await client.get(created.headers["location"])
    assert "Carol Lead" in listing.text and "The account has been created" in listing.text
    with session_scope() as s:
        carol = service.user_by_email(s, "carer.lead@example.org")
    edited = await client.post(
        f"/admin/users/{carol.id}",
        data={
            "display_name": "Carol Leader",
            "is_admin": "yes",
            "is_active": "yes",
            "password": "",
            "csrf_token": csrf,
        },
    )
    assert edited.status_code == 303
    off = await client.post(f"/admin/users/{carol.id}/active", data={"active": "no", "csrf_token": csrf})
    assert off.status_code == 303 and off.headers["location"] == "/admin/users?done=deactivated"
    with session_scope() as s:
        carol = s.get(User, carol.id)
        assert (carol.display_name, carol.is_admin, carol.is_active) == ("Carol Leader", True, False)
    rows = audit_rows("user", entity_id=str(carol.id))
    assert [r.action for r in rows] == ["create", "update", "update"]
    assert all(r.user_id == admin.id for r in rows)


async def test_admin_users_page_errors_and_self_protection(client):
    admin = make_user(admin=True)
    await web_sign_in(client, admin.email, PASSWORD)
    csrf = hidden_value((await client.get("/admin/users")).text, "csrf_token")
    bad = await client.post(
        "/admin/users",
        data={"email": "nobody", "display_name": "N", "password": "long enough pw", "csrf_token": csrf},
    )
    assert bad.status_code == 422 and 'href="#email"' in bad.text and 'value="nobody"' in bad.text
    own = await client.post(
        f"/admin/users/{admin.id}",
        data={"display_name": "Renamed", "is_admin": "yes", "is_active": "", "csrf_token": csrf},
    )
    assert own.status_code == 422 and "cannot deactivate your own account" in own.text
    with session_scope() as s:
        assert s.get(User, admin.id).display_name == admin.display_name  # nothing half-saved


async def test_admin_pages_are_refused_to_others(client):
    user = make_user()
    await web_sign_in(client, user.email, PASSWORD)
    response = await client.get("/admin/users", headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert "only administrators can do this" in response.text
