"""FastAPI dependencies shared by every service, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from shared.auth import Principal
from shared.errors import InvalidInput, NotAuthenticated


async def get_principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise NotAuthenticated("send 'Authorization: Bearer <token>'; mint one with ./vanguard token")
    return request.app.state.tokens.verify(authorization[7:].strip())


async def get_request_id(idempotency_key: Annotated[str | None, Header()] = None) -> str | None:
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 128):
        raise InvalidInput("the Idempotency-Key header must be 1–128 characters")
    return idempotency_key


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
RequestId = Annotated[str | None, Depends(get_request_id)]
