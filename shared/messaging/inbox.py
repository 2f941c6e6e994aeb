"""Exactly-once effects for consumed events, in order per aggregate.

An event's effect and the consumer's record of it (the aggregate's last applied version)
commit in one PostgreSQL transaction. A redelivered event (version already applied) is
dropped; one that arrives before its predecessor is parked and applied when the gap closes.
An event whose handler fails is kept in a dead-letter table with the error, never lost; so
is one the inbox cannot even store (`dead_letter`) and a record that is no envelope at all
(`dead_letter_record`). Envelopes are kept as `json`, not `jsonb`: `json` keeps the text as
sent, so an escaped NUL (which PostgreSQL refuses in `jsonb` and `text`) is stored as it came.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

import asyncpg

from shared.contracts import Envelope
from shared.errors import Awaiting
from shared.messaging.boundary import SCHEMA as BOUNDARY_SCHEMA
from shared.messaging.boundary import Boundary, Refused
from shared.observability import CONSUMER_ERRORS, CONSUMER_LAG, DEAD_LETTERS, EVENTS_CONSUMED

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
    envelope json NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_id, version)
);
CREATE TABLE IF NOT EXISTS inbox_waiting (
    aggregate_id uuid NOT NULL,
    version integer NOT NULL,
    dependency text NOT NULL,
    envelope json NOT NULL,
    waiting_since timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_id, version)
);
CREATE TABLE IF NOT EXISTS inbox_dead_letters (
    event_id uuid PRIMARY KEY,
    envelope json,
    error text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
-- stores made before envelopes were kept as json, and before records that are no envelope were kept
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['inbox_parked', 'inbox_waiting', 'inbox_dead_letters'] LOOP
        IF (SELECT data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = t AND column_name = 'envelope') = 'jsonb' THEN
            EXECUTE format('ALTER TABLE %I ALTER COLUMN envelope TYPE json USING envelope::json', t);
        END IF;
    END LOOP;
END $$;
ALTER TABLE inbox_dead_letters ALTER COLUMN envelope DROP NOT NULL;
ALTER TABLE inbox_dead_letters ADD COLUMN IF NOT EXISTS raw bytea;
ALTER TABLE inbox_dead_letters ADD COLUMN IF NOT EXISTS origin text;
ALTER TABLE inbox_dead_letters ADD COLUMN IF NOT EXISTS reason text NOT NULL DEFAULT 'handler';
"""

# Records that are no envelope are kept under an id derived from where they were read.
_RECORD_NAMESPACE = uuid.UUID("3b8f5d0e-4c1a-4e7b-9a65-2d0c8e9f1a77")


_LAST_AND_PARKED = (
    "SELECT (SELECT version FROM inbox_versions WHERE aggregate_id = $1 FOR UPDATE), "
    "EXISTS (SELECT FROM inbox_parked WHERE aggregate_id = $1)"
)

# A handler raises NotReady (or the application it calls raises Awaiting) when the event depends
# on another not yet applied here: the event waits, and is retried after later events.
NotReady = Awaiting


