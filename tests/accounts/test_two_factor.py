"""Two-factor sign-in: enrolment, codes at sign-in (API and web), recovery codes, who must have it."""

from __future__ import annotations

import time

import pyotp
import pytest
from accounts_helpers import audit_rows, hidden_value, settings_env, web_sign_in
from sqlmodel import select

from app.accounts import service, two_factor
from app.accounts.api import CODE_NEEDED, ENROL_FIRST
from app.accounts.models import RecoveryCode, TwoFactor, User
from app.core.config import Settings
from app.core.db import session_scope
from tests.factories import PASSWORD, add_member, auth, make_review, make_user

pytestmark = pytest.mark.anyio


def code_for(secret: str, steps_ahead: int = 0) -> str:
    """The code an app shows `steps_ahead` 30-second steps from now."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def enrol(user: User) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on for `user`; returns the secret and the recovery codes.

    Confirmed with the previous step's code, so the current and next codes are still unused.
    """
    with session_scope() as s:
        person = s.get(User, user.id)
        started = two_factor.start_enrolment(s, user=person)
        secret = started.secret
        codes = two_factor.confirm_enrolment(s, user=person, code=code_for(secret, -1))
    return secret, codes


async def _token(client, email: str, password: str = PASSWORD, **extra):
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password, **extra})


def test_enrolment_is_on_only_once_a_code_confirms_it(db):
    user = make_user()
    with session_scope() as s:
        person = s.get(User, user.id)
        started = two_factor.start_enrolment(s, user=person)
        assert not two_factor.is_enrolled(s, person)
        uri = two_factor.provisioning_uri(started, person)
        assert uri.startswith("otpauth://totp/sysreview:") and f"secret={started.secret}" in uri
        assert two_factor.qr_code_data_uri(uri).startswith("data:image/svg+xml")
        with pytest.raises(Exception, match="code is not right"):
            two_factor.confirm_enrolment(
                s, user=person, code="000000" if code_for(started.secret) != "000000" else "111111"
            )
        codes = two_factor.confirm_enrolment(s, user=person, code=code_for(started.secret))
        assert two_factor.is_enrolled(s, person)
    assert len(codes) == 10 and len(set(codes)) == 10
    with session_scope(read_only=True) as s:
        stored = [row.code_hash for row in s.exec(select(RecoveryCode))]
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept
    on = audit_rows("user", action="update")[-1]
    assert on.changes == {"two_factor": [False, True]}
    assert "secret" not in str(on.changes) and started.secret not in str(on.changes)


async def test_token_endpoint_asks_enrolled_accounts_for_the_code(client):
    user = make_user()
    secret, _ = enrol(user)
    missing = await _token(client, user.email)
    assert missing.status_code == 401 and missing.json()["detail"] == CODE_NEEDED
    wrong = await _token(client, user.email, totp="12345")
    assert wrong.status_code == 401
    with session_scope(read_only=True) as s:
        assert service.recent_failures(s, user.email) == 1  # a wrong code counts towards a lockout
    right = await _token(client, user.email, totp=code_for(secret))
    assert right.status_code == 200
    replayed = await _token(client, user.email, totp=code_for(secret))
    assert replayed.status_code == 401  # each code works once


async def test_a_recovery_code_signs_in_once(client):
    user = make_user()
    _, codes = enrol(user)
    assert (await _token(client, user.email, totp=codes[3].upper())).status_code == 200
    assert (await _token(client, user.email, totp=codes[3])).status_code == 401
    used = audit_rows("user", action="update")[-1]
    assert used.changes == {"recovery_code_used": [None, True]}
    assert "9 left" in used.reason


async def test_personal_access_tokens_keep_working_for_scripts(client):
    user = make_user()
    with session_scope() as s:
        issued = service.create_personal_token(s, user=s.get(User, user.id), name="nightly import")
    enrol(user)
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.token}"})
    assert me.status_code == 200


def test_admins_need_it_in_production_unless_settings_say_otherwise():
    key = "k" * 40
    assert Settings(environment="production", secret_key=key).two_factor_for_admins
    assert not Settings(environment="development").two_factor_for_admins
    assert not Settings(
        environment="production", secret_key=key, require_two_factor_for_admins=False
    ).two_factor_for_admins
    assert Settings(environment="development", require_two_factor_for_admins=True).two_factor_for_admins


