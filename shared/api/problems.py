"""Errors as JSON problem details (RFC 9457) with a message a person understands."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shared.errors import VanguardError

PROBLEM_JSON = "application/problem+json"


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://vanguard.example/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path or "request body"


def _explain(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    where = _where(tuple(error.get("loc", ())))
    if kind == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'syntax error')})"
    if kind == "extra_forbidden":
        return f"{where}: unknown field; remove it"
    if kind == "missing":
        return f"{where}: required"
    return f"{where}: {error.get('msg', 'invalid')}"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(VanguardError)
    async def domain_error(_: Request, exc: VanguardError) -> JSONResponse:
        response = problem(exc.status, exc.code, exc.message, **exc.details)
        if "retry_after_seconds" in exc.details:
            response.headers["Retry-After"] = str(exc.details["retry_after_seconds"])
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_explain(e) for e in exc.errors()]
        return problem(422, "invalid_input", "; ".join(errors), errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = {413: "body_too_large", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem(exc.status_code, code, str(exc.detail))
