"""The consumer loop: Kafka records in, inbox transactions out, offsets committed after.

An offset is committed only past records that were applied or kept as dead letters. A batch
is one inbox transaction; should it fail as a whole, its records are applied one by one, so one
bad event cannot take its neighbours with it. A record that cannot be stored even as a dead
letter (the database is unreachable) stops its partition where it is: nothing after it is
committed, and the consumer starts over from the last committed offsets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import asyncpg
from kafka import TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from shared.contracts import MARKER_KEY, Envelope
from shared.messaging import kafka
from shared.messaging.boundary import misattributed
from shared.messaging.inbox import Inbox, decode
from shared.messaging.transient import TRANSIENT
from shared.observability import CONSUMER_ERRORS, CONSUMER_RETRIES

log = logging.getLogger("vanguard.consumer")
COMMIT_EVERY_SECONDS = 1.0
POLL_MS = 1000  # how long a poll waits for records; also how soon a stop is noticed
# No records for this long: fetch with long waits (shared.messaging.kafka), so that a stack left
# alone costs next to nothing within seconds. The first records after a quiet spell may then wait
# up to IDLE_FETCH_WAIT_MS on the embedded broker (Apache Kafka answers a waiting fetch as records
# arrive); a stream keeps the consumer on short waits.
IDLE_AFTER_SECONDS = 5.0
UNASSIGNED_LIMIT_SECONDS = 12  # a join takes ~3-6 s here; we never run more members than partitions
# A topic that matches the pattern but has none of its partitions assigned to us after this long
# means the rebalance for it stalled (seen on the embedded broker: the join after a new topic
# never gets its assignment): start over with a fresh client, which joins with every topic.
UNCOVERED_LIMIT_SECONDS = 5


@dataclass
class ConsumerSettings:
    bootstrap: str
    group_id: str
    pattern: str


@dataclass(frozen=True)
class Item:
    """One record polled: an envelope to apply, or a record that is none (`problem` says why)."""

    partition: TopicPartition
    offset: int
    envelope: Envelope | None
    raw: bytes | None = None
    problem: str | None = None
    refusal: str | None = None  # an envelope that does not belong on the topic it came from

    @property
    def origin(self) -> str:
        return f"{self.partition.topic}/{self.partition.partition}@{self.offset}"


class PartitionStalled(Exception):
    """Some record could be neither applied nor kept: its partition starts over from the commit."""


class Rejoin(Exception):
    """The group membership is stuck: start over with a fresh client (not a failure)."""


async def consume(settings: ConsumerSettings, pool: asyncpg.Pool, inbox: Inbox, stopping: asyncio.Event) -> None:
    """Run until `stopping` is set, starting over with a fresh client after any failure."""
    while not stopping.is_set():
        try:
            await _consume(settings, pool, inbox, stopping)
        except Rejoin as why:
            log.info("consumer of %s rejoins its group with a fresh client: %s", settings.pattern, why)
        except Exception:
            log.exception("consumer of %s failed; retrying in 1 s", settings.pattern)
            CONSUMER_ERRORS.labels(inbox.service).inc()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), 1.0)


async def _consume(settings: ConsumerSettings, pool: asyncpg.Pool, inbox: Inbox, stopping: asyncio.Event) -> None:
    consumer = await asyncio.to_thread(kafka.consumer, settings.bootstrap, settings.group_id)
    consumer.subscribe(pattern=settings.pattern)
    assigned_at = covered_at = committed_at = busy_at = time.monotonic()
    idle = False
    done: dict[TopicPartition, int] = {}  # per partition: the offset after the last record dealt with
    committed: dict[TopicPartition, int] = {}
    try:
        while not stopping.is_set():
            polled = await asyncio.to_thread(consumer.poll, POLL_MS)
            now = time.monotonic()
            assignment = consumer.assignment()
            if assignment:
                assigned_at = now
            elif now - assigned_at > UNASSIGNED_LIMIT_SECONDS:
                raise Rejoin(f"no partitions assigned for {UNASSIGNED_LIMIT_SECONDS} s")
            uncovered = uncovered_topics(consumer.subscription(), assignment)
            if not uncovered or not assignment:
                covered_at = now
            elif now - covered_at > UNCOVERED_LIMIT_SECONDS:
                raise Rejoin(f"{', '.join(sorted(uncovered))} matched but got no partition")
            if polled:
                busy_at = now
                if idle:
                    idle = False
                    kafka.set_fetch_wait(consumer, kafka.BUSY_FETCH_WAIT_MS)
                await apply_polled(pool, inbox, items_of(polled), done)
            elif not idle and now - busy_at > IDLE_AFTER_SECONDS:
                idle = True  # the first records after a quiet spell may take up to this wait
                kafka.set_fetch_wait(consumer, kafka.IDLE_FETCH_WAIT_MS)
            if time.monotonic() - committed_at >= COMMIT_EVERY_SECONDS:
                committed_at = time.monotonic()
                await _commit(consumer, done, committed)
    finally:
        with contextlib.suppress(Exception):
            await _commit(consumer, done, committed)
        await asyncio.to_thread(consumer.close, autocommit=False)


def uncovered_topics(subscribed: set[str] | None, assignment: set[TopicPartition]) -> set[str]:
    """Subscribed topics with none of their partitions assigned here (the range assignor gives every
    member a share of every topic while members are no more than partitions)."""
    return set(subscribed or ()) - {p.topic for p in assignment}


def items_of(polled: dict[TopicPartition, list[object]]) -> list[Item]:
    """The records of a poll, decoded, in order per partition; the relay's markers are skipped."""
    items = []
    for partition, records in polled.items():
        for record in records:
            offset, key, value = record.offset, record.key, record.value  # type: ignore[attr-defined]
            if key == MARKER_KEY:
                items.append(Item(partition, offset, None))
                continue
            decoded = decode(value)
            if isinstance(decoded, Envelope):
                items.append(Item(partition, offset, decoded, refusal=misattributed(decoded, partition.topic)))
            else:
                items.append(Item(partition, offset, None, value or b"", decoded["error"]))
    return items


