"""Issue 11, defect 8: the OpenAPI document describes the error answers the API really gives,
in one shape, and a 405 names every method the path answers."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from app.core.errors import ErrorBody
from tests.factories import auth, make_review, make_user

pytestmark = pytest.mark.anyio

STATUSES = ("400", "401", "403", "404", "409", "413", "422")
REF = "#/components/schemas/ErrorBody"


async def test_every_api_operation_documents_the_one_error_shape(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        if path.startswith("/api/")
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 30
    for path, method, operation in operations:
        for status in STATUSES:
            response = operation["responses"].get(status)
            assert response is not None, f"{method.upper()} {path} does not document {status}"
            assert response["content"]["application/json"]["schema"] == {"$ref": REF}, (method, path, status)
    schemas = document["components"]["schemas"]
    assert schemas["ErrorBody"]["properties"]["detail"]["type"] == "string"
    assert schemas["ErrorBody"]["properties"]["errors"]["type"] == "array"
    assert "HTTPValidationError" not in schemas


def _conforms(body: object) -> ErrorBody:
    try:
        return ErrorBody.model_validate(body, strict=True)
    except ValidationError as exc:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"{body!r} is not an ErrorBody: {exc}") from exc


async def test_error_answers_have_the_documented_shape(client: httpx.AsyncClient, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(admin=True)
    review = make_review(admin=admin)
    headers = auth(admin)
    invalid = await client.post("/api/v1/reviews", json={"title": 5}, headers=headers)
    assert invalid.status_code == 422
    assert isinstance(_conforms(invalid.json()).detail, str)
    assert _conforms(invalid.json()).errors
    missing = await client.get("/api/v1/reviews/999999", headers=headers)
    assert missing.status_code == 404
    _conforms(missing.json())
    unsigned = await client.get(f"/api/v1/reviews/{review.id}")
    assert unsigned.status_code == 401
    _conforms(unsigned.json())
    wrong_method = await client.put(f"/api/v1/reviews/{review.id}", json={}, headers=headers)
    assert wrong_method.status_code == 405
    _conforms(wrong_method.json())
    no_such_route = await client.get("/api/v1/nothing-here", headers=headers)
    assert no_such_route.status_code == 404
    _conforms(no_such_route.json())


async def test_a_405_names_every_method_the_path_answers(client: httpx.AsyncClient, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(admin=True)
    review = make_review(admin=admin)
    document = (await client.get("/openapi.json")).json()
    documented = {m.upper() for m in document["paths"]["/api/v1/reviews/{review_id}"]}
    response = await client.put(f"/api/v1/reviews/{review.id}", json={}, headers=auth(admin))
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert documented <= allowed, (documented, allowed)
    assert "PUT" not in allowed
    listing = await client.delete("/api/v1/reviews", headers=auth(admin))
    assert listing.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in listing.headers["allow"].split(",")}
