"""The trust boundary between departments, as every consumer keeps it: an event from fgw's instance
claiming department zwb is applied by no consumer, and is kept as a dead letter with its reason; an
event whose claimed source is not the topic it came from likewise. Through the real inbox and the
projection's and tasking's real handlers, and (for the topic) a real broker."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from services.projection.handlers import handler as projection_handler
from services.projection.upgrade import upgrade
from shared.contracts import Envelope, event_id
from shared.messaging import kafka
from shared.messaging.boundary import source_of_topic
from shared.messaging.consumer import ConsumerSettings, consume
from shared.messaging.inbox import Inbox
from tests.integration.test_consumer import dead_letters_counted

pytestmark = pytest.mark.integration


def event(service: str, instance: str, type_: str, department: str, **payload: Any) -> Envelope:
    aggregate = uuid.uuid4()
    return Envelope(
        event_id=event_id(aggregate, 1),
        type=type_,
        aggregate_id=str(aggregate),
        aggregate_type=type_.split(".")[1],
        aggregate_version=1,
        department=department,
        branch=None,
        actor={"id": "someone", "role": "committee", "department": department},
        request_id=None,
        occurred_at="2026-03-01T09:00:00+08:00",
        source={"service": service, "instance": instance, "position": 1},
        payload=payload,
    )


def registered(instance: str, code: str) -> Envelope:
    return event("filing", instance, "filing.Department.Registered", code, code=code, name=f"{code} 部门")


def posed(instance: str, department: str, title: str) -> Envelope:
    return event(
        "filing", instance, "filing.Topic.Posed", department, year=2026, direction="business_environment", title=title
    )


async def _apply(dsn: str, inbox: Inbox, envelopes: list[Envelope], schema: bool = True) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await Inbox.create_schema(conn)
    if schema:
        await upgrade(conn)
    for e in envelopes:
        await inbox.apply_batch(conn, [e])
    return conn


def test_an_event_from_fgws_instance_claiming_zwb_is_applied_by_no_consumer_and_dead_lettered_with_why(
    new_database: Callable[[str], str],
) -> None:
    fgw, zwb = registered("fgw", "fgw"), registered("zwb", "zwb")
    forged = posed("fgw", "zwb", "冒名的课题")
    honest = posed("zwb", "zwb", "zwb 自己的课题")
    own = posed("fgw", "fgw", "fgw 自己的课题")
    takeover = registered("fgw", "zwb")  # fgw registering zwb again, as its own
    citywide = event("inspection", "main", "inspection.Supervision.Opened", "zwb", project_id=str(uuid.uuid4()))
    before = dead_letters_counted("projection", "foreign_department")

    async def go() -> tuple[set[str], list[asyncpg.Record], list[asyncpg.Record]]:
        conn = await _apply(
            new_database("boundary"),
            Inbox("projection", projection_handler()),
            [fgw, zwb, forged, honest, own, takeover, citywide],
        )
        try:
            titles = {r["title"] for r in await conn.fetch("SELECT title FROM topics")}
            dead = await conn.fetch(
                "SELECT event_id, envelope, error, reason FROM inbox_dead_letters ORDER BY failed_at"
            )
            trail = await conn.fetch("SELECT event_id FROM audit_trail")
            return titles, dead, trail
        finally:
            await conn.close()

    titles, dead, trail = asyncio.run(go())
    assert titles == {"zwb 自己的课题", "fgw 自己的课题"}
    assert [(str(r["event_id"]), r["reason"]) for r in dead] == [
        (forged.event_id, "foreign_department"),
        (takeover.event_id, "foreign_department"),
    ]
    assert dead[0]["error"] == (
        "Refused: department 'zwb' is served by the filing instance 'zwb', not by 'fgw', which sent this "
        "filing.Topic.Posed"
    )
    assert json.loads(dead[0]["envelope"])["payload"]["title"] == "冒名的课题"  # kept as it came
    recorded = {str(r["event_id"]) for r in trail}
    assert forged.event_id not in recorded and takeover.event_id not in recorded  # not even in the audit trail
    assert citywide.event_id in recorded  # inspection serves every department
    assert dead_letters_counted("projection", "foreign_department") == before + 2


def test_every_consumers_inbox_refuses_the_same_and_the_boundary_outlives_a_restart(
    new_database: Callable[[str], str],
) -> None:
    """The check is the inbox's, before any handler: tasking's, inspection's and acceptance's consumers alike."""
    dsn = new_database("boundary_tasking")
    before = dead_letters_counted("tasking", "foreign_department")
    handled: list[str] = []

    async def handle(conn: asyncpg.Connection, e: Envelope) -> None:
        handled.append(e.type)

    # one tasking instance ("main") may serve several departments: its roster events say which
    rosters = [event("tasking", "main", "tasking.Roster.Started", d) for d in ("fgw", "zwb")]

    async def go() -> list[str]:
        conn = await _apply(dsn, Inbox("tasking", handle), [registered("zwb", "zwb"), *rosters], schema=False)
        await conn.close()
        # a new process: what it knows of the registry comes from its own database
        tasked = event("tasking", "fgw", "tasking.Task.Created", "zwb", title="冒名的任务")
        honest = event("tasking", "main", "tasking.Task.Created", "zwb", title="任务")
        conn = await _apply(dsn, Inbox("tasking", handle), [tasked, posed("fgw", "zwb", "冒名"), honest], schema=False)
        try:
            rows = await conn.fetch("SELECT reason, error FROM inbox_dead_letters ORDER BY failed_at")
            return [f"{r['reason']}: {r['error']}" for r in rows]
        finally:
            await conn.close()

    assert asyncio.run(go()) == [
        "foreign_department: Refused: department 'zwb' is served by the tasking instance 'main', not by 'fgw', "
        "which sent this tasking.Task.Created",
        "foreign_department: Refused: department 'zwb' is served by the filing instance 'zwb', not by 'fgw', "
        "which sent this filing.Topic.Posed",
    ]
    assert handled == [
        "filing.Department.Registered",
        "tasking.Roster.Started",
        "tasking.Roster.Started",
        "tasking.Task.Created",
    ]
    assert dead_letters_counted("tasking", "foreign_department") == before + 2


def test_an_event_whose_claimed_source_is_not_its_topic_is_refused_on_a_real_broker(
    new_database: Callable[[str], str], kafka_bootstrap: str
) -> None:
    """fgw's relay writes to fgw's topic: an event there that says it comes from zwb is a forgery."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    topic = f"{prefix}.filing.fgw"
    assert source_of_topic(topic) == ("filing", "fgw")
    kafka.ensure_topic(kafka_bootstrap, topic, 3)
    forged = posed("zwb", "zwb", "冒充 zwb 的课题")  # says filing/zwb, arrives on filing/fgw's topic
    own = posed("fgw", "fgw", "fgw 的课题")
    producer = kafka.producer(kafka_bootstrap)
    for e in (forged, own):
        producer.send(topic, key=e.aggregate_id.encode(), value=e.to_bytes())
    producer.flush()
    producer.close()

    async def go() -> tuple[set[str], list[asyncpg.Record]]:
        dsn = new_database("boundary_topic")
        conn = await _apply(dsn, Inbox("projection", projection_handler()), [])
        await conn.close()
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=3)
        try:
            stopping = asyncio.Event()
            settings = ConsumerSettings(kafka_bootstrap, f"{prefix}.projection", rf"^{prefix}\.filing\..*")
            running = asyncio.create_task(consume(settings, pool, Inbox("projection", projection_handler()), stopping))
            async with asyncio.timeout(60):
                while not (
                    await pool.fetch("SELECT 1 FROM topics") and await pool.fetch("SELECT 1 FROM inbox_dead_letters")
                ):
                    await asyncio.sleep(0.2)
            stopping.set()
            await running
            titles = {r["title"] for r in await pool.fetch("SELECT title FROM topics")}
            return titles, await pool.fetch("SELECT event_id, error, reason FROM inbox_dead_letters")
        finally:
            await pool.close()

    titles, dead = asyncio.run(go())
    assert titles == {"fgw 的课题"}
    assert [(str(r["event_id"]), r["reason"]) for r in dead] == [(forged.event_id, "foreign_source")]
    assert "names its source filing/zwb but came from the topic of filing/fgw" in dead[0]["error"]
