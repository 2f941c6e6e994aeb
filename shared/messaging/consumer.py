"""The consumer loop: Kafka records in, inbox transactions out, offsets committed after."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import asyncpg
from kafka.errors import KafkaError

from shared.contracts import MARKER_KEY, Envelope
from shared.messaging import kafka
from shared.messaging.inbox import Inbox, decode
from shared.observability import CONSUMER_ERRORS

log = logging.getLogger("vanguard.consumer")
COMMIT_EVERY_SECONDS = 1.0
UNASSIGNED_LIMIT_SECONDS = 12  # a join takes ~3 s here; we never run more members than partitions


@dataclass
class ConsumerSettings:
    bootstrap: str
    group_id: str
    pattern: str


async def consume(settings: ConsumerSettings, pool: asyncpg.Pool, inbox: Inbox, stopping: asyncio.Event) -> None:
    """Run until `stopping` is set, starting over with a fresh client after any failure."""
    while not stopping.is_set():
        try:
            await _consume(settings, pool, inbox, stopping)
        except Exception:
            log.exception("consumer of %s failed; retrying in 1 s", settings.pattern)
            CONSUMER_ERRORS.labels(inbox.service).inc()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), 1.0)


async def _consume(settings: ConsumerSettings, pool: asyncpg.Pool, inbox: Inbox, stopping: asyncio.Event) -> None:
    """Kafka offsets are only a hint: the inbox is the truth."""
    consumer = await asyncio.to_thread(kafka.consumer, settings.bootstrap, settings.group_id)
    consumer.subscribe(pattern=settings.pattern)
    assigned_at = committed_at = time.monotonic()
    try:
        while not stopping.is_set():
            polled = await asyncio.to_thread(consumer.poll, 100)
            if consumer.assignment():
                assigned_at = committed_at = time.monotonic()
            elif time.monotonic() - assigned_at > UNASSIGNED_LIMIT_SECONDS:
                # A group join that never completes has been seen on the embedded broker when a
                # matching topic appears late: start over with a fresh client.
                raise RuntimeError(f"no partitions assigned for {UNASSIGNED_LIMIT_SECONDS} s; rejoining")
            if not polled:
                continue
            envelopes: list[Envelope] = []
            for records in polled.values():
                for record in records:
                    if record.key == MARKER_KEY:
                        continue
                    decoded = decode(record.value)
                    if isinstance(decoded, Envelope):
                        envelopes.append(decoded)
                    else:
                        CONSUMER_ERRORS.labels(inbox.service).inc()
                        log.error(
                            "undecodable record at %s/%s@%s: %s",
                            record.topic,
                            record.partition,
                            record.offset,
                            decoded["error"],
                        )
            if envelopes:
                async with pool.acquire() as conn:
                    await inbox.apply_batch(conn, envelopes)
            if time.monotonic() - committed_at < COMMIT_EVERY_SECONDS:
                continue  # offsets are only a hint (the inbox drops redeliveries): commit now and then
            committed_at = time.monotonic()
            try:
                await asyncio.to_thread(consumer.commit)
            except KafkaError as error:  # e.g. a rebalance: the inbox drops whatever is redelivered
                log.info("offset commit skipped (%s)", error)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(consumer.commit)
        await asyncio.to_thread(consumer.close)
