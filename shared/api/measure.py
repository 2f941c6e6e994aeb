"""Request metrics as a plain ASGI middleware (the decorator kind costs a quarter of a request)."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability import COMMANDS, HTTP_LATENCY, HTTP_REQUESTS

_COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 409:
        return "conflict"
    return "refused" if status < 500 else "error"


class Measure:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        # (method, route, status) -> its samples' children: labels() costs a lock and a lookup.
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def _series(self, method: str, path: str, status: int) -> tuple[Any, Any, Any]:
        key = (method, path, status)
        children = self._children.get(key)
        if children is None:
            command = COMMANDS.labels(self.service, path, outcome(status)) if method in _COMMAND_METHODS else None
            children = (
                HTTP_LATENCY.labels(self.service, method, path),
                HTTP_REQUESTS.labels(self.service, method, path, str(status)),
                command,
            )
            self._children[key] = children  # as many as the series themselves: routes, not raw paths
        return children

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            latency, requests, command = self._series(
                scope["method"], getattr(scope.get("route"), "path", "unmatched"), status
            )
            latency.observe(time.perf_counter() - started)
            requests.inc()
            if command is not None:
                command.inc()
