"""The common shell of every service's FastAPI app."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from shared.api.limits import BodyLimit
from shared.api.measure import Measure
from shared.api.problems import install_problem_handlers
from shared.auth import TokenCodec


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
    app.add_middleware(Measure, service=service)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok", "service": service, "instance": instance}

    return app
