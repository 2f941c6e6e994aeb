"""The common shell of every service's FastAPI app."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI, Response
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from pydantic import Field

from shared.api.clock import programme_clock
from shared.api.clock import router as clock_router
from shared.api.deps import SECURITY_SCHEMES
from shared.api.documented import document_problems
from shared.api.limits import BodyLimit
from shared.api.measure import Measure
from shared.api.plaintext import PlainText
from shared.api.problems import install_problem_handlers
from shared.auth.tokens import TokenVerifier
from shared.runtime import settle_heap_if_serving
from shared.views import View


class Health(View):
    status: str = Field(examples=["ok"])
    service: str = Field(examples=["filing"])
    instance: str = Field(examples=["fgw"])


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def _registry() -> CollectorRegistry:
    """With several uvicorn workers, every worker's samples (PROMETHEUS_MULTIPROC_DIR, set by serve())."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _datastores(app: FastAPI) -> list[Any]:
    found = [getattr(getattr(a, "factory", None), "datastore", None) for a in app.state.applications]
    clock = programme_clock(app)
    found.append(clock.datastore if clock is not None else None)  # a shared manual clock's
    return [d for d in found if hasattr(d, "attach")]


def _with_datastores_on_the_loop(inner: Lifespan | None) -> Lifespan:
    """The service's applications query their event store from the server's loop while it runs."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        attached = _datastores(app)
        for datastore in attached:
            await datastore.attach()
        try:
            if inner is None:
                settle_heap_if_serving()
                yield None
            else:
                async with inner(app) as state:
                    settle_heap_if_serving()
                    yield state
        finally:
            for datastore in attached:
                await datastore.detach()

    return lifespan


def _document_security(app: FastAPI) -> None:
    """The bearer scheme in components (operations name it through deps.CurrentPrincipal), and the
    problem responses of every operation."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
            document_problems(schema)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def create_service_app(service: str, instance: str, tokens: TokenVerifier, **kwargs: Any) -> FastAPI:
    """The shell: problem details, body limit, metrics, health. Put the service's event-sourced
    applications in `app.state.applications`: their event stores then use the server's loop."""
    kwargs["lifespan"] = _with_datastores_on_the_loop(kwargs.get("lifespan"))
    # Our metrics are Prometheus's (Measure); FastAPI's own OpenTelemetry hooks would only look
    # for providers on every request.
    kwargs.setdefault("telemetry", {"tracing": False, "metrics": False, "logs": False})
    # The docs' Swagger UI and ReDoc are served from the service itself (fastapi-offline ships
    # them): deployments sit on intranets where a public CDN is out of reach.
    app = FastAPIOffline(title=f"Vanguard {service} ({instance})", **kwargs)
    app.state.applications = []
    app.state.tokens = tokens  # public keys only: no service can mint a token
    app.state.service = service
    app.state.instance = instance
    install_problem_handlers(app)
    _document_security(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(PlainText)
    app.add_middleware(Measure, service=service)

    app.include_router(clock_router)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["ops"])
    def health() -> Health:
        """Liveness."""
        return Health(status="ok", service=service, instance=instance)

    return app
