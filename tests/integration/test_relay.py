"""The relay against a real broker and PostgreSQL: an event it cannot publish is kept, the rest go on."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import asyncpg
import pytest
from eventsourcing.persistence import Notification

from services.filing.config import FilingSettings
from services.filing.main import SERVICE, build_application
from shared.auth import Principal, Role
from shared.contracts import MARKER_KEY, Envelope
from shared.messaging import kafka
from shared.messaging.envelopes import EnvelopeFactory
from shared.messaging.relay import Relay, RelaySettings

pytestmark = pytest.mark.integration


class BrokenAt(EnvelopeFactory):
    """Envelopes as usual, except for one notification (as if its event class had been renamed)."""

    broken: int = 0

    def envelope(self, notification: Notification) -> Envelope:
        if notification.id == self.broken:
            raise LookupError(f"no event class for notification {notification.id}")
        return super().envelope(notification)


async def position_of(conn: asyncpg.Connection, topic: str) -> int:
    try:
        return await conn.fetchval("SELECT position FROM relay_state WHERE topic = $1", topic) or 0
    except asyncpg.UndefinedTableError:  # the relay has not started yet
        return 0


def test_an_event_the_relay_cannot_envelope_is_kept_aside_and_the_events_after_it_are_published(
    new_database: Callable[[str], str], kafka_bootstrap: str
) -> None:
    dsn = new_database("relay")
    settings = FilingSettings(database_dsn=dsn, departments="fgw")
    app = build_application(settings)
    committee = Principal("c@fgw", Role.COMMITTEE, "fgw", None)
    for n in range(10):
        app.pose_topic(committee, 2026, "business_environment", f"选题{n}", "", uuid.uuid4().hex)
    topic = f"t{uuid.uuid4().hex[:8]}.filing.fgw"
    envelopes = BrokenAt(app, SERVICE, "fgw")
    envelopes.broken = 4
    relay = Relay(RelaySettings(dsn=dsn, bootstrap=kafka_bootstrap, topic=topic), envelopes)

    async def go() -> tuple[int, list[asyncpg.Record]]:
        stopping = asyncio.Event()
        running = asyncio.create_task(relay.run(stopping))
        conn = await asyncpg.connect(dsn)
        try:
            async with asyncio.timeout(30):
                while await position_of(conn, topic) < 10:
                    await asyncio.sleep(0.1)
            stopping.set()
            await running
            return (
                await conn.fetchval("SELECT position FROM relay_state WHERE topic = $1", topic),
                await conn.fetch("SELECT position, error FROM relay_dead_letters WHERE topic = $1", topic),
            )
        finally:
            await conn.close()

    position, dead = asyncio.run(go())
    assert position == 10
    assert [(r["position"], r["error"]) for r in dead] == [(4, "LookupError: no event class for notification 4")]
    reader = kafka.consumer(kafka_bootstrap, None, consumer_timeout_ms=3000)
    try:
        reader.subscribe([topic])
        published = sorted(Envelope.from_bytes(r.value).source["position"] for r in reader if r.key != MARKER_KEY)
    finally:
        reader.close()
    assert published == [1, 2, 3, 5, 6, 7, 8, 9, 10]
