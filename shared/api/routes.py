"""Routes of every service: sync endpoints in bridge greenlets, request-level parameters up front.

Sync endpoints run on the event loop, in a bridge greenlet, not in a thread. The application
code stays plain sync code; each query it makes to the event store is awaited in place by the
request's task (see shared.persistence.asyncpg_store.greenlets). Work that holds the CPU for long
(rendering a PDF) belongs in an async endpoint that hands it to a thread.

Parameters annotated with a `FromRequest` marker (the caller's principal, the request id, the
service's application) are computed from the request before anything else, in the order the
endpoint declares them, and handed to the endpoint; FastAPI's dependency solver never sees them.
Each would otherwise be a sub-dependency solved on every request, and those solves were a fifth
of a command's CPU time. Their OpenAPI entries (security requirement, header parameter) come
from the marker.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import typing
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, get_origin

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from shared.persistence.asyncpg_store.greenlets import bridged, run_sync

__all__ = ["BridgedRoute", "FromRequest", "run_sync", "service_router"]

_SCOPE_KEY = "vanguard.from_request"
_REQUEST = "_vanguard_request"


@dataclass(frozen=True)
class FromRequest:
    """`Annotated[T, FromRequest(provide, openapi)]`: the value is `provide(request)`.

    `provide` is sync and quick (it runs on the event loop); its errors answer the request as
    any error does. `openapi` is merged into the operation (lists are appended).
    """

    provide: Callable[[Request], Any]
    openapi: Mapping[str, Any] = field(default_factory=dict)


def _markers(endpoint: Callable[..., Any]) -> dict[str, FromRequest]:
    hints = typing.get_type_hints(endpoint, include_extras=True)
    found: dict[str, FromRequest] = {}
    for name in inspect.signature(endpoint).parameters:
        hint = hints.get(name)
        if get_origin(hint) is Annotated:
            marker = next((m for m in hint.__metadata__ if isinstance(m, FromRequest)), None)
            if marker is not None:
                found[name] = marker
    return found


def _without(endpoint: Callable[..., Any], markers: Mapping[str, FromRequest]) -> Callable[..., Any]:
    """`endpoint` taking the marked parameters from the request's scope, and the request itself
    (its own `Request` parameter if it has one) in their place."""
    hints = typing.get_type_hints(endpoint, include_extras=True)
    signature = inspect.signature(endpoint)
    kept = [
        p.replace(annotation=hints.get(name, p.annotation))
        for name, p in signature.parameters.items()
        if name not in markers
    ]
    own = next((p.name for p in kept if p.annotation is Request), None)
    if own is None:
        kept.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))

    def arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
        request = kwargs[own] if own is not None else kwargs.pop(_REQUEST)
        kwargs.update(request.scope[_SCOPE_KEY])
        return kwargs

    if asyncio.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def call_async(**kwargs: Any) -> Any:
            return await endpoint(**arguments(kwargs))

        wrapper: Callable[..., Any] = call_async
    else:

        @functools.wraps(endpoint)
        def call(**kwargs: Any) -> Any:
            return endpoint(**arguments(kwargs))

        wrapper = call
    del wrapper.__wrapped__  # FastAPI must read the signature below, not the endpoint's
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=kept, return_annotation=hints.get("return", signature.return_annotation)
    )
    return wrapper


def _merged(openapi: Mapping[str, Any] | None, markers: Mapping[str, FromRequest]) -> dict[str, Any] | None:
    merged: dict[str, Any] = dict(openapi or {})
    for marker in markers.values():
        for key, value in marker.openapi.items():
            merged[key] = [*merged.get(key, []), *value] if isinstance(value, list) else value
    return merged or None


class BridgedRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self._from_request = _markers(endpoint)
        if self._from_request:
            endpoint = _without(endpoint, self._from_request)
            kwargs["openapi_extra"] = _merged(kwargs.get("openapi_extra"), self._from_request)
        if not asyncio.iscoroutinefunction(endpoint):
            endpoint = bridged(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        markers = self._from_request
        if not markers:
            return handler

        async def handle(request: Request) -> Response:
            request.scope[_SCOPE_KEY] = {name: marker.provide(request) for name, marker in markers.items()}
            return await handler(request)

        return handle


def service_router() -> APIRouter:
    return APIRouter(route_class=BridgedRoute)
