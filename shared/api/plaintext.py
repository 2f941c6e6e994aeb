"""Refuse control characters in a request's path, query and command headers before any route runs.

Bodies are checked field by field (shared.api.bodies); this covers what a body cannot: a NUL in
`/departments/%00/audit-trail` or `?department=%00` would otherwise reach PostgreSQL, which
cannot store it. The answer is a 422 problem naming the parameter.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.api.problems import problem
from shared.text import text_problem

# Headers whose value becomes data (an idempotency key is stored with the events it answers).
_CHECKED_HEADERS = (b"idempotency-key", b"x-filename")


def request_text_problem(scope: Scope) -> str | None:
    """What is wrong with the request's path, query or checked headers (None if nothing)."""
    path = scope.get("path", "")
    for n, segment in enumerate(path.split("/")):
        problem_ = text_problem(segment, multiline=False)
        if problem_:
            return f"path segment {n} {problem_}"
    query = scope.get("query_string", b"").decode("utf-8", errors="surrogateescape")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="surrogateescape"):
        for part in (name, value):
            problem_ = text_problem(part, multiline=False)
            if problem_:
                return f"query parameter '{_shown(name)}' {problem_}"
    for header, raw in scope.get("headers", ()):
        if header in _CHECKED_HEADERS:
            value = unquote(raw.decode("utf-8", errors="surrogateescape"), errors="surrogateescape")
            problem_ = text_problem(value, multiline=False)
            if problem_:
                return f"header {header.decode()} {problem_}"
    return None


def _shown(name: str) -> str:
    return name.encode("unicode_escape", errors="backslashreplace").decode("ascii")[:64]


class PlainText:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = request_text_problem(scope)
            if found is not None:
                await problem(422, "invalid_input", found)(scope, receive, send)
                return
        await self.app(scope, receive, send)
