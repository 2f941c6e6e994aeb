"""Exactly-once effects for consumed events, in order per aggregate.

An event's effect and the consumer's record of it (the aggregate's last applied version)
commit in one PostgreSQL transaction. A redelivered event (version already applied) is
dropped; one that arrives before its predecessor is parked and applied when the gap closes.
An event whose handler fails is kept in a dead-letter table with the error, never lost.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import asyncpg

from shared.contracts import Envelope
from shared.errors import Awaiting
from shared.observability import CONSUMER_ERRORS, CONSUMER_LAG, EVENTS_CONSUMED

log = logging.getLogger("vanguard.inbox")

Handler = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox_versions (
    aggregate_id uuid PRIMARY KEY,
    version integer NOT NULL,
    source text NOT NULL
);
CREATE TABLE IF NOT EXISTS inbox_parked (
    aggregate_id uuid NOT NULL,
    version integer NOT NULL,
    envelope jsonb NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_id, version)
);
CREATE TABLE IF NOT EXISTS inbox_waiting (
    aggregate_id uuid NOT NULL,
    version integer NOT NULL,
    dependency text NOT NULL,
    envelope jsonb NOT NULL,
    waiting_since timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_id, version)
);
CREATE TABLE IF NOT EXISTS inbox_dead_letters (
    event_id uuid PRIMARY KEY,
    envelope jsonb NOT NULL,
    error text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
"""


_LAST_AND_PARKED = (
    "SELECT (SELECT version FROM inbox_versions WHERE aggregate_id = $1 FOR UPDATE), "
    "EXISTS (SELECT FROM inbox_parked WHERE aggregate_id = $1)"
)

# A handler raises NotReady (or the application it calls raises Awaiting) when the event depends
# on another not yet applied here: the event waits, and is retried after later events.
NotReady = Awaiting


class Inbox:
    def __init__(self, service: str, handle: Handler) -> None:
        self.service = service
        self.handle = handle

    @staticmethod
    async def create_schema(conn: asyncpg.Connection) -> None:
        await conn.execute(SCHEMA)

    async def apply_batch(self, conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
        async with conn.transaction():
            for envelope in envelopes:
                await self._apply(conn, envelope)
            await self._retry_waiting(conn)

    async def _retry_waiting(self, conn: asyncpg.Connection) -> None:
        """Give every waiting event another try, oldest first, until none makes progress."""
        progress = True
        while progress:
            progress = False
            rows = await conn.fetch(
                "SELECT aggregate_id, version, envelope FROM inbox_waiting ORDER BY waiting_since LIMIT 500"
            )
            for row in rows:
                envelope = Envelope(**json.loads(row["envelope"]))
                if await self._apply(conn, envelope, retrying=True):
                    await conn.execute(
                        "DELETE FROM inbox_waiting WHERE aggregate_id = $1 AND version = $2",
                        row["aggregate_id"],
                        row["version"],
                    )
                    progress = True

    async def _apply(self, conn: asyncpg.Connection, envelope: Envelope, *, retrying: bool = False) -> bool:
        """Apply the event if it is next for its aggregate; returns whether it was applied."""
        aggregate_id = envelope.aggregate_id
        # One round trip: the applied version (locked) and whether anything of it is parked.
        found, parked = await conn.fetchrow(_LAST_AND_PARKED, aggregate_id)
        last = found or 0
        version = envelope.aggregate_version
        if version <= last:
            EVENTS_CONSUMED.labels(self.service, envelope.service, "duplicate").inc()
            return retrying  # a waiting copy of an applied event is done with
        if version > last + 1:
            await conn.execute(
                "INSERT INTO inbox_parked (aggregate_id, version, envelope) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                aggregate_id,
                version,
                json.dumps(asdict(envelope)),
            )
            EVENTS_CONSUMED.labels(self.service, envelope.service, "parked").inc()
            return False
        if not await self._handle(conn, envelope, retrying=retrying):
            return False
        while parked:  # close the gap with whatever was parked behind this one
            row = await conn.fetchrow(
                "SELECT envelope FROM inbox_parked WHERE aggregate_id = $1 AND version = $2", aggregate_id, version + 1
            )
            if row is None or not await self._handle(conn, Envelope(**json.loads(row["envelope"]))):
                break
            await conn.execute(
                "DELETE FROM inbox_parked WHERE aggregate_id = $1 AND version = $2", aggregate_id, version + 1
            )
            version += 1
        if parked:
            await conn.execute(
                "DELETE FROM inbox_parked WHERE aggregate_id = $1 AND version <= $2", aggregate_id, version
            )
        await conn.execute(
            "INSERT INTO inbox_versions (aggregate_id, version, source) VALUES ($1, $2, $3) "
            "ON CONFLICT (aggregate_id) DO UPDATE SET version = EXCLUDED.version",
            aggregate_id,
            version,
            envelope.source["instance"],
        )
        return True

    async def _handle(self, conn: asyncpg.Connection, envelope: Envelope, *, retrying: bool = False) -> bool:
        """Run the handler in a savepoint; False if the event must wait for another."""
        try:
            async with conn.transaction():  # a savepoint: a failing handler undoes only itself
                await self.handle(conn, envelope)
        except NotReady as waiting:
            if not retrying:
                await conn.execute(
                    "INSERT INTO inbox_waiting (aggregate_id, version, dependency, envelope) "
                    "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    envelope.aggregate_id,
                    envelope.aggregate_version,
                    waiting.dependency,
                    json.dumps(asdict(envelope)),
                )
                EVENTS_CONSUMED.labels(self.service, envelope.service, "waiting").inc()
            return False
        except Exception as error:
            log.exception("handler failed for %s %s", envelope.type, envelope.event_id)
            CONSUMER_ERRORS.labels(self.service).inc()
            await conn.execute(
                "INSERT INTO inbox_dead_letters (event_id, envelope, error) VALUES ($1, $2, $3) "
                "ON CONFLICT (event_id) DO UPDATE SET error = EXCLUDED.error, failed_at = now()",
                envelope.event_id,
                json.dumps(asdict(envelope)),
                repr(error),
            )
            EVENTS_CONSUMED.labels(self.service, envelope.service, "failed").inc()
            return True  # dead-lettered: the aggregate's later events go on
        EVENTS_CONSUMED.labels(self.service, envelope.service, "applied").inc()
        occurred = dt.datetime.fromisoformat(envelope.occurred_at).timestamp()
        CONSUMER_LAG.labels(self.service).set(max(0.0, time.time() - occurred))
        return True


def dispatch(handlers: dict[str, Handler], default: Handler | None = None) -> Handler:
    """One handler that calls the handler registered for the envelope's type (then `default`)."""

    async def handle(conn: asyncpg.Connection, envelope: Envelope) -> None:
        if default is not None:
            await default(conn, envelope)
        specific = handlers.get(envelope.type)
        if specific is not None:
            await specific(conn, envelope)

    return handle


def decode(value: bytes) -> Envelope | dict[str, Any]:
    try:
        return Envelope.from_bytes(value)
    except (ValueError, TypeError) as error:
        return {"error": str(error), "raw": value[:1000].decode(errors="replace")}