async def test_an_admin_without_it_is_sent_to_set_it_up_at_sign_in(client):
    with settings_env(REQUIRE_TWO_FACTOR_FOR_ADMINS="true"):
        admin = make_user(admin=True)
        refused = await _token(client, admin.email)
        assert refused.status_code == 403 and refused.json()["detail"] == ENROL_FIRST
        setup = await web_sign_in(client, admin.email, PASSWORD, next_path="/account")
        assert setup.status_code == 200
        assert "Set up two-factor sign-in" in setup.text and "data:image/svg+xml" in setup.text
        assert "sysreview_session" not in client.cookies  # not signed in yet
        with session_scope(read_only=True) as s:
            secret = s.exec(select(TwoFactor)).one().secret
        form = {
            "csrf_token": hidden_value(setup.text, "csrf_token"),
            "step": hidden_value(setup.text, "step"),
            "next": "/account",
        }
        wrong = await client.post("/sign-in/two-factor", data={**form, "code": "000000x"})
        assert wrong.status_code == 422 and "The code is not right" in wrong.text
        done = await client.post("/sign-in/two-factor", data={**form, "code": code_for(secret)})
        assert done.status_code == 200
        assert done.headers["cache-control"] == "no-store"
        assert done.text.count("<li><code>") == 10
        assert 'href="/account"' in done.text
        account = await client.get("/account")
        assert account.status_code == 200 and "unused recovery codes" in account.text
        assert "cannot be turned off" in account.text


async def test_an_admin_can_require_it_for_leads(client):
    admin = make_user(admin=True)
    review = make_review(admin=admin)
    lead = add_member(review, "lead")
    reviewer = add_member(review, "reviewer")
    await web_sign_in(client, admin.email, PASSWORD)
    csrf = hidden_value((await client.get("/admin/users")).text, "csrf_token")
    saved = await client.post(
        "/admin/sign-in-rules", data={"two_factor_for_leads": "yes", "csrf_token": csrf}
    )
    assert saved.status_code == 303
    rule = audit_rows("account_policy")
    assert len(rule) == 1 and rule[0].user_id == admin.id
    assert rule[0].changes == {"two_factor_for_leads": [False, True]}
    assert (await _token(client, lead.email)).status_code == 403
    assert (await _token(client, reviewer.email)).status_code == 200
    page = await client.get("/admin/users")
    assert 'id="two_factor_for_leads" name="two_factor_for_leads" value="yes" checked' in page.text


async def test_web_sign_in_asks_for_the_code_on_a_second_step(client):
    user = make_user()
    secret, codes = enrol(user)
    step = await web_sign_in(client, user.email, PASSWORD, next_path="/account")
    assert step.status_code == 200 and "Enter your code" in step.text
    assert "sysreview_session" not in client.cookies
    form = {
        "csrf_token": hidden_value(step.text, "csrf_token"),
        "step": hidden_value(step.text, "step"),
        "next": "/account",
    }
    wrong = await client.post("/sign-in/code", data={**form, "code": "123"})
    assert wrong.status_code == 401 and "The code is not right" in wrong.text
    forged = await client.post(
        "/sign-in/code",
        data={**form, "step": f"{user.id + 1}:{form['step'].split(':', 1)[1]}", "code": code_for(secret)},
    )
    assert forged.status_code == 403  # the step value is signed for one person
    done = await client.post("/sign-in/code", data={**form, "code": code_for(secret)})
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert (await client.get("/account")).status_code == 200


async def test_set_up_replace_codes_and_turn_off_from_the_account_page(client):
    user = make_user()
    await web_sign_in(client, user.email, PASSWORD)
    account = await client.get("/account")
    assert "Set up two-factor sign-in" in account.text
    csrf = hidden_value(account.text, "csrf_token")
    setup = await client.post("/account/two-factor", data={"csrf_token": csrf})
    assert setup.status_code == 200 and "data:image/svg+xml" in setup.text
    with session_scope(read_only=True) as s:
        secret = s.exec(select(TwoFactor)).one().secret
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in setup.text
    confirmed = await client.post(
        "/account/two-factor/confirm", data={"code": code_for(secret, -1), "csrf_token": csrf}
    )
    assert confirmed.status_code == 200 and confirmed.text.count("<li><code>") == 10
    refused = await client.post(
        "/account/two-factor/recovery-codes", data={"recovery_code": "000", "csrf_token": csrf}
    )
    assert refused.status_code == 422 and 'href="#recovery_code"' in refused.text
    renewed = await client.post(
        "/account/two-factor/recovery-codes", data={"recovery_code": code_for(secret), "csrf_token": csrf}
    )
    assert renewed.status_code == 200 and renewed.text.count("<li><code>") == 10
    off = await client.post(
        "/account/two-factor/off", data={"off_code": code_for(secret, 1), "csrf_token": csrf}
    )
    assert off.status_code == 303
    with session_scope(read_only=True) as s:
        assert not two_factor.is_enrolled(s, s.get(User, user.id))


async def test_an_administrator_can_remove_a_lost_phone(client):
    admin = make_user(admin=True)
    user = make_user()
    enrol(user)
    await web_sign_in(client, admin.email, PASSWORD)
    csrf = hidden_value((await client.get(f"/admin/users/{user.id}")).text, "csrf_token")
    done = await client.post(f"/admin/users/{user.id}/two-factor/reset", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert (await _token(client, user.email)).status_code == 200
    assert audit_rows("user", action="update")[-1].user_id == admin.id


async def test_an_admin_api_token_needs_no_code_when_not_required(client):
    admin = make_user(admin=True)
    assert (await _token(client, admin.email)).status_code == 200
    assert (await client.get("/api/v1/users", headers=auth(admin))).status_code == 200
