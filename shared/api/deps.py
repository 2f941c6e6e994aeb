"""FastAPI dependencies shared by every service, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPBearer

from shared.auth import Principal
from shared.errors import InvalidInput, NotAuthenticated


class BearerPrincipal(HTTPBearer):
    """The caller, from `Authorization: Bearer <JWT>`; in OpenAPI as the bearer security scheme
    (the docs page's Authorize button)."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        authorization = request.headers.get("authorization")
        if not authorization or authorization[:7].lower() != "bearer ":
            raise NotAuthenticated("send 'Authorization: Bearer <token>'; mint one with ./vanguard token")
        return request.app.state.tokens.verify(authorization[7:].strip())


get_principal = BearerPrincipal(
    bearerFormat="JWT",
    scheme_name="bearer",
    description="A token from ./vanguard token: role, department and branch are claims in it.",
    auto_error=False,
)


async def get_request_id(idempotency_key: Annotated[str | None, Header()] = None) -> str | None:
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 128):
        raise InvalidInput("the Idempotency-Key header must be 1–128 characters")
    return idempotency_key


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
RequestId = Annotated[str | None, Depends(get_request_id)]
