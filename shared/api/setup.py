"""The common shell of every service's FastAPI app."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from shared.api.limits import MAX_BODY_BYTES, BodyLimit, too_large
from shared.api.problems import install_problem_handlers, problem
from shared.auth import TokenCodec
from shared.observability import COMMANDS, HTTP_LATENCY, HTTP_REQUESTS

_COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 409:
        return "conflict"
    return "refused" if status < 500 else "error"


def _registry() -> CollectorRegistry:
    """With several uvicorn workers, every worker's samples (PROMETHEUS_MULTIPROC_DIR, set by serve())."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def create_service_app(service: str, instance: str, jwt_secret: str, **kwargs: Any) -> FastAPI:
    app = FastAPI(title=f"Vanguard {service} ({instance})", **kwargs)
    app.state.tokens = TokenCodec(jwt_secret)
    app.state.service = service
    app.state.instance = instance
    install_problem_handlers(app)
    app.add_middleware(BodyLimit)

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return problem(413, "body_too_large", too_large(length).detail)
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        HTTP_LATENCY.labels(service, request.method, path).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(service, request.method, path, str(response.status_code)).inc()
        if request.method in _COMMAND_METHODS:
            COMMANDS.labels(service, path, _outcome(response.status_code)).inc()
        return response

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok", "service": service, "instance": instance}

    return app
