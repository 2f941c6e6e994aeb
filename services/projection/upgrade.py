"""Bring a projection database up to this version: the schema (additive), then, once each, replays of
the audit trail for what older versions recorded there but did not apply to the read models.

The audit trail holds every event applied here, so an event an older version only recorded (an
acceptance event, an inspection's supervision opening) or applied differently (colours stamped
with the time of recording) is applied again by today's handlers, in each aggregate's order. The
handlers upsert or check versions, so what they had already done is not done twice. Runs before
the consumer starts, under a lock, so two instances starting together do it once.
"""

from __future__ import annotations

import json
import logging

import asyncpg

from services.projection import acceptance_handlers, inspection_handlers, roster_handlers
from services.projection.schema import SCHEMA
from shared.contracts import Envelope
from shared.messaging.inbox import Handler, NotReady, dispatch

log = logging.getLogger("vanguard.projection")
_LOCK = 0x76616E67  # pg_advisory_xact_lock key of the projection's upgrade
_PAGE = 1000

# name -> the handlers to replay the audit trail through (by event type)
REPLAYS: dict[str, dict[str, Handler]] = {
    "2026-12 acceptance in the overview, colours in programme time from the first green": {
        **inspection_handlers.REPLAYED,
        **acceptance_handlers.HANDLERS,
    },
    "2027-01 the roster (departments and branches) from the registry's events": roster_handlers.HANDLERS,
}


async def upgrade(conn: asyncpg.Connection) -> None:
    """The schema, and every replay this database has not had yet."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        await conn.execute(SCHEMA)
        for name, handlers in REPLAYS.items():
            if await conn.fetchval("SELECT 1 FROM projection_upgrades WHERE name = $1", name):
                continue
            replayed = await _replay(conn, handlers)
            await conn.execute("INSERT INTO projection_upgrades (name) VALUES ($1)", name)
            log.info("projection upgrade %r: %d events replayed from the audit trail", name, replayed)


async def _replay(conn: asyncpg.Connection, handlers: dict[str, Handler]) -> int:
    handle, types = dispatch(handlers), list(handlers)
    after_id, after_version, count = None, 0, 0
    while True:
        rows = await conn.fetch(
            "SELECT * FROM audit_trail WHERE type = ANY($1) AND ($2::uuid IS NULL OR (aggregate_id, aggregate_version) "
            "> ($2::uuid, $3::integer)) ORDER BY aggregate_id, aggregate_version LIMIT $4",
            types,
            after_id,
            after_version,
            _PAGE,
        )
        for row in rows:
            envelope = _envelope(row)
            try:
                async with conn.transaction():  # a savepoint: an event that cannot apply undoes only itself
                    await handle(conn, envelope)
                count += 1
            except NotReady:
                log.warning("upgrade: %s %s has no project here; left as it was", envelope.type, envelope.event_id)
            except Exception:  # as the inbox would have: one bad event is no reason not to start
                log.exception("upgrade: %s %s could not be applied; left as it was", envelope.type, envelope.event_id)
        if len(rows) < _PAGE:
            return count
        after_id, after_version = rows[-1]["aggregate_id"], rows[-1]["aggregate_version"]


def _envelope(row: asyncpg.Record) -> Envelope:
    """An audit trail row as the envelope it was recorded from."""
    return Envelope(
        event_id=str(row["event_id"]),
        type=row["type"],
        aggregate_id=str(row["aggregate_id"]),
        aggregate_type=row["aggregate_type"],
        aggregate_version=row["aggregate_version"],
        department=row["department"],
        branch=row["branch"],
        actor=json.loads(row["actor"]),
        request_id=row["request_id"],
        occurred_at=row["occurred_at"].isoformat(),
        source={
            "service": row["source_service"],
            "instance": row["source_instance"],
            "position": row["source_position"],
        },
        payload=json.loads(row["payload"]),
    )
