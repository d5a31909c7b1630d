"""Security headers, the request size limit and generic 500 answers."""

from __future__ import annotations

import httpx
import pytest
from accounts_helpers import settings_env

from app.core.middleware import CSP

pytestmark = pytest.mark.anyio

EXPECTED_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/sign-in", "text/html"),
        ("/api/v1/frameworks", "application/json"),
        ("/api/v1/me", "application/json"),  # an error answer too
        ("/no-such-page", "text/html"),
        ("/static/site.css", "text/css"),
    ],
)
async def test_every_answer_carries_the_security_headers(client, path, accept):
    response = await client.get(path, headers={"Accept": accept})
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)


def test_policy_forbids_inline_script_and_framing():
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert "frame-ancestors 'none'" in CSP and "object-src 'none'" in CSP and "form-action 'self'" in CSP


async def test_api_docs_get_their_own_policy_only_there(client):
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "'unsafe-inline'" in docs.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    assert docs.headers["x-frame-options"] == "DENY"


@pytest.fixture
async def small_limit_client(db):
    from app.main import create_app

    with settings_env(MAX_REQUEST_BYTES="1000"):
        app = create_app()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_body_over_the_limit_with_content_length_is_refused(small_limit_client):
    response = await small_limit_client.post(
        "/api/v1/auth/token",
        content=b"username=" + b"a" * 2000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "the request body is larger than the limit of 1000 bytes"}
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_body_over_the_limit_without_content_length_is_refused(small_limit_client):
    async def chunks():
        for _ in range(5):
            yield b"a" * 400

    request = small_limit_client.build_request(
        "POST",
        "/api/v1/auth/token",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "content-length" not in request.headers  # sent chunked, so only counting can catch it
    response = await small_limit_client.send(request)
    assert response.status_code == 413


async def test_body_under_the_limit_passes(small_limit_client):
    response = await small_limit_client.post(
        "/api/v1/auth/token", data={"username": "nobody@example.org", "password": "not this one"}
    )
    assert response.status_code == 401


@pytest.fixture
async def failing_client(db):
    """A fresh app instance with one extra route that fails the way a bug would (test only)."""
    from app.main import create_app

    app = create_app()

    @app.get("/api/v1/test-only-boom")
    def boom() -> None:
        raise RuntimeError('psycopg.errors.UndefinedColumn: SELECT password_hash FROM "user" WHERE id = 1')

    @app.get("/test-only-boom-page")
    def boom_page() -> None:
        raise RuntimeError("SELECT password_hash FROM user")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_unexpected_errors_answer_generically(failing_client, caplog):
    response = await failing_client.get("/api/v1/test-only-boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "something went wrong on our side; the error has been logged"}
    assert "SELECT" not in response.text and "Traceback" not in response.text
    assert "password_hash" in caplog.text  # the log keeps what the client never sees


async def test_unexpected_errors_on_pages_show_a_plain_page(failing_client):
    response = await failing_client.get("/test-only-boom-page", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert "something went wrong on our side" in response.text
    assert (
        "SELECT" not in response.text
        and "Traceback" not in response.text
        and "RuntimeError" not in response.text
    )


async def test_unexpected_error_answers_carry_the_security_headers(failing_client):
    response = await failing_client.get("/test-only-boom-page", headers={"Accept": "text/html"})
    assert response.headers.get("content-security-policy") == CSP


async def test_a_page_post_over_the_limit_gets_a_page_not_json(client):
    from app.core.middleware import BodySizeLimit

    limited = BodySizeLimit(client._transport.app, max_bytes=1000)  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=limited)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.post(
            "/reviews/1/evidence/import",
            content=b"x" * 5000,
            headers={"accept": "text/html", "content-type": "application/octet-stream"},
        )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "too large" in response.text
