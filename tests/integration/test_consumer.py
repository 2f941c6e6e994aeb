"""The consumer loop against a real broker and PostgreSQL: nothing is passed that was not dealt with."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable

import asyncpg
import pytest
from kafka import TopicPartition
from prometheus_client import REGISTRY

from services.projection.handlers import handler as projection_handler
from services.projection.schema import SCHEMA as PROJECTION_SCHEMA
from shared.contracts import Envelope
from shared.messaging import kafka
from shared.messaging.consumer import ConsumerSettings, Item, PartitionStalled, apply_polled, consume
from shared.messaging.inbox import Inbox
from tests.integration.test_inbox import envelope

pytestmark = pytest.mark.integration


def posed(department: str, n: int, title: str = "优化审批服务") -> Envelope:
    topic = uuid.uuid5(uuid.NAMESPACE_URL, f"{department}/{n}/{uuid.uuid4()}")
    e = envelope(topic, 1, "filing.Topic.Posed", year=2026, direction="business_environment", title=title)
    source = {"service": "filing", "instance": department, "position": n}  # as the department's relay sends it
    return Envelope(**{**e.__dict__, "aggregate_type": "Topic", "department": department, "source": source})


def dead_letters_counted(service: str, reason: str) -> float:
    total = 0.0
    for metric in REGISTRY.collect():
        for sample in metric.samples:
            if sample.name == "vanguard_dead_letters_total" and sample.labels.get("service") == service:
                total += sample.value if sample.labels.get("reason") == reason else 0
    return total


def test_an_event_the_projection_cannot_store_is_dead_lettered_and_every_other_department_goes_on(
    new_database: Callable[[str], str], kafka_bootstrap: str
) -> None:
    """A NUL (which PostgreSQL refuses in jsonb) in one event, amid a busy stream of four departments."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    departments = ["fgw", "zwb", "jtj", "swj"]
    topics = [f"{prefix}.filing.{d}" for d in departments]
    for topic in topics:
        kafka.ensure_topic(kafka_bootstrap, topic, 3)
    good = {d: [posed(d, n) for n in range(60)] for d in departments}
    bad = posed("fgw", 999, title="a\u0000b")
    producer = kafka.producer(kafka_bootstrap)
    for n in range(60):
        for d, topic in zip(departments, topics, strict=True):
            e = good[d][n]
            producer.send(topic, key=e.aggregate_id.encode(), value=e.to_bytes())
            if n == 30 and d == "fgw":
                producer.send(topic, key=bad.aggregate_id.encode(), value=bad.to_bytes())
    producer.send(topics[1], key=b"junk", value=b"\x00not json")  # and a record that is no envelope at all
    producer.flush()
    producer.close()
    before = dead_letters_counted("projection-test", "handler")
    group = f"{prefix}.projection"

    async def go() -> tuple[set[str], list[asyncpg.Record]]:
        dsn = new_database("consumer")
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
        try:
            async with pool.acquire() as conn:
                await Inbox.create_schema(conn)
                await conn.execute(PROJECTION_SCHEMA)
            stopping = asyncio.Event()
            settings = ConsumerSettings(kafka_bootstrap, group, rf"^{prefix}\.filing\..*")
            inbox = Inbox("projection-test", projection_handler())
            running = asyncio.create_task(consume(settings, pool, inbox, stopping))
            expected = {e.aggregate_id for es in good.values() for e in es}
            async with asyncio.timeout(90):
                while True:
                    applied = {str(r["id"]) for r in await pool.fetch("SELECT id FROM topics")}
                    dead = await pool.fetch(
                        "SELECT event_id, envelope, raw, error, reason, origin FROM inbox_dead_letters"
                    )
                    if applied >= expected and len(dead) >= 2:
                        break
                    await asyncio.sleep(0.2)
            await asyncio.sleep(2.5)  # an offset commit is due every second
            stopping.set()
            await running
            return applied, dead
        finally:
            await pool.close()

    applied, dead = asyncio.run(go())
    assert applied == {e.aggregate_id for es in good.values() for e in es}  # all 240, none more
    by_reason = {row["reason"]: row for row in dead}
    assert set(by_reason) == {"handler", "undecodable"}
    kept = by_reason["handler"]
    assert str(kept["event_id"]) == bad.event_id
    assert json.loads(kept["envelope"])["payload"]["title"] == "a\u0000b"  # kept exactly as it came
    assert kept["error"].startswith("UntranslatableCharacterError")
    assert "\\u0000 cannot be converted to text" in kept["error"]
    assert by_reason["undecodable"]["origin"].startswith(f"{topics[1]}/")
    assert bytes(by_reason["undecodable"]["raw"]) == b"\x00not json"
    assert dead_letters_counted("projection-test", "handler") == before + 1
    # Every record was dealt with, so the group's committed offsets reach the end of every partition.
    assert committed_offsets(kafka_bootstrap, group, topics) == last_offsets(kafka_bootstrap, topics)


