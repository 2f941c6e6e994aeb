"""Routes whose sync endpoints run on the event loop, in a bridge greenlet, not in a thread.

The application code stays plain sync code; each query it makes to the event store is awaited
in place by the request's task (see shared.persistence.asyncpg_store.greenlets). Work that holds
the CPU for long (rendering a PDF) belongs in an async endpoint that hands it to a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from shared.persistence.asyncpg_store.greenlets import bridged, run_sync

__all__ = ["BridgedRoute", "run_sync", "service_router"]


class BridgedRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not asyncio.iscoroutinefunction(endpoint):
            endpoint = bridged(endpoint)
        super().__init__(path, endpoint, **kwargs)


def service_router() -> APIRouter:
    return APIRouter(route_class=BridgedRoute)
