"""The outbox relay: publishes a service's notification log to its Kafka topic.

At least once, in order per aggregate (the message key is the aggregate id). Its position is
kept in the service's own database and saved only after the broker acknowledged the batch, so
a crash republishes at most one batch. A marker record written at a remembered offset tells it
whether the broker still holds what it published; if not (the embedded broker forgets
everything on restart), it publishes the whole log again. Consumers drop what they already
applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
from kafka import TopicPartition
from kafka.partitioner.default import murmur2

from shared.contracts import MARKER_KEY
from shared.messaging import kafka
from shared.messaging.transient import TRANSIENT
from shared.observability import DEAD_LETTERS, EVENTS_PUBLISHED, RELAY_LAG
from shared.persistence.asyncpg_store import AsyncpgApplicationRecorder
from shared.persistence.asyncpg_store.greenlets import run_sync

if TYPE_CHECKING:
    from shared.messaging.envelopes import EnvelopeFactory

log = logging.getLogger("vanguard.relay")
_MAX_BATCHES_IN_FLIGHT = 8
_SAVE_EVERY_SECONDS = 0.2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS relay_state (
    topic text PRIMARY KEY,
    position bigint NOT NULL,
    marker text,
    marker_offset bigint
);
CREATE TABLE IF NOT EXISTS relay_dead_letters (
    topic text NOT NULL,
    position bigint NOT NULL,
    error text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, position)
);
"""


@dataclass
class RelaySettings:
    dsn: str
    bootstrap: str
    topic: str
    partitions: int = 3
    batch: int = 500
    idle_poll_seconds: float = 0.005
    check_every_seconds: float = 5.0  # how soon a broker that forgot everything is noticed


