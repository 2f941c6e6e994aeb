"""The eventsourcing recorder interfaces, each call one coroutine (mostly one round trip)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    InterfaceError,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import retry

from shared.persistence.asyncpg_store.datastore import AsyncpgDatastore
from shared.persistence.asyncpg_store.horizon import Horizon
from shared.persistence.asyncpg_store.sql import EventsSQL, TrackingSQL, quote

# Connection-level failures are retried, like eventsourcing.postgres does (a pool connection
# killed by the server is replaced on the next attempt).
_retry = retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)

SUBSCRIPTION_BATCH = 2000  # notifications per select while a subscription catches up
T = TypeVar("T")


def _columns(
    stored_events: Sequence[StoredEvent],
) -> tuple[list[UUID | str], list[int], list[str], list[bytes]]:
    return (
        [e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    )


_NOTIFICATION_FIELDS = ("id", "originator_id", "originator_version", "topic", "state")


def _row(e: StoredEvent) -> tuple[UUID | str, int, str, bytes]:
    return e.originator_id, e.originator_version, e.topic, e.state


def _notification(
    row: asyncpg.Record,
    new: Any = object.__new__,
    set_dict: Any = object.__setattr__,
    fields: tuple[str, ...] = _NOTIFICATION_FIELDS,
) -> Notification:
    # Skips the frozen dataclass's __init__ (a third of the per-row cost of a page), as the
    # library's Mapper does for domain events. Rows come in _NOTIFICATION_FIELDS order.
    notification = new(Notification)
    set_dict(notification, "__dict__", dict(zip(fields, row, strict=True)))
    return notification


def _lower(stop: int | None, settled: int) -> int:
    return settled if stop is None else min(stop, settled)


def _not_after(tracking: Tracking) -> IntegrityError:
    return IntegrityError(
        f"Tracking {tracking.application_name} {tracking.notification_id} is not after the recorded position"
    )


class AsyncpgRecorder:
    def __init__(self, datastore: AsyncpgDatastore) -> None:
        self.datastore = datastore
        self.create_statements: list[str] = []

    def create_table(self) -> None:
        self.datastore.run(self._create_table())

    async def _execute(self, statement: str, *args: Any) -> None:
        async with self.datastore.pool.lease() as conn:
            await conn.execute(statement, *args)

    async def _fetch(self, statement: str, *args: Any) -> list[asyncpg.Record]:
        async with self.datastore.pool.lease() as conn:
            return await conn.fetch(statement, *args)

    async def _fetchrow(self, statement: str, *args: Any) -> asyncpg.Record:
        async with self.datastore.pool.lease() as conn:
            return await conn.fetchrow(statement, *args)

    async def _fetchval(self, statement: str, *args: Any) -> Any:
        async with self.datastore.pool.lease() as conn:
            return await conn.fetchval(statement, *args)

    async def _create_table(self) -> None:
        async with self.datastore.pool.lease() as conn, conn.transaction():
            # Concurrent CREATE ... IF NOT EXISTS / CREATE OR REPLACE can still collide.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('eventsourcing_ddl'))")
            schema = self.datastore.schema
            if not await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
                await conn.execute(f"CREATE SCHEMA {quote(schema)}")
            for statement in self.create_statements:
                await conn.execute(statement)


class AsyncpgAggregateRecorder(AsyncpgRecorder, AggregateRecorder):
    _with_ids = False

    def __init__(self, datastore: AsyncpgDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore)
        self.events_table_name = events_table_name
        self.events_sql = EventsSQL(
            datastore.schema,
            events_table_name,
            datastore.originator_id_type,
            with_ids=self._with_ids,
        )
        self.create_statements += self.events_sql.create
        self.horizon = Horizon()  # used when the table has notification ids

    @_retry
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if len(stored_events) == 1:
            self.datastore.run(self._execute(self.events_sql.insert_one, *_row(stored_events[0])))
        elif stored_events:
            self.datastore.run(self._execute(self.events_sql.insert, *_columns(stored_events)))
        return None

    @_retry
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        statement = self.events_sql.select_events
        params: list[Any] = [originator_id]
        if gt is not None:
            params.append(gt)
            statement += f" AND originator_version > ${len(params)}"
        if lte is not None:
            params.append(lte)
            statement += f" AND originator_version <= ${len(params)}"
        statement += " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version"
        if limit is not None:
            params.append(limit)
            statement += f" LIMIT ${len(params)}"
        rows = self.datastore.run(self._fetch(statement, *params))
        return [StoredEvent(originator_id, r[0], r[1], r[2]) for r in rows]


class AsyncpgApplicationRecorder(AsyncpgAggregateRecorder, ApplicationRecorder):
    """Notification ids are taken without serialising commits (see `sql`), so reads settle gaps.

    A page read from the log is handed out only up to its first unsettled gap (an id not visible
    while a later one is, `horizon.Horizon`); by default the read then waits at a barrier for the
    writers in flight and reads again, so a page is always complete, in order, and never skips an
    id that is committed later. `settle=False` instead returns the part before the gap at once
    (waiting only when that part would be empty): what a tailing reader like the relay wants.
    """

    _with_ids = True

    @_retry
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        return self._insert_events(stored_events, kwargs.get("tracking"))

    def _insert_events(self, stored_events: Sequence[StoredEvent], tracking: Tracking | None) -> Sequence[int] | None:
        if len(stored_events) == 1:
            call = self._fetchval(self.events_sql.insert_one, *_row(stored_events[0]))
            return [self.datastore.run(self._announced(call))]
        if not stored_events:
            return None
        rows = self.datastore.run(self._announced(self._fetch(self.events_sql.insert, *_columns(stored_events))))
        return [r[0] for r in rows]

    async def _announced(self, write: Awaitable[T]) -> T:
        result = await write
        self.datastore.announce(self.events_sql.channel)
        return result

    @_retry
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
        settle: bool = True,
    ) -> Sequence[Notification]:
        after = 0 if start is None else start - 1 if inclusive_of_start else start
        return self.datastore.run(self._select_notifications(after, limit, stop, list(topics), settle=settle))

    async def _select_notifications(
        self, after: int, limit: int, stop: int | None, topics: list[str], *, settle: bool
    ) -> list[Notification]:
        if topics:  # the rows in between are not read, so their gaps are not seen: settle first
            stop = _lower(stop, await self._settle())
            rows = await self._page(after, limit, stop, topics)
            return [_notification(row) for row in rows]
        rows = await self._page(after, limit, stop, topics)
        ids = [row[0] for row in rows]
        gap = self.horizon.first_gap(after, ids)
        if gap is None:
            self.horizon.read(after, ids)
            return [_notification(row) for row in rows]
        if not settle and gap > 0:
            self.horizon.read(after, ids[:gap])  # what comes before the gap is settled
            return [_notification(row) for row in rows[:gap]]
        rows = await self._page(after, limit, _lower(stop, await self._barrier()), topics)
        return [_notification(row) for row in rows]

    async def _page(self, after: int, limit: int, stop: int | None, topics: list[str]) -> list[asyncpg.Record]:
        if stop is not None and stop <= after:
            return []
        params: list[Any] = [after]
        if stop is not None:
            params.append(stop)
        if topics:
            params.append(topics)
        params.append(limit)
        statement = self.events_sql.select_notifications(has_stop=stop is not None, has_topics=bool(topics))
        return await self._fetch(statement, *params)

    async def _settle(self) -> int:
        """The settled mark, moved up to the highest visible id when nothing below it is missing."""
        settled = self.horizon.settled
        if settled == 0:  # a first look at what may be a long log: cheaper to wait than to count
            return await self._barrier()
        top, visible = await self._fetchrow(self.events_sql.visible_since, settled)
        if top is None or visible != top - settled:
            return await self._barrier()
        self.horizon.advance(top)
        return self.horizon.settled

    async def _barrier(self) -> int:
        """Wait for the writers in flight; everything taken before is then settled."""
        lock, highest = self.events_sql.barrier
        async with self.datastore.pool.lease() as conn, conn.transaction(isolation="read_committed"):
            await conn.execute(lock)
            self.horizon.advance(await conn.fetchval(highest))
        return self.horizon.settled

    @_retry
    def max_notification_id(self) -> int | None:
        return self.datastore.run(self._settle()) or None

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return AsyncpgSubscription(self, gt=gt, topics=topics)


class AsyncpgSubscription(ListenNotifySubscription[AsyncpgApplicationRecorder]):
    def __init__(
        self,
        recorder: AsyncpgApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        datastore = recorder.datastore
        # LISTEN before the first pull, so nothing committed in between goes unnoticed.
        self._listener: asyncpg.Connection | None = datastore.run(
            datastore.listen(recorder.events_sql.channel, self._on_notify, self._on_lost)
        )
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._select_limit = SUBSCRIPTION_BATCH

    # Both are called on the loop thread.
    def _on_notify(self) -> None:
        notified = getattr(self, "_has_been_notified", None)
        if notified is not None:
            notified.set()

    def _on_lost(self) -> None:
        # Without its listener a subscription would block for ever: end it with an error.
        if not getattr(self, "_has_been_stopped", True):
            if self._thread_error is None:
                self._thread_error = OperationalError("Subscription's LISTEN connection was lost")
            self.stop()

    def stop(self) -> None:
        super().stop()
        listener, self._listener = self._listener, None
        if listener is not None:
            datastore = self._recorder.datastore
            datastore.submit(datastore.unlisten(listener))


class AsyncpgTrackingRecorder(AsyncpgRecorder, TrackingRecorder):
    def __init__(
        self,
        datastore: AsyncpgDatastore,
        *,
        tracking_table_name: str = "notification_tracking",
        **kwargs: Any,
    ) -> None:
        super().__init__(datastore, **kwargs)
        self.tracking_table_name = tracking_table_name
        self.tracking_sql = TrackingSQL(datastore.schema, tracking_table_name)
        self.create_statements += self.tracking_sql.create

    @_retry
    def insert_tracking(self, tracking: Tracking) -> None:
        inserted = self.datastore.run(
            self._fetchval(self.tracking_sql.insert, tracking.application_name, tracking.notification_id)
        )
        if inserted is None:
            raise _not_after(tracking)

    @_retry
    def max_tracking_id(self, application_name: str) -> int | None:
        return self.datastore.run(self._fetchval(self.tracking_sql.max_tracking_id, application_name))


class AsyncpgProcessRecorder(AsyncpgTrackingRecorder, AsyncpgApplicationRecorder, ProcessRecorder):
    def __init__(
        self,
        datastore: AsyncpgDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(
            datastore,
            tracking_table_name=tracking_table_name,
            events_table_name=events_table_name,
        )
        self.insert_tracked = self.events_sql.insert_tracked(self.tracking_sql)

    def _insert_events(self, stored_events: Sequence[StoredEvent], tracking: Tracking | None) -> Sequence[int] | None:
        if tracking is None:
            return super()._insert_events(stored_events, None)
        tracked, notification_ids = self.datastore.run(
            self._announced(
                self._fetchrow(
                    self.insert_tracked,
                    *_columns(stored_events),
                    tracking.application_name,
                    tracking.notification_id,
                )
            )
        )
        if not tracked:
            raise _not_after(tracking)
        return notification_ids if stored_events else None
