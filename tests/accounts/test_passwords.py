"""Password rules: at least 12 characters, not common, not easy to guess, not the person's own details."""

from __future__ import annotations

import pytest
from accounts_helpers import audit_rows

from app.accounts import service
from app.accounts.models import User
from app.accounts.passwords import TOO_COMMON, check_password, is_common
from app.core.db import session_scope
from app.core.errors import Invalid
from tests.factories import PASSWORD, auth, make_user

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("elevenchars", "must be at least 12 characters"),
        ("qwertyuiop123", TOO_COMMON),  # on the common list with digits on the end
        ("Password2024!", TOO_COMMON),
        ("123456789012", TOO_COMMON),
        ("qwertyuiopasdf", TOO_COMMON),  # a keyboard run: easy to guess though not listed
        ("aaaaaaaaaaaaaaaa", TOO_COMMON),
    ],
)
def test_weak_passwords_are_refused_naming_the_field(password, message):
    with pytest.raises(Invalid) as refused:
        check_password(password, field="new_password")
    assert refused.value.message == message
    assert refused.value.field == "new_password"


def test_a_password_made_of_the_persons_own_details_is_refused():
    with pytest.raises(Invalid, match="name or email"):
        check_password("margaret.thatch1", personal=("margaret.thatch@example.org", "Margaret Thatch"))


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        "sysreview-demo",
        "plum kettle orbit 42",
        "the heron waits by the weir while seven lanterns drift past the old mill at dusk, quietly",
    ],
)
def test_strong_passwords_pass(password):
    check_password(password, personal=("someone@example.org", "Some One"))


def test_the_common_list_is_shipped_with_the_package():
    assert is_common("password") and is_common("Password123") and is_common("!!dragon!!")
    assert not is_common("plum kettle orbit")


async def test_creating_a_user_with_a_common_password_is_refused(client):
    admin = make_user(admin=True)
    response = await client.post(
        "/api/v1/users",
        json={"email": "new@example.org", "display_name": "New Person", "password": "password123456"},
        headers=auth(admin),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "password", "message": TOO_COMMON}]


def test_admin_reset_to_a_common_password_is_refused_and_nothing_changes(db):
    admin = make_user(admin=True)
    user = make_user()
    before = len(audit_rows("user"))
    with session_scope() as s, pytest.raises(Invalid):
        service.update_user(s, acting_user=s.get(User, admin.id), user_id=user.id, password="iloveyou1234")
    assert len(audit_rows("user")) == before