class Relay:
    def __init__(self, settings: RelaySettings, envelopes: EnvelopeFactory) -> None:
        self.settings = settings
        self.envelopes = envelopes
        self.recorder = envelopes.app.recorder
        # Our store hands out what precedes a write in flight at once, and waits only at the write.
        self._read_options = {"settle": False} if isinstance(self.recorder, AsyncpgApplicationRecorder) else {}
        self.position = 0
        self.marker: str | None = None
        self.marker_offset: int | None = None
        self._lost = False  # set by the broker watch, acted on by the publishing loop
        self._wake = asyncio.Event()
        self._probe: Any = None
        self._sent = 0  # the last notification handed to the producer (ahead of `position`)
        self._in_flight: list[tuple[int, list[Any]]] = []  # (last id of a batch, its send futures)
        self._saved_at = 0.0

    async def run(self, stopping: asyncio.Event) -> None:
        """Publish until `stopping` is set, starting over with fresh clients after any failure."""
        while not stopping.is_set():
            try:
                await self._run_once(stopping)
            except Exception:
                log.exception("relay for %s failed; retrying in 1 s", self.settings.topic)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), 1.0)

    async def _run_once(self, stopping: asyncio.Event) -> None:
        s = self.settings
        conn = await asyncpg.connect(s.dsn)
        producer = None
        watch = None
        self._in_flight = []
        try:
            attach = getattr(getattr(self.recorder, "datastore", None), "attach", None)
            if attach is not None:  # read the log on this loop (greenlet bridge): no thread hops
                await attach()
            await conn.execute(_SCHEMA)
            await self._load(conn)
            channel = getattr(getattr(self.recorder, "events_sql", None), "channel", None)
            if channel:  # writers NOTIFY soon after they commit (coalesced): publish at once, no polling
                await conn.add_listener(channel, lambda *_: self._wake.set())
            await asyncio.to_thread(kafka.ensure_topic, s.bootstrap, s.topic, s.partitions)
            producer = await asyncio.to_thread(kafka.producer, s.bootstrap)
            if self.marker is None:
                await self._recover(conn, producer)
            watch = asyncio.create_task(self._watch_broker(stopping))
            while not stopping.is_set():
                if watch.done():
                    watch.result()  # the watch failed: start over
                if self._lost:
                    log.warning("broker lost %s (marker gone): republishing from the start", s.topic)
                    await self._recover(conn, producer)
                self._wake.clear()
                if not await self._publish_batch(conn, producer):
                    # idle: woken by the store's NOTIFY or the broker's acknowledgement of a batch
                    idle = 5.0 if channel else s.idle_poll_seconds  # NOTIFY wakes it; the wait only backs that up
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), idle)
        finally:
            if watch is not None:
                watch.cancel()
            if producer is not None:
                await asyncio.to_thread(producer.close, 5)
            if self._probe is not None:
                await asyncio.to_thread(self._probe.close)
                self._probe = None
            await conn.close()

    async def _watch_broker(self, stopping: asyncio.Event) -> None:
        """Every few seconds, beside the publishing, check the broker still holds our marker."""
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.settings.check_every_seconds)
            if self._lost or stopping.is_set():
                continue
            maximum = await run_sync(self.recorder.max_notification_id)
            RELAY_LAG.labels(self.envelopes.service, self.settings.topic).set(max(0, (maximum or 0) - self.position))
            checked = self.marker
            if not await asyncio.to_thread(self._marker_present):
                await asyncio.to_thread(self._close_probe)  # a fresh client must agree before we republish
                if not await asyncio.to_thread(self._marker_present) and self.marker == checked:
                    self._lost = True
                    self._wake.set()

    async def _load(self, conn: asyncpg.Connection) -> None:
        row = await conn.fetchrow(
            "SELECT position, marker, marker_offset FROM relay_state WHERE topic = $1", self.settings.topic
        )
        if row is None:
            await conn.execute("INSERT INTO relay_state (topic, position) VALUES ($1, 0)", self.settings.topic)
            return
        self.position, self.marker, self.marker_offset = row["position"], row["marker"], row["marker_offset"]
        self._sent = self.position

    async def _publish_batch(self, conn: asyncpg.Connection, producer: object) -> int:
        """Send the next page without waiting for the broker; earlier pages settle as they are acked.

        Batches are pipelined (the producer keeps them in order, one request in flight): `sent` runs
        ahead, `position` follows the acknowledgements and is saved at most every 0.2 s.
        """
        await self._settle(conn)
        if len(self._in_flight) >= _MAX_BATCHES_IN_FLIGHT:
            await asyncio.to_thread(producer.flush)  # type: ignore[attr-defined]
            await self._settle(conn)
        page = await run_sync(
            self.recorder.select_notifications,
            self._sent,
            self.settings.batch,
            None,
            (),
            inclusive_of_start=False,
            **self._read_options,
        )
        if not page:
            if not self._in_flight:
                RELAY_LAG.labels(self.envelopes.service, self.settings.topic).set(0)
            return 0

        unpublishable: list[tuple[int, str]] = []

        def send_all() -> list[Any]:
            futures = []
            for notification in page:
                try:
                    envelope = self.envelopes.envelope(notification)
                except TRANSIENT:
                    raise
                except Exception as error:  # this event only: keep it aside, publish the others
                    log.exception("notification %s of %s cannot be published", notification.id, self.settings.topic)
                    unpublishable.append((notification.id, f"{type(error).__name__}: {error}"[:2000]))
                    continue
                key = envelope.aggregate_id.encode()
                futures.append(
                    producer.send(  # type: ignore[attr-defined]
                        self.settings.topic, key=key, value=envelope.to_bytes(), partition=self._partition(key)
                    )
                )
            return futures

        # On the loop (a bridge greenlet: an envelope may need its aggregate's scope from the store):
        # send() only appends to the producer's buffer (its metadata is known by now, the marker
        # went first); the producer's own thread talks to the broker.
        futures = await run_sync(send_all)
        if unpublishable:
            await self._dead_letter(conn, unpublishable)
        if not futures:
            self._sent = page[-1].id
            self._in_flight.append((page[-1].id, []))
            return len(page)
        futures[-1].add_both(self._acknowledged(asyncio.get_running_loop()))
        self._in_flight.append((page[-1].id, futures))
        self._sent = page[-1].id
        EVENTS_PUBLISHED.labels(self.envelopes.service, self.settings.topic).inc(len(futures))
        return len(page)

    async def _dead_letter(self, conn: asyncpg.Connection, failed: list[tuple[int, str]]) -> None:
        """Record events that cannot be enveloped (the relay goes past them only once they are kept)."""
        await conn.executemany(
            "INSERT INTO relay_dead_letters (topic, position, error) VALUES ($1, $2, $3) "
            "ON CONFLICT (topic, position) DO UPDATE SET error = EXCLUDED.error, failed_at = now()",
            [(self.settings.topic, position, error) for position, error in failed],
        )
        DEAD_LETTERS.labels(self.envelopes.service, self.envelopes.service, "unpublishable").inc(len(failed))

    def _acknowledged(self, loop: asyncio.AbstractEventLoop) -> Callable[[Any], None]:
        """A callback for the producer's thread: a batch is settled (acked or failed), wake up."""

        def wake(_: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nothing to wake
                loop.call_soon_threadsafe(self._wake.set)

        return wake

    async def _settle(self, conn: asyncpg.Connection) -> None:
        """Advance the saved position over the batches the broker acknowledged, in order."""
        advanced = False
        while self._in_flight and all(f.is_done for f in self._in_flight[0][1]):
            position, futures = self._in_flight.pop(0)
            for future in futures:
                if future.failed():
                    raise future.exception  # start over from the last saved position
            self.position, advanced = position, True
        if advanced and (not self._in_flight or time.monotonic() - self._saved_at > _SAVE_EVERY_SECONDS):
            await conn.execute(
                "UPDATE relay_state SET position = $2 WHERE topic = $1", self.settings.topic, self.position
            )
            self._saved_at = time.monotonic()

    async def _recover(self, conn: asyncpg.Connection, producer: object) -> None:
        """Write a new marker and start publishing the whole log again."""
        await asyncio.to_thread(
            kafka.ensure_topic, self.settings.bootstrap, self.settings.topic, self.settings.partitions
        )
        marker = uuid.uuid4().hex

        def send_marker() -> int:
            future = producer.send(  # type: ignore[attr-defined]
                self.settings.topic, key=MARKER_KEY, value=marker.encode(), partition=0
            )
            producer.flush()  # type: ignore[attr-defined]
            return int(future.get(timeout=10).offset)

        offset = await asyncio.to_thread(send_marker)  # flushes whatever was in flight too
        self._in_flight.clear()  # republished anyway
        self.position = self._sent = 0
        self.marker, self.marker_offset, self._lost = marker, offset, False
        await conn.execute(
            "UPDATE relay_state SET position = 0, marker = $2, marker_offset = $3 WHERE topic = $1",
            self.settings.topic,
            marker,
            offset,
        )

    def _partition(self, key: bytes) -> int:
        """Kafka's default hashing over the partitions we created: a topic the broker re-created by
        itself (with its own partition count) still gets each aggregate on one known partition."""
        return (murmur2(key) & 0x7FFFFFFF) % self.settings.partitions

    def _close_probe(self) -> None:
        if self._probe is not None:
            self._probe.close()
            self._probe = None

    def _marker_present(self) -> bool:
        """Read the record at the marker's offset (one reused client; runs in a thread)."""
        partition = TopicPartition(self.settings.topic, 0)
        if self._probe is None:
            # Only the marker's own record matters: a small fetch, no CRC check of what follows it.
            self._probe = kafka.consumer(
                self.settings.bootstrap, None, fetch_max_wait_ms=50, max_partition_fetch_bytes=4096, check_crcs=False
            )
            self._probe.assign([partition])
        marker, offset = self.marker, self.marker_offset
        self._probe.seek(partition, offset or 0)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            for record in self._probe.poll(timeout_ms=200).get(partition, []):
                return record.offset == offset and record.key == MARKER_KEY and record.value == (marker or "").encode()
        return False
