"""Request-level parameters every service shares, as Annotated aliases (see routes.FromRequest)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Request

from shared.api.routes import FromRequest
from shared.auth import Principal
from shared.errors import InvalidInput, NotAuthenticated

BEARER = "bearer"
# components.securitySchemes of every service's OpenAPI document (the docs page's Authorize button)
SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token from ./vanguard token: role, department and branch are claims in it.",
    }
}
IDEMPOTENCY_KEY = "idempotency-key"
MAX_IDEMPOTENCY_KEY = 128
# No ':': the services' own commands use keys like "seal:<project>", which a caller's key must
# never match (it would be taken for the service's own command, already answered).
_IDEMPOTENCY_KEY = re.compile(rf"[A-Za-z0-9._~/+=-]{{1,{MAX_IDEMPOTENCY_KEY}}}")


def principal_of(request: Request) -> Principal:
    """The caller, from `Authorization: Bearer <JWT>`."""
    authorization = request.headers.get("authorization")
    if not authorization or authorization[:7].lower() != "bearer ":
        raise NotAuthenticated("send 'Authorization: Bearer <token>'; mint one with ./vanguard token")
    return request.app.state.tokens.verify(authorization[7:].strip())


def request_id_of(request: Request) -> str | None:
    """The command's Idempotency-Key: a retried command with the same key records nothing twice."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput(
            f"the Idempotency-Key header must be 1–{MAX_IDEMPOTENCY_KEY} characters of letters, digits"
            " and - _ . ~ / + = (a UUID is ideal)"
        )
    return key


def app_state(name: str) -> FromRequest:
    """The object a service keeps as `app.state.<name>` (its application, its pool)."""
    return FromRequest(lambda request: getattr(request.app.state, name))


CurrentPrincipal = Annotated[Principal, FromRequest(principal_of, {"security": [{BEARER: []}]})]
RequestId = Annotated[
    str | None,
    FromRequest(
        request_id_of,
        {
            "parameters": [
                {
                    "name": IDEMPOTENCY_KEY,
                    "in": "header",
                    "required": False,
                    "description": "Send the same key when retrying a command: it is recorded once.",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY},
                }
            ]
        },
    ),
]