async def apply_polled(pool: asyncpg.Pool, inbox: Inbox, items: list[Item], done: dict[TopicPartition, int]) -> None:
    """Apply (or dead-letter) the items, recording in `done` how far each partition got.

    Raises PartitionStalled, after dealing with every partition it could, if some record could
    be neither applied nor kept.
    """
    try:
        async with pool.acquire() as conn:
            await _apply(conn, inbox, items)
    except Exception:
        log.exception("a batch of %d records failed; applying them one by one", len(items))
        CONSUMER_RETRIES.labels(inbox.service).inc()
        await _apply_one_by_one(pool, inbox, items, done)
        return
    for item in items:
        done[item.partition] = item.offset + 1


async def _apply(conn: asyncpg.Connection, inbox: Inbox, items: list[Item]) -> None:
    """All of it in one transaction: the inbox's own, unless records that are no envelope (or not
    their topic's) come too."""
    envelopes = [item.envelope for item in items if item.envelope is not None and item.refusal is None]
    problems = [item for item in items if item.problem is not None or item.refusal is not None]
    if not problems:
        if envelopes:
            await inbox.apply_batch(conn, envelopes)
        return
    async with conn.transaction():
        for item in problems:
            if item.envelope is not None and item.refusal is not None:
                await inbox.refuse(conn, item.envelope, item.refusal, "foreign_source")
                continue
            log.error("record at %s is no envelope: %s", item.origin, item.problem)
            await inbox.dead_letter_record(conn, item.origin, item.raw or b"", item.problem or "")
        if envelopes:
            await inbox.apply_batch(conn, envelopes)


async def _apply_one_by_one(
    pool: asyncpg.Pool, inbox: Inbox, items: list[Item], done: dict[TopicPartition, int]
) -> None:
    stalled: set[TopicPartition] = set()
    for item in items:
        if item.partition in stalled:
            continue  # its predecessor is still due: nothing after it may be passed
        try:
            async with pool.acquire() as conn:
                try:
                    await _apply(conn, inbox, [item])
                except TRANSIENT:
                    raise
                except Exception as error:
                    if item.envelope is None:
                        raise
                    log.exception("event %s cannot be applied; keeping it as a dead letter", item.envelope.event_id)
                    await inbox.dead_letter(conn, item.envelope, error)
        except Exception:
            log.exception("record at %s could be neither applied nor kept; its partition waits", item.origin)
            stalled.add(item.partition)
            continue
        done[item.partition] = item.offset + 1
    if stalled:
        raise PartitionStalled(", ".join(f"{p.topic}/{p.partition}" for p in sorted(stalled)))


async def _commit(consumer: object, done: dict[TopicPartition, int], committed: dict[TopicPartition, int]) -> None:
    """Commit how far each partition was dealt with (offsets are a hint: the inbox drops repeats)."""
    assigned = consumer.assignment()  # type: ignore[attr-defined]
    for revoked in set(done) - assigned:  # its new owner starts from what was committed; the inbox drops repeats
        done.pop(revoked)
        committed.pop(revoked, None)
    due = {p: OffsetAndMetadata(o, "", -1) for p, o in done.items() if committed.get(p) != o}
    if not due:
        return
    try:
        await asyncio.to_thread(consumer.commit, due)  # type: ignore[attr-defined]
    except KafkaError as error:  # e.g. a rebalance: the inbox drops whatever is redelivered
        log.info("offset commit skipped (%s)", error)
        return
    committed.update({p: m.offset for p, m in due.items()})
