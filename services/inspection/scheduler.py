"""Time-driven warnings, raised exactly once by any number of instances, without scanning everything.

The follower keeps a `deadlines` table: it reads the inspection's own notification log and, for
each supervision an event touched, replaces that supervision's rows with what is still to raise
(pending_deadlines), recording its position in the same transaction. One follower at a time
advances (the position row is locked, others skip the round).

The scheduler takes what is due from the index on due_at with FOR UPDATE SKIP LOCKED, raises
each warning through the application (idempotent: request id per deadline, and the supervision
ignores what is already raised or no longer applies), deletes the rows and commits. Two
schedulers never take the same row; a crash before the commit leaves the rows for the next tick.
A deadline that passed while nothing ran is simply due at the next start.

One supervision's failure stops no other: a supervision whose deadlines cannot be worked out,
or a warning that cannot be raised, is recorded in `deadline_failures` (and counted in
vanguard_deadline_failures_total), logged and skipped; failures of the database itself are
retried instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from uuid import UUID

import asyncpg
from eventsourcing.persistence import InterfaceError, OperationalError

from services.inspection.app import InspectionApplication
from services.inspection.domain import Supervision
from services.inspection.ladder import pending_deadlines
from shared.messaging.transient import TRANSIENT
from shared.observability import DEADLINE_FAILURES

log = logging.getLogger("vanguard.inspection.scheduler")

SCHEMA = """
CREATE TABLE IF NOT EXISTS deadlines (
    supervision_id uuid NOT NULL,
    kind text NOT NULL,
    ref text NOT NULL,
    due_at timestamptz NOT NULL,
    PRIMARY KEY (supervision_id, kind, ref)
);
CREATE INDEX IF NOT EXISTS deadlines_due_at ON deadlines (due_at);
CREATE TABLE IF NOT EXISTS follower_position (
    name text PRIMARY KEY,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS deadline_failures (
    supervision_id uuid NOT NULL,
    stage text NOT NULL,  -- 'follow': its deadlines could not be worked out; 'raise': a warning failed
    ref text NOT NULL,
    error text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (supervision_id, stage, ref)
);
"""

RECORD_FAILURE = """
INSERT INTO deadline_failures (supervision_id, stage, ref, error) VALUES ($1, $2, $3, $4)
ON CONFLICT (supervision_id, stage, ref) DO UPDATE SET error = EXCLUDED.error, failed_at = now()
"""
# The store or the database is unreachable: try again later, nothing is wrong with the supervision.
_RETRY_LATER = (*TRANSIENT, OperationalError, InterfaceError)

DUE = """
SELECT supervision_id, kind, ref, due_at FROM deadlines
WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
"""

_FOLLOWER = "deadlines"


async def create_schema(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        # Concurrent CREATE ... IF NOT EXISTS can still collide in the catalogue: serialise them.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('vanguard_inspection_schema'))")
        await conn.execute(SCHEMA)
        await conn.execute(
            "INSERT INTO follower_position (name, position) VALUES ($1, 0) ON CONFLICT DO NOTHING", _FOLLOWER
        )


async def _pause(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


class DeadlineFollower:
    """Keeps `deadlines` in step with the supervisions, from the notification log.

    Woken by the event store's NOTIFY after writes (as the relay is); without it (another
    recorder), or should a notification be missed, it looks every `interval` seconds anyway.
    """

    def __init__(self, app: InspectionApplication, batch: int = 500, interval: float = 0.1) -> None:
        self.app = app
        self.batch = batch
        self.interval = interval
        self._wake = asyncio.Event()

    async def run(self, pool: asyncpg.Pool, stopping: asyncio.Event) -> None:
        async with pool.acquire() as conn:
            await create_schema(conn)
        channel = getattr(getattr(self.app.recorder, "events_sql", None), "channel", None)
        async with contextlib.AsyncExitStack() as stack:
            idle = self.interval
            if channel:
                listener = await stack.enter_async_context(pool.acquire())
                await listener.add_listener(channel, lambda *_: self._wake.set())
                idle = max(self.interval, 5.0)
            while not stopping.is_set():
                self._wake.clear()
                try:
                    followed = await self.step(pool)
                except Exception:  # a database outage must not end the follower
                    log.exception("deadline follower failed; retrying in 1 s")
                    await _pause(stopping, 1.0)
                    continue
                if followed < self.batch:
                    await _wait_for_either(self._wake, stopping, idle)

    async def step(self, pool: asyncpg.Pool) -> int:
        """Follow one page of the log; returns how many notifications it covered."""
        async with pool.acquire() as conn, conn.transaction():
            position = await conn.fetchval(
                "SELECT position FROM follower_position WHERE name = $1 FOR UPDATE SKIP LOCKED", _FOLLOWER
            )
            if position is None:
                return 0  # another instance is following right now
            page = await asyncio.to_thread(
                self.app.recorder.select_notifications, position, self.batch, None, (), inclusive_of_start=False
            )
            if not page:
                return 0
            touched = list(dict.fromkeys(n.originator_id for n in page))
            rows, failures = await asyncio.to_thread(self._deadlines, touched)
            if failures:
                await conn.executemany(RECORD_FAILURE, failures)
            await conn.execute("DELETE FROM deadlines WHERE supervision_id = ANY($1::uuid[])", touched)
            await conn.executemany(
                "INSERT INTO deadlines (supervision_id, kind, ref, due_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (supervision_id, kind, ref) DO UPDATE SET due_at = EXCLUDED.due_at",
                rows,
            )
            await conn.execute("UPDATE follower_position SET position = $2 WHERE name = $1", _FOLLOWER, page[-1].id)
            return len(page)

    def _deadlines(
        self, touched: list[UUID]
    ) -> tuple[list[tuple[UUID, str, str, object]], list[tuple[UUID, str, str, str]]]:
        """The deadlines still to raise of each supervision touched, and the supervisions that failed."""
        rows, failures = [], []
        for aggregate_id in touched:
            try:
                supervision = self.app.repository.get(aggregate_id)
                if isinstance(supervision, Supervision):
                    pending = pending_deadlines(supervision, self.app.due_soon_days, self.app.tz)
                    rows += [(aggregate_id, kind, ref, due_at) for kind, ref, due_at in pending]
            except _RETRY_LATER:
                raise
            except Exception as error:
                log.exception("the deadlines of supervision %s cannot be worked out; skipping it", aggregate_id)
                DEADLINE_FAILURES.labels("follow").inc()
                failures.append((aggregate_id, "follow", "", _described(error)))
        return rows, failures


async def _wait_for_either(wake: asyncio.Event, stopping: asyncio.Event, seconds: float) -> None:
    waits = [asyncio.create_task(wake.wait()), asyncio.create_task(stopping.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


class DeadlineScheduler:
    """Raises what is due, every `interval` seconds, at most `batch` per transaction."""

    def __init__(self, app: InspectionApplication, batch: int = 200, interval: float = 0.5) -> None:
        self.app = app
        self.batch = batch
        self.interval = interval

    async def run(self, pool: asyncpg.Pool, stopping: asyncio.Event) -> None:
        async with pool.acquire() as conn:
            await create_schema(conn)
        while not stopping.is_set():
            try:
                taken = await self.tick(pool)
            except Exception:  # a database outage must not end the scheduler
                log.exception("deadline scheduler failed; retrying in 1 s")
                await _pause(stopping, 1.0)
                continue
            if taken < self.batch:
                await _pause(stopping, self.interval)

    async def tick(self, pool: asyncpg.Pool) -> int:
        """Raise what is due now; returns how many deadlines it took."""
        now = await asyncio.to_thread(self.app.clock.now)
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(DUE, now, self.batch)
            for row in rows:
                kind, ref = row["kind"], row["ref"]
                request_id = f"deadline:{kind}:{ref}:{row['due_at'].isoformat()}"
                try:
                    await asyncio.to_thread(
                        self.app.raise_deadline, kind, UUID(str(row["supervision_id"])), ref, now, request_id
                    )
                except _RETRY_LATER:
                    raise
                except Exception as error:  # this warning only: the others are raised
                    log.exception(
                        "%s %s of supervision %s cannot be raised; skipping it", kind, ref, row["supervision_id"]
                    )
                    DEADLINE_FAILURES.labels("raise").inc()
                    await conn.execute(
                        RECORD_FAILURE, row["supervision_id"], "raise", f"{kind}:{ref}", _described(error)
                    )
            if rows:
                await conn.execute(
                    "DELETE FROM deadlines d USING unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) "
                    "AS t(s, k, r, a) WHERE d.supervision_id = t.s AND d.kind = t.k AND d.ref = t.r "
                    "AND d.due_at = t.a",
                    [r["supervision_id"] for r in rows],
                    [r["kind"] for r in rows],
                    [r["ref"] for r in rows],
                    [r["due_at"] for r in rows],
                )
            return len(rows)


def _described(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".replace("\x00", "\\x00")[:2000]
