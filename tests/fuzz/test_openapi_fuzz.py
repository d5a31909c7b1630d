"""Fuzzing the whole API from its OpenAPI document (Schemathesis).

Every operation gets generated requests from an administrator's personal access token and from
a reviewer's, against a review in fieldwork holding evidence, a finding and a recommendation.
Each answer must be no server error and must match what the document says (status code,
content type, body schema, headers). The seed is fixed so a run can be repeated exactly.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis import checks as st_checks

from app.accounts import service as accounts
from app.core.db import session_scope
from app.main import create_app
from tests.factories import add_member, add_organisation, make_evidence, make_review, make_user

pytestmark = [pytest.mark.slow, pytest.mark.fuzz]

EXAMPLES = 20
_ALTERNATE = itertools.count()
SEED = 20261127

# Operations that end the credential the fuzzer itself is using: after one of them every later
# request would only test the 401 answer.
SELF_ENDING = {
    ("POST", "/api/v1/auth/revoke"),
    ("DELETE", "/api/v1/auth/token"),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"),
    ("PATCH", "/api/v1/users/{user_id}"),
}


@pytest.fixture
def fuzz_world(db) -> dict[str, Any]:
    """A review with material in it, and a personal access token for an admin and a reviewer."""
    admin = make_user(admin=True, name="Fuzz Admin")
    review = make_review(admin=admin, status="fieldwork")
    add_organisation(review, "Northshire County Council", "local_authority")
    reviewer = add_member(review, "reviewer")
    add_member(review, "lead", user=admin)
    make_evidence(review, reviewer, title="Bed meeting observed")
    with session_scope() as s:
        tokens = {
            who: accounts.create_personal_token(s, user=user, name=f"fuzz {who}").token
            for who, user in (("admin", admin), ("reviewer", reviewer))
        }
    user_ids = {"admin": admin.id, "reviewer": reviewer.id}
    return {"review_id": review.id, "user_ids": user_ids, "tokens": tokens}


# The app is built once at collection, so that every operation becomes a test of its own; it
# reaches the database only when called, through the engine the test fixtures set up.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


def _aim(case: Any, world: dict[str, Any], who: str) -> None:
    """Point half of the cases at the real review and the caller's own account, so the fuzzer
    reaches past the 404 for an unknown review into the handlers."""
    params = case.path_parameters or {}
    if next(_ALTERNATE) % 2:
        return
    if "review_id" in params:
        params["review_id"] = world["review_id"]
    if "user_id" in params:
        params["user_id"] = world["user_ids"][who]


def _check(case: Any, world: dict[str, Any], who: str) -> None:
    if (case.method.upper(), case.path) in SELF_ENDING:
        pytest.skip("ends the credential the fuzzer uses")
    _aim(case, world, who)
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world['tokens'][who]}"},
        checks=[
            st_checks.not_a_server_error,
            st_checks.status_code_conformance,
            st_checks.content_type_conformance,
            st_checks.response_schema_conformance,
            st_checks.response_headers_conformance,
        ],
    )


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@seed(SEED)
@FUZZ_SETTINGS
def test_every_operation_answers_an_administrator_as_documented(case, fuzz_world) -> None:  # type: ignore[no-untyped-def]
    _check(case, fuzz_world, "admin")


@schema.parametrize()
@seed(SEED)
@FUZZ_SETTINGS
def test_every_operation_answers_a_reviewer_as_documented(case, fuzz_world) -> None:  # type: ignore[no-untyped-def]
    _check(case, fuzz_world, "reviewer")
