"""A private event loop thread owning a pool of asyncpg connections, driven from sync code."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar
from uuid import UUID, SafeUUID

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

from shared.persistence.asyncpg_store.announcer import Announcer
from shared.persistence.asyncpg_store.greenlets import await_in, bridge_for
from shared.persistence.asyncpg_store.pool import ConnectionPool

T = TypeVar("T")

_CLOSED = "Datastore is closed"

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
    """The eventsourcing.persistence error for an asyncpg (or socket) error."""
    if isinstance(error, PersistenceError):
        return error
    for source, target in _ERROR_MAP:
        if isinstance(error, source):
            return target(str(error) or type(error).__name__)
    return error


def _reraise(error: BaseException) -> NoReturn:
    translated = translate(error)
    if translated is error:
        raise error
    raise translated from error


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
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def _encode_uuid(value: UUID | str) -> bytes:
    return value.bytes if isinstance(value, UUID) else UUID(value).bytes


def _decode_uuid(data: bytes) -> UUID:
    # Not asyncpg's own UUID subclass: the JSON transcoder looks transcodings up by exact type.
    return UUID(bytes=data)


def _decode_uuid_fast(
    data: bytes,
    new: Any = object.__new__,
    set_slot: Any = object.__setattr__,
    from_bytes: Any = int.from_bytes,
    unknown: SafeUUID = SafeUUID.unknown,
) -> UUID:
    # What UUID.__init__ ends with, without its argument checks: a third less per row read.
    uuid = new(UUID)
    set_slot(uuid, "int", from_bytes(data))
    set_slot(uuid, "is_safe", unknown)
    return uuid


def _uuid_decoder() -> Callable[[bytes], UUID]:
    sample = UUID("12345678-9abc-4def-8123-456789abcdef").bytes
    try:
        if _decode_uuid_fast(sample) == UUID(bytes=sample):
            return _decode_uuid_fast
    except (AttributeError, TypeError):  # UUID's slots changed
        pass
    return _decode_uuid


_UUID_DECODER = _uuid_decoder()


async def _connect(dsn: str, originator_id_type: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    if originator_id_type == "uuid":
        await conn.set_type_codec(
            "uuid", schema="pg_catalog", encoder=_encode_uuid, decoder=_UUID_DECODER, format="binary"
        )
    return conn


class _Call:
    """A coroutine run on the loop thread, waited for from another thread with a bare lock.

    Cheaper than run_coroutine_threadsafe (a concurrent Future with a Condition, chained
    callbacks, one more loop iteration): this is on the path of every recorder call.
    """

    __slots__ = ("coroutine", "done", "error", "result", "task")

    def __init__(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        self.coroutine = coroutine
        self.done = threading.Lock()
        self.done.acquire()
        self.result: Any = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            self.result = await self.coroutine
        except BaseException as error:  # handed to the waiting thread
            self.error = error
        finally:
            self.done.release()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


class _State:
    """What shutdown needs, apart from the datastore, so that a finalizer can hold it.

    `thread` is the private loop thread, or None when the loop is someone else's (attached to an
    ASGI server's loop); `loop_thread` is the id of the thread that runs the loop either way.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread | None, pool: ConnectionPool) -> None:
        self.loop = loop
        self.thread = thread
        self.loop_thread: int | None = threading.get_ident() if thread is None else None
        self.pool = pool
        self.listeners: set[asyncpg.Connection] = set()
        self.announcers: dict[str, Announcer] = {}
        self.closed = False


async def _close_connections(state: _State) -> None:
    for announcer in list(state.announcers.values()):
        await announcer.close()
    for conn in list(state.listeners):
        with contextlib.suppress(Exception):
            await conn.close(timeout=2)
    await state.pool.close()


def _terminate_connections(state: _State) -> None:
    for conn in list(state.listeners):
        conn.terminate()
    state.pool.terminate()


def _shutdown(state: _State) -> None:
    state.closed = True
    if state.thread is None:  # someone else's loop: close our connections, leave the loop be
        if state.loop.is_closed():
            return
        if not state.loop.is_running():
            _terminate_connections(state)
        elif threading.get_ident() == state.loop_thread:
            state.loop.create_task(_close_connections(state))
        else:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(_close_connections(state), state.loop).result(timeout=10)
        return
    if not state.thread.is_alive():
        return
    in_loop_thread = threading.current_thread() is state.thread
    with contextlib.suppress(RuntimeError):  # loop already closed
        future = asyncio.run_coroutine_threadsafe(_close_connections(state), state.loop)
        if not in_loop_thread:
            with contextlib.suppress(Exception):
                future.result(timeout=10)
        state.loop.call_soon_threadsafe(state.loop.stop)
    if not in_loop_thread:
        state.thread.join(timeout=10)


