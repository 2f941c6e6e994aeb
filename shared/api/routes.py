"""Routes whose sync endpoints run on the event loop, in a bridge greenlet, not in a thread.

The application code stays plain sync code; each query it makes to the event store is awaited
in place by the request's task (see shared.persistence.asyncpg_store.greenlets). An endpoint
that is slow for other reasons (rendering a PDF) says so with @blocking and keeps a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.routing import APIRoute

from shared.persistence.asyncpg_store.greenlets import bridged

F = TypeVar("F", bound=Callable[..., Any])


def blocking(endpoint: F) -> F:
    """Keep this sync endpoint in FastAPI's thread pool (it holds the CPU for long)."""
    endpoint.__vanguard_blocking__ = True  # type: ignore[attr-defined]
    return endpoint


class BridgedRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not asyncio.iscoroutinefunction(endpoint) and not getattr(endpoint, "__vanguard_blocking__", False):
            endpoint = bridged(endpoint)
        super().__init__(path, endpoint, **kwargs)


def service_router() -> APIRouter:
    return APIRouter(route_class=BridgedRoute)
