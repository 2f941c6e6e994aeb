"""A ceiling on request bodies, counted as they arrive (a chunked body has no Content-Length)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.api.problems import problem

MAX_BODY_BYTES = 1_000_000


def too_large(size: int | str) -> HTTPException:
    return HTTPException(413, f"the body is {size} bytes or more; at most {MAX_BODY_BYTES} bytes allowed")


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:  # refused before reading a byte of it
            response = problem(413, "body_too_large", str(too_large(int(length)).detail))
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise too_large(received)
            return message

        await self.app(scope, counted, send)
