"""Crashes and a broker that forgets: every event still applied exactly once, in order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import httpx
import pytest

from shared.auth import Role
from shared.devstack.broker import EmbeddedBroker
from shared.devstack.stack import Stack
from tests.projection_history import read_models
from tests.support import eventually, headers

pytestmark = pytest.mark.e2e

TOPICS = 500  # x 4 commands each: pose, revise, revise, withdraw = 2,000 commands


def _drive(url: str, on_progress: Callable[[int], None]) -> list[str]:
    """Send 2,000 commands from 8 threads; each topic's four commands in order. Returns topic ids."""
    done = 0
    lock = threading.Lock()

    def lifecycle(n: int) -> str:
        nonlocal done
        with httpx.Client(base_url=url, timeout=30) as client:

            def post(path: str, body: dict[str, object]) -> dict[str, object]:
                nonlocal done
                key = f"{path}-{n}-{body.get('expected_version', 0)}"
                response: httpx.Response | None = None
                for _ in range(50):  # a retried command is answered once: same Idempotency-Key
                    try:
                        response = client.post(path, json=body, headers=headers(Role.COMMITTEE, "fgw", request_id=key))
                    except httpx.TransportError:
                        # A keep-alive connection left idle while the broker restarts (the driving
                        # threads wait for that) may be closed by the server as we reuse it: retry.
                        continue
                    if response.status_code < 500:
                        break
                assert response is not None, f"{path}: no answer in 50 attempts"
                assert response.status_code in (200, 201), response.text
                with lock:
                    done += 1
                    on_progress(done)
                return response.json()

            topic = post("/topics", {"year": 2026, "direction": "party_building", "title": f"课题{n}"})
            tid = topic["id"]
            post(f"/topics/{tid}/revise", {"expected_version": 1, "title": f"课题{n}·修订一"})
            post(f"/topics/{tid}/revise", {"expected_version": 2, "description": "修订二"})
            post(f"/topics/{tid}/withdraw", {"expected_version": 3, "reason": "合并"})
            return str(tid)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lifecycle, range(TOPICS)))


async def _check_exactly_once_in_order(dsn: str, topic_ids: list[str]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM inbox_dead_letters") == 0
        rows = await conn.fetch(
            "SELECT aggregate_id::text AS id, array_agg(aggregate_version ORDER BY applied_seq) AS versions "
            "FROM audit_trail WHERE aggregate_type <> 'AuditChain' GROUP BY aggregate_id"
        )
        versions = {r["id"]: list(r["versions"]) for r in rows}
        assert set(versions) == set(topic_ids)
        assert all(v == [1, 2, 3, 4] for v in versions.values()), "each topic's 4 events once, in order"
        states = await conn.fetch("SELECT state, version, count(*) FROM topics GROUP BY state, version")
        assert [(r["state"], r["version"], r["count"]) for r in states] == [("withdrawn", 4, TOPICS)]
    finally:
        await conn.close()


def _count(dsn: str) -> Callable[[], int]:
    import asyncio

    async def count() -> int:
        conn = await asyncpg.connect(dsn)
        try:
            # the topics' events (the relay's chain follower adds its signed checkpoints beside them)
            return int(await conn.fetchval("SELECT count(*) FROM audit_trail WHERE aggregate_type <> 'AuditChain'"))
        finally:
            await conn.close()

    return lambda: asyncio.run(count())


def test_killing_the_relay_and_the_projection_mid_stream_loses_and_doubles_nothing(stack: Stack) -> None:
    import asyncio

    api, relay = stack.filing("fgw", "fgw", workers=2)
    projection = stack.projection()
    for process in (api, relay, projection):
        process.start()
    crashes: list[str] = []

    def on_progress(done: int) -> None:
        if done == 500 and not crashes:
            crashes.append("relay")
            relay.kill9()
            relay.start(wait=False)
        elif done == 1000 and len(crashes) == 1:
            crashes.append("projection")
            projection.kill9()
            projection.start(wait=False)
        elif done == 1500 and len(crashes) == 2:
            crashes.append("both")
            relay.kill9()
            projection.kill9()
            relay.start(wait=False)
            projection.start(wait=False)

    topic_ids = _drive(stack.url(api), on_progress)
    assert crashes == ["relay", "projection", "both"]
    dsn = projection.env["VANGUARD_DATABASE_DSN"]
    count = _count(dsn)
    eventually(lambda: count() == 4 * TOPICS, timeout=300, what="all 2,000 events in the projection")
    asyncio.run(_check_exactly_once_in_order(dsn, topic_ids))

    # Rebuilding from nothing by replaying history gives the same rows.
    rebuilt = stack.projection(instance="rebuilt").start()
    rebuilt_dsn = rebuilt.env["VANGUARD_DATABASE_DSN"]
    eventually(lambda: _count(rebuilt_dsn)() == 4 * TOPICS, timeout=300, what="the rebuilt projection")
    assert asyncio.run(read_models(rebuilt_dsn)) == asyncio.run(read_models(dsn))


def test_a_broker_that_loses_its_log_is_refilled_from_the_event_store_without_duplicate_effects(
    stack: Stack, own_broker: EmbeddedBroker
) -> None:
    import asyncio

    stack.kafka_bootstrap = own_broker.bootstrap
    api, relay = stack.filing("fgw", "fgw", workers=2)
    projection = stack.projection()
    for process in (api, relay, projection):
        process.start()
    restarted: list[bool] = []

    def on_progress(done: int) -> None:
        if done == 1000 and not restarted:
            restarted.append(True)
            own_broker.restart()  # memory only: every topic, message and committed offset is gone

    topic_ids = _drive(stack.url(api), on_progress)
    assert restarted
    dsn = projection.env["VANGUARD_DATABASE_DSN"]
    eventually(lambda: _count(dsn)() == 4 * TOPICS, timeout=300, what="all 2,000 events after the broker restart")
    asyncio.run(_check_exactly_once_in_order(dsn, topic_ids))
    assert "republishing from the start" in relay.log_path.read_text(), "the relay noticed the loss"
