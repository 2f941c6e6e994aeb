"""Sync code on the event loop: the eventsourcing library's calls run in a greenlet, and every
recorder query it makes is awaited by the task that started it (SQLAlchemy's asyncio bridge).

A command then costs no thread hand-offs at all: no worker thread for the endpoint, no hop to a
private loop thread for each query. Code that is not in a bridge greenlet (a worker thread, a
test) reaches the datastore's loop the thread-safe way, as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import sys
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from greenlet import getcurrent, greenlet

P = ParamSpec("P")
T = TypeVar("T")


class Bridged(greenlet):  # type: ignore[misc]
    """A greenlet running sync code for a task of `loop`; it hands coroutines up to be awaited."""

    loop: asyncio.AbstractEventLoop


def bridge_for(loop: asyncio.AbstractEventLoop) -> Bridged | None:
    """The bridge greenlet we are in, if it belongs to `loop` (else the caller must use threads)."""
    current = getcurrent()
    if type(current) is Bridged and current.loop is loop:
        return current
    return None


def await_in(bridge: Bridged, coroutine: Coroutine[Any, Any, T]) -> T:
    """Suspend the sync code until the task has awaited `coroutine`; its result or error here."""
    return bridge.parent.switch(coroutine)  # type: ignore[no-any-return]


async def run_sync(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call `fn` in a bridge greenlet of the running loop; await each coroutine it hands up."""
    child = Bridged(fn, getcurrent())
    child.loop = asyncio.get_running_loop()
    child.gr_context = contextvars.copy_context()
    handed = child.switch(*args, **kwargs)
    while not child.dead:
        try:
            value = await handed
        except BaseException:  # the sync code sees the error where it awaited (cancellation too)
            handed = child.throw(*sys.exc_info())
        else:
            handed = child.switch(value)
    return handed  # type: ignore[no-any-return]


def bridged(fn: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """An async function calling sync `fn` through the bridge (same signature, for FastAPI)."""

    @functools.wraps(fn)
    async def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return await run_sync(fn, *args, **kwargs)

    return call
