"""A private event loop thread owning an asyncpg pool, driven by the synchronous recorders."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import asyncpg.exceptions as pg
from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)

T = TypeVar("T")

# Most specific first: asyncpg's classes follow SQLSTATE classes, not DB-API ones.
_ERROR_MAP: tuple[tuple[type[BaseException], type[PersistenceError]], ...] = (
    (pg.IntegrityConstraintViolationError, IntegrityError),
    (pg.DataError, DataError),
    (pg.SyntaxOrAccessError, ProgrammingError),
    (pg.FeatureNotSupportedError, NotSupportedError),
    (pg.InternalServerError, InternalError),
    (pg.InvalidTransactionStateError, InternalError),
    (pg.PostgresConnectionError, OperationalError),
    (pg.OperatorInterventionError, OperationalError),
    (pg.InsufficientResourcesError, OperationalError),
    (pg.ObjectNotInPrerequisiteStateError, OperationalError),
    (pg.TransactionRollbackError, OperationalError),
    (pg.PostgresError, DatabaseError),
    (pg.InterfaceError, InterfaceError),
    (pg.InternalClientError, InterfaceError),
    (OSError, OperationalError),  # refused, reset, timed out
)


def translate(error: BaseException) -> BaseException:
    for source, target in _ERROR_MAP:
        if isinstance(error, source):
            return target(str(error) or type(error).__name__)
    return error


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def _encode_uuid(value: UUID | str) -> bytes:
    return value.bytes if isinstance(value, UUID) else UUID(value).bytes


def _decode_uuid(data: bytes) -> UUID:
    # asyncpg's own UUID type would fail the transcoder's exact-type lookup downstream.
    return UUID(bytes=data)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "uuid", schema="pg_catalog", encoder=_encode_uuid, decoder=_decode_uuid, format="binary"
    )


async def _reset_connection(conn: asyncpg.Connection) -> None:
    # The default reset costs a round trip per release (RESET ALL, UNLISTEN *, ...). We never
    # leave session state behind, and asyncpg still rolls back an open transaction itself.
    return None


_CLOSED = "Datastore is closed"


class _Call:
    """A coroutine run on the loop thread, awaited from another thread with a bare lock.

    Cheaper than run_coroutine_threadsafe's concurrent Future (Condition, chained callbacks):
    this is on the path of every recorder call.
    """

    __slots__ = ("coroutine", "done", "loop", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, Any]):
        self.loop = loop
        self.coroutine = coroutine
        self.done = threading.Lock()
        self.done.acquire()
        self.task: asyncio.Task[Any] | None = None

    def start(self) -> None:
        self.task = self.loop.create_task(self.coroutine)
        self.task.add_done_callback(self._finish)

    def _finish(self, _: object) -> None:
        self.done.release()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


class _State:
    """What shutdown needs, kept apart from the datastore so a finalizer can hold it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.loop = loop
        self.thread = thread
        self.pool: asyncpg.Pool | None = None
        self.listeners: set[asyncpg.Connection] = set()
        self.closed = False


async def _close_connections(state: _State) -> None:
    for conn in list(state.listeners):
        with contextlib.suppress(Exception):
            await conn.close(timeout=2)
    if state.pool is not None:
        try:
            await asyncio.wait_for(state.pool.close(), timeout=5)
        except (Exception, asyncio.CancelledError):
            state.pool.terminate()


def _shutdown(state: _State) -> None:
    state.closed = True
    if not state.thread.is_alive():
        return
    in_loop_thread = threading.current_thread() is state.thread
    future = asyncio.run_coroutine_threadsafe(_close_connections(state), state.loop)
    if not in_loop_thread:
        with contextlib.suppress(Exception):
            future.result(timeout=10)
    state.loop.call_soon_threadsafe(state.loop.stop)
    if not in_loop_thread:
        state.thread.join(timeout=10)


class AsyncpgDatastore:
    """One event loop thread and one asyncpg pool; sync callers submit coroutines to it."""

    def __init__(
        self,
        dsn: str,
        *,
        pool_size: int = 10,
        schema: str = "",
        originator_id_type: str = "uuid",
    ) -> None:
        self.dsn = dsn
        self.pool_size = pool_size
        self.schema = schema.strip() or "public"
        if originator_id_type.lower() not in ("uuid", "text"):
            msg = f"Invalid originator_id_type '{originator_id_type}', must be 'uuid' or 'text'"
            raise ValueError(msg)
        self.originator_id_type = originator_id_type.lower()
        loop = _new_loop()
        thread = threading.Thread(
            target=_run_loop, args=(loop,), name="asyncpg-datastore", daemon=True
        )
        self._state = _State(loop, thread)
        self._pool_lock: asyncio.Lock | None = None
        thread.start()
        # Runs on close() or when the datastore is garbage, e.g. an application never closed.
        self._finalizer = weakref.finalize(self, _shutdown, self._state)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._state.loop

    @property
    def closed(self) -> bool:
        return self._state.closed

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop thread and return its result, errors translated."""
        state = self._state
        if state.closed:
            coroutine.close()
            raise ConnectionPoolClosedError(_CLOSED)
        call = _Call(state.loop, coroutine)
        try:
            state.loop.call_soon_threadsafe(call.start)
        except RuntimeError:  # the loop has been closed meanwhile
            coroutine.close()
            raise ConnectionPoolClosedError(_CLOSED) from None
        try:
            # Wake up now and then, in case the loop was stopped before it started the call.
            while not call.done.acquire(timeout=1.0):
                if state.loop.is_closed():
                    raise ConnectionPoolClosedError(_CLOSED)
        except BaseException:
            with contextlib.suppress(RuntimeError):
                state.loop.call_soon_threadsafe(call.cancel)
            raise
        task = call.task
        assert task is not None
        if task.cancelled():
            raise ConnectionPoolClosedError(_CLOSED)
        error = task.exception()
        if error is None:
            return task.result()
        translated = translate(error)
        if translated is error:
            raise error
        raise translated from error

    async def pool(self) -> asyncpg.Pool:
        pool = self._state.pool
        if pool is not None:
            return pool
        if self._pool_lock is None:
            self._pool_lock = asyncio.Lock()
        async with self._pool_lock:
            if self._state.pool is None:
                self._state.pool = await asyncpg.create_pool(
                    self.dsn,
                    min_size=1,
                    max_size=self.pool_size,
                    init=_init_connection if self.originator_id_type == "uuid" else None,
                    reset=_reset_connection,
                )
            return self._state.pool

    async def listen(self, channel: str, callback: Callable[[], None]) -> asyncpg.Connection:
        """A connection of its own (not the pool's) that calls back on each NOTIFY."""
        conn = await asyncpg.connect(self.dsn)
        self._state.listeners.add(conn)
        try:
            await conn.add_listener(channel, lambda *_: callback())
        except BaseException:
            await self.unlisten(conn)
            raise
        return conn

    async def unlisten(self, conn: asyncpg.Connection) -> None:
        self._state.listeners.discard(conn)
        with contextlib.suppress(Exception):
            await conn.close(timeout=2)

    def submit(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Fire and forget (used to release a listener without blocking a stopping caller)."""
        if self._state.closed:
            coroutine.close()
            return
        with contextlib.suppress(RuntimeError):  # loop already stopped
            asyncio.run_coroutine_threadsafe(coroutine, self._state.loop)

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> AsyncpgDatastore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
