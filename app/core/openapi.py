"""The OpenAPI document says what the API really answers: one error shape, on every route.

FastAPI documents its own 422 shape (`detail` as a list) while the app answers `ErrorBody`
(`detail` a sentence, `errors` field by field), and leaves 400, 401, 403, 404, 409 and 413
undocumented. The document is built once (`app.main`) and then corrected here, so no route has
to repeat it.
"""

from __future__ import annotations

from typing import Any

from app.core.errors import ErrorBody

ERROR_STATUSES: dict[str, str] = {
    "400": "The request cannot be read",
    "401": "Not signed in, or the token has expired",
    "403": "Your role does not allow this",
    "404": "Not found (or not yours to see)",
    "409": "A conflict with what is stored, or the review no longer accepts this change",
    "413": "The request or a file in it is too large",
    "422": "Some input is not accepted; `errors` names each field",
}
_REF = {"$ref": "#/components/schemas/ErrorBody"}
_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": dict(_REF)}}}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every API operation documenting `ErrorBody` for each error status."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_body.pop("$defs", {}))  # ErrorItem
    components["ErrorBody"] = error_body
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                existing = responses.get(status)
                if existing is None or status == "422":
                    responses[status] = _error_response(description)
                else:  # a route's own words for the status are kept; the shape is the one shape
                    existing["content"] = {"application/json": {"schema": dict(_REF)}}
    # FastAPI's own validation shapes are no longer referred to.
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