class AsyncpgDatastore:
    """A connection pool on one event loop; sync callers submit coroutines to it.

    The loop is a private thread's until `attach()` moves the pool onto the running loop (an ASGI
    server's, at start-up), where sync code in a bridge greenlet (`greenlets.run_sync`) awaits
    its queries in place, with no thread hand-off; `detach()` moves it back when that loop stops.
    """

    def __init__(
        self,
        dsn: str,
        *,
        pool_size: int = 10,
        schema: str = "",
        originator_id_type: str = "uuid",
    ) -> None:
        self.dsn = dsn
        self.schema = schema.strip() or "public"
        if originator_id_type.lower() not in ("uuid", "text"):
            msg = f"Invalid originator_id_type '{originator_id_type}', must be 'uuid' or 'text'"
            raise ValueError(msg)
        self.originator_id_type = originator_id_type.lower()
        self.pool_size = pool_size
        # The pool must not refer back to the datastore, or the finalizer would keep it alive.
        self._connect = functools.partial(_connect, dsn, self.originator_id_type)
        self._use(self._private_state())

    def _private_state(self) -> _State:
        loop = _new_loop()
        thread = threading.Thread(target=_run_loop, args=(loop,), name="asyncpg-datastore", daemon=True)
        state = _State(loop, thread, ConnectionPool(self._connect, self.pool_size))
        thread.start()
        return state

    def _use(self, state: _State) -> None:
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer.detach()
        self._state = state
        self.pool = state.pool
        # Runs on close(), or when the datastore is garbage (say an application never closed).
        self._finalizer = weakref.finalize(self, _shutdown, state)

    async def attach(self) -> None:
        """Serve from the running loop from now on (call at start-up, before the first query)."""
        loop = asyncio.get_running_loop()
        previous = self._state
        if previous.closed:
            raise ConnectionPoolClosedError(_CLOSED)
        if previous.loop is loop:
            return
        self._use(_State(loop, None, ConnectionPool(self._connect, self.pool_size)))
        await asyncio.to_thread(_shutdown, previous)

    async def detach(self) -> None:
        """Back to a private loop thread, closing this loop's connections (call as it stops)."""
        previous = self._state
        if previous.thread is not None or previous.closed:
            return
        self._use(self._private_state())
        previous.closed = True
        await _close_connections(previous)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._state.loop

    @property
    def closed(self) -> bool:
        return self._state.closed

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the pool's loop and return its result, errors translated."""
        state = self._state
        if state.closed:
            coroutine.close()
            raise ConnectionPoolClosedError(_CLOSED)
        bridge = bridge_for(state.loop)
        if bridge is not None:  # sync code running for a task of that very loop: await in place
            try:
                return await_in(bridge, coroutine)
            except asyncio.CancelledError:
                raise
            except BaseException as error:
                _reraise(error)
        loop_thread = state.loop_thread if state.thread is None else state.thread.ident
        if threading.get_ident() == loop_thread:
            coroutine.close()
            msg = "Recorder called on its datastore's own event loop outside a bridge greenlet: it would wait for ever"
            raise RuntimeError(msg)
        call = _Call(coroutine)
        try:
            state.loop.call_soon_threadsafe(call.start)
        except RuntimeError:  # the loop was closed meanwhile
            coroutine.close()
            raise ConnectionPoolClosedError(_CLOSED) from None
        try:
            # Wake up now and then, in case the loop stopped before it started the call.
            while not call.done.acquire(timeout=1.0):
                if state.loop.is_closed() or (state.thread is None and not state.loop.is_running()):
                    raise ConnectionPoolClosedError(_CLOSED)
        except BaseException:
            with contextlib.suppress(RuntimeError):
                state.loop.call_soon_threadsafe(call.cancel)
            raise
        error = call.error
        if error is None:
            return call.result
        if isinstance(error, asyncio.CancelledError):
            raise ConnectionPoolClosedError(_CLOSED)
        _reraise(error)

    async def listen(
        self, channel: str, on_notify: Callable[[], None], on_lost: Callable[[], None]
    ) -> asyncpg.Connection:
        """A connection of its own (not the pool's) calling back on each NOTIFY."""
        conn = await asyncpg.connect(self.dsn)
        self._state.listeners.add(conn)
        try:
            await conn.add_listener(channel, lambda *_: on_notify())
            conn.add_termination_listener(lambda *_: on_lost())
        except BaseException:
            await self.unlisten(conn)
            raise
        return conn

    async def unlisten(self, conn: asyncpg.Connection) -> None:
        self._state.listeners.discard(conn)
        with contextlib.suppress(Exception):
            await conn.close(timeout=2)

    def announce(self, channel: str) -> None:
        """NOTIFY `channel` soon, coalesced with other writes (call on the pool's loop, committed)."""
        state = self._state
        if state.closed or state.loop is not asyncio.get_running_loop():
            return
        announcer = state.announcers.get(channel)
        if announcer is None:
            announcer = state.announcers[channel] = Announcer(state.pool, channel)
        announcer.poke()

    def submit(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Start a coroutine without waiting for it (say, releasing a listener on stop)."""
        try:
            if self._state.closed:
                raise RuntimeError
            asyncio.run_coroutine_threadsafe(coroutine, self._state.loop)
        except RuntimeError:  # closed, or the loop already stopped
            coroutine.close()

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> AsyncpgDatastore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