class Inbox:
    def __init__(self, service: str, handle: Handler, boundary: Boundary | None = None) -> None:
        self.service = service
        self.handle = handle
        self.boundary = boundary if boundary is not None else Boundary()

    @staticmethod
    async def create_schema(conn: asyncpg.Connection) -> None:
        await conn.execute(SCHEMA)
        await conn.execute(BOUNDARY_SCHEMA)

    async def apply_batch(self, conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
        try:
            async with conn.transaction():
                for envelope in envelopes:
                    await self._apply(conn, envelope)
                await self._retry_waiting(conn)
        except BaseException:
            self.boundary.forget()  # it may have learnt a registration that was not committed
            raise

    async def refuse(self, conn: asyncpg.Connection, envelope: Envelope, reason: str, kind: str) -> None:
        """Keep an event its source may not send as a dead letter, saying why; nothing of it is applied."""
        log.warning("refused %s %s from %s: %s", envelope.type, envelope.event_id, envelope.source, reason)
        await self._keep(conn, envelope, Refused(reason), kind)

    async def dead_letter(self, conn: asyncpg.Connection, envelope: Envelope, error: BaseException) -> None:
        """Keep an event that could not be applied even on its own, and let its aggregate go on.

        For an event that fails outside its handler (its effects or its bookkeeping could not be
        stored): it counts as applied, like one whose handler failed, so what is parked behind it
        follows. Should even that fail, the dead letter alone is kept; raises only if nothing
        could be stored (then the caller must not move past the event).
        """
        try:
            async with conn.transaction():
                await self._apply(conn, envelope, failed=error)
            return
        except Exception:
            log.exception("event %s could not be dead-lettered with its aggregate", envelope.event_id)
        async with conn.transaction():
            await self._keep(conn, envelope, error, "unstorable")

    async def dead_letter_record(self, conn: asyncpg.Connection, origin: str, raw: bytes, error: str) -> None:
        """Keep a record that is no envelope we can read, under an id derived from where it was read."""
        key = uuid.uuid5(_RECORD_NAMESPACE, origin)
        await conn.execute(
            "INSERT INTO inbox_dead_letters (event_id, raw, origin, error, reason) "
            "VALUES ($1, $2, $3, $4, 'undecodable') ON CONFLICT (event_id) DO NOTHING",
            key,
            raw,
            origin,
            error,
        )
        DEAD_LETTERS.labels(self.service, "unknown", "undecodable").inc()

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

    async def _apply(
        self,
        conn: asyncpg.Connection,
        envelope: Envelope,
        *,
        retrying: bool = False,
        failed: BaseException | None = None,
    ) -> bool:
        """Apply the event if it is next for its aggregate; returns whether it was applied.

        With `failed`, the event is not handled but dead-lettered with that error, in its place.
        """
        aggregate_id = envelope.aggregate_id
        # One round trip: the applied version (locked) and whether anything of it is parked.
        found, parked = await conn.fetchrow(_LAST_AND_PARKED, aggregate_id)
        last = found or 0
        version = envelope.aggregate_version
        if version <= last:
            EVENTS_CONSUMED.labels(self.service, envelope.service, "duplicate").inc()
            return retrying  # a waiting copy of an applied event is done with
        if version > last + 1:
            if failed is not None:
                await self._keep(conn, envelope, failed, "unstorable")
                return False
            await conn.execute(
                "INSERT INTO inbox_parked (aggregate_id, version, envelope) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                aggregate_id,
                version,
                _json(envelope),
            )
            EVENTS_CONSUMED.labels(self.service, envelope.service, "parked").inc()
            return False
        if failed is not None:
            await self._keep(conn, envelope, failed, "unstorable")
        elif not await self._handle(conn, envelope, retrying=retrying):
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
        refusal = await self.boundary.refusal(conn, envelope)
        if refusal is not None:
            await self.refuse(conn, envelope, refusal, "foreign_department")
            return True  # dead-lettered: the aggregate's later events go on (and are checked alike)
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
                    _json(envelope),
                )
                EVENTS_CONSUMED.labels(self.service, envelope.service, "waiting").inc()
            return False
        except Exception as error:
            log.exception("handler failed for %s %s", envelope.type, envelope.event_id)
            await self._keep(conn, envelope, error, "handler")
            return True  # dead-lettered: the aggregate's later events go on
        EVENTS_CONSUMED.labels(self.service, envelope.service, "applied").inc()
        occurred = dt.datetime.fromisoformat(envelope.occurred_at).timestamp()
        CONSUMER_LAG.labels(self.service).set(max(0.0, time.time() - occurred))
        return True

    async def _keep(self, conn: asyncpg.Connection, envelope: Envelope, error: BaseException, reason: str) -> None:
        """Record a dead letter: as json if PostgreSQL takes it, else as the envelope's bytes."""
        text = _json(envelope)
        try:
            async with conn.transaction():
                await conn.execute(_DEAD_LETTER, envelope.event_id, text, None, _describe(error), reason)
        except (asyncpg.DataError, asyncpg.InvalidTextRepresentationError, UnicodeError):
            raw = text.encode("utf-8", errors="surrogatepass")
            await conn.execute(_DEAD_LETTER, envelope.event_id, None, raw, _describe(error), reason)
        CONSUMER_ERRORS.labels(self.service).inc()
        DEAD_LETTERS.labels(self.service, envelope.service, reason).inc()
        EVENTS_CONSUMED.labels(self.service, envelope.service, "failed").inc()


_DEAD_LETTER = (
    "INSERT INTO inbox_dead_letters (event_id, envelope, raw, error, reason) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (event_id) DO UPDATE SET envelope = EXCLUDED.envelope, raw = EXCLUDED.raw, "
    "error = EXCLUDED.error, reason = EXCLUDED.reason, failed_at = now()"
)


def _json(envelope: Envelope) -> str:
    # ASCII escapes: NUL and lone surrogates stay escapes, which a json column keeps as they are.
    return json.dumps(asdict(envelope))


def _describe(error: BaseException) -> str:
    """The error with PostgreSQL's detail, as text PostgreSQL takes (a NUL in it escaped)."""
    detail = getattr(error, "detail", None)
    described = f"{type(error).__name__}: {error}" + (f" ({detail})" if detail else "")
    return described.replace("\x00", "\\x00")[:2000]


def dispatch(handlers: dict[str, Handler], default: Handler | None = None) -> Handler:
    """One handler that calls the handler registered for the envelope's type (then `default`)."""

    async def handle(conn: asyncpg.Connection, envelope: Envelope) -> None:
        if default is not None:
            await default(conn, envelope)
        specific = handlers.get(envelope.type)
        if specific is not None:
            await specific(conn, envelope)

    return handle


def decode(value: bytes | None) -> Envelope | dict[str, Any]:
    """An envelope, or what is wrong with the record (anything at all: one bad record is not a crash)."""
    try:
        return Envelope.from_bytes(value or b"")
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"[:2000]}
