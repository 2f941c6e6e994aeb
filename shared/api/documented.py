"""The OpenAPI document says what every operation may answer besides success: a problem.

Every refusal is an RFC 9457 problem (shared.api.problems); clients generated from the document
get its schema, and the 422 FastAPI would describe as its own validation error is the problem too.
"""

from __future__ import annotations

from typing import Any

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "What went wrong, for a person (detail) and for a program (code, status).",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": ["https://vanguard.example/problems/invalid_input"]},
        "title": {"type": "string", "examples": ["invalid input"]},
        "status": {"type": "integer", "examples": [422]},
        "detail": {"type": "string", "examples": ["title: String should have at least 1 character"]},
        "code": {"type": "string", "examples": ["invalid_input"]},
        "errors": {"type": "array", "items": {"type": "string"}, "description": "each invalid field, on a 422"},
    },
    "additionalProperties": True,
}

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_ANSWERS = {
    "400": "the request cannot be read",
    "401": "no bearer token, or one that is forged, expired or for another issuer",
    "403": "your role or scope does not allow this",
    "404": "no such thing",
    "409": "the state does not allow this now, or expected_version is stale",
    "413": "the body is over 1 MB",
    "421": "this instance does not serve that department",
    "422": "a field is invalid: `detail` names it and says why",
    "429": "too many requests: Retry-After says when to try again",
}
_SECURED = {"401", "403"}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the problem responses on every operation of an OpenAPI document (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            secured = bool(operation.get("security"))
            for status, description in _ANSWERS.items():
                if status in _SECURED and not secured:
                    continue
                responses[status] = {"description": description, "content": _PROBLEM}
    return schema