def last_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    """Per partition, the offset after its last record (read back: the embedded broker's end offsets
    count batches, not records)."""
    reader = kafka.consumer(bootstrap, None, consumer_timeout_ms=2000)
    try:
        reader.assign([TopicPartition(t, p) for t in topics for p in range(3)])
        return {TopicPartition(r.topic, r.partition): r.offset + 1 for r in reader}
    finally:
        reader.close()


def committed_offsets(bootstrap: str, group: str, topics: list[str]) -> dict[TopicPartition, int | None]:
    probe = kafka.consumer(bootstrap, group)  # reads the group's offsets; joins nothing
    try:
        return {tp: probe.committed(tp) for t in topics for p in range(3) if (tp := TopicPartition(t, p))}
    finally:
        probe.close()


class Killer:
    """A handler that kills its own database connection at one event: nothing about it can be stored."""

    def __init__(self, poison: str) -> None:
        self.poison = poison
        self.applied: list[str] = []

    async def __call__(self, conn: asyncpg.Connection, e: Envelope) -> None:
        if e.event_id == self.poison:
            await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        self.applied.append(e.event_id)


def test_an_event_that_can_be_neither_applied_nor_kept_holds_back_only_its_own_partition(
    new_database: Callable[[str], str],
) -> None:
    a, b = TopicPartition("t.filing.fgw", 0), TopicPartition("t.filing.fgw", 1)
    x, y = uuid.uuid4(), uuid.uuid4()
    items = [
        Item(a, 10, envelope(x, 1)),
        Item(b, 20, envelope(y, 1)),
        Item(a, 11, envelope(x, 2)),  # kills its connection whenever it is tried
        Item(b, 21, envelope(y, 2)),
        Item(a, 12, envelope(x, 3)),
    ]
    killer = Killer(items[2].envelope.event_id)  # type: ignore[union-attr]

    async def go() -> tuple[dict[TopicPartition, int], int]:
        pool = await asyncpg.create_pool(new_database("stall"), min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                await Inbox.create_schema(conn)
            done: dict[TopicPartition, int] = {}
            with pytest.raises(PartitionStalled, match=r"t\.filing\.fgw/0"):
                await apply_polled(pool, Inbox("stall-test", killer), items, done)
            dead = await pool.fetchval("SELECT count(*) FROM inbox_dead_letters")
            return done, dead
        finally:
            await pool.close()

    done, dead = asyncio.run(go())
    assert done == {a: 11, b: 22}  # partition 0 stops before the event; partition 1 is done
    assert dead == 0  # not dead-lettered: the failure said nothing about the event itself


def test_a_topic_created_after_the_consumer_started_is_consumed_within_seconds(
    new_database: Callable[[str], str], kafka_bootstrap: str
) -> None:
    """`up` starts the projection before the acceptance topic exists; a department may be added later."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    first, later = f"{prefix}.filing.fgw", f"{prefix}.acceptance.main"
    kafka.ensure_topic(kafka_bootstrap, first, 3)
    early, late = posed("fgw", 1), posed("fgw", 2)
    late = Envelope(**{**late.__dict__, "source": {"service": "acceptance", "instance": "main", "position": 1}})

    def publish(topic: str, e: Envelope) -> None:
        producer = kafka.producer(kafka_bootstrap)
        producer.send(topic, key=e.aggregate_id.encode(), value=e.to_bytes())
        producer.flush()
        producer.close()

    publish(first, early)

    async def applied(pool: asyncpg.Pool, e: Envelope) -> bool:
        return bool(await pool.fetchval("SELECT count(*) FROM topics WHERE id = $1", e.aggregate_id))

    async def go() -> float:
        pool = await asyncpg.create_pool(new_database("late"), min_size=1, max_size=4)
        try:
            async with pool.acquire() as conn:
                await Inbox.create_schema(conn)
                await conn.execute(PROJECTION_SCHEMA)
            stopping = asyncio.Event()
            settings = ConsumerSettings(kafka_bootstrap, f"{prefix}.projection", rf"^{prefix}\..*")
            running = asyncio.create_task(consume(settings, pool, Inbox("late-test", projection_handler()), stopping))
            try:
                async with asyncio.timeout(30):
                    while not await applied(pool, early):
                        await asyncio.sleep(0.1)
                await asyncio.to_thread(kafka.ensure_topic, kafka_bootstrap, later, 3)
                await asyncio.to_thread(publish, later, late)
                started = time.monotonic()
                # Before the fix it never was (the rebalance for the new topic stalled); a rejoin
                # takes a metadata refresh (5 s), the check (5 s) and a join (3-6 s).
                async with asyncio.timeout(60):
                    while not await applied(pool, late):
                        await asyncio.sleep(0.1)
                return time.monotonic() - started
            finally:
                stopping.set()
                await running
        finally:
            await pool.close()

    assert asyncio.run(go()) > 0  # consumed: the deadline above is the check
