"""Sync application code on the server's event loop: the datastore attached to the running loop,
requests' sync code in bridge greenlets, every query awaited in place (real PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from services.filing.app import FilingApplication
from services.filing.domain import Topic
from shared.auth import Principal, Role
from shared.errors import StaleVersion
from shared.persistence.asyncpg_store.greenlets import run_sync

COMMITTEE = Principal("c-fgw", Role.COMMITTEE, "fgw")


@pytest.fixture
def filing(new_database: Callable[[str], str]) -> FilingApplication:
    env = {
        "PERSISTENCE_MODULE": "shared.persistence.asyncpg_store",
        "ASYNCPG_DSN": new_database("bridge"),
        "ASYNCPG_POOL_SIZE": "4",
    }
    return FilingApplication(env, departments=frozenset({"fgw"}))


def pose(app: FilingApplication, n: int) -> Topic:
    return app.pose_topic(COMMITTEE, 2026, "business_environment", f"课题 {n}", "说明", f"key-{n}")


def test_attached_queries_run_on_the_server_loop_without_other_threads(filing: FilingApplication) -> None:
    datastore = filing.factory.datastore  # type: ignore[attr-defined]

    async def serve() -> list[Topic]:
        await datastore.attach()
        try:
            assert datastore.loop is asyncio.get_running_loop()
            before = threading.active_count()
            topics = await asyncio.gather(*(run_sync(pose, filing, n) for n in range(40)))
            assert threading.active_count() == before  # no worker thread, no private loop thread
            return list(topics)
        finally:
            await datastore.detach()

    topics = asyncio.run(serve())
    assert len({t.id for t in topics}) == 40
    # Detached again, the application works from plain sync code (a private loop thread).
    assert filing.get(Topic, topics[7].id).title == "课题 7"
    assert len(filing.index.select(Topic)) == 40


def test_many_requests_for_one_aggregate_at_once_do_not_block_the_loop(filing: FilingApplication) -> None:
    topic = pose(filing, 0)

    async def serve() -> list[int]:
        await filing.factory.datastore.attach()  # type: ignore[attr-defined]
        try:

            def revise(n: int) -> int:
                for _ in range(20):  # optimistic concurrency: a loser reloads and tries again
                    current = filing.get(Topic, topic.id)
                    try:
                        revised = filing.revise_topic(COMMITTEE, topic.id, current.version, f"r-{n}", title=f"第{n}版")
                    except StaleVersion:
                        continue
                    return revised.version
                raise AssertionError("never won the race")

            revisions = asyncio.gather(*(run_sync(revise, n) for n in range(10)))
            listing = run_sync(filing.index.select, Topic)  # the live index, read concurrently too
            versions, _ = await asyncio.wait_for(asyncio.gather(revisions, listing), 30)
            return versions
        finally:
            await filing.factory.datastore.detach()  # type: ignore[attr-defined]

    versions = asyncio.run(serve())
    assert sorted(versions) == list(range(2, 12))
    assert filing.get(Topic, topic.id).version == 11
    assert len(filing.index.select(Topic)) == 1


def test_a_database_error_reaches_the_sync_code_translated(filing: FilingApplication) -> None:
    topic = pose(filing, 0)
    duplicate = StoredEvent(topic.id, 1, "x:y", b"{}")

    async def serve() -> None:
        await filing.factory.datastore.attach()  # type: ignore[attr-defined]
        try:
            with pytest.raises(IntegrityError):
                await run_sync(filing.recorder.insert_events, [duplicate])
            # and the connection that saw the error serves the next query
            assert len(await run_sync(filing.recorder.select_events, topic.id)) == 1
        finally:
            await filing.factory.datastore.detach()  # type: ignore[attr-defined]

    asyncio.run(serve())


def test_sync_code_on_the_loop_outside_a_bridge_is_refused_not_deadlocked(filing: FilingApplication) -> None:
    async def serve() -> None:
        await filing.factory.datastore.attach()  # type: ignore[attr-defined]
        try:
            with pytest.raises(RuntimeError, match="outside a bridge greenlet"):
                filing.recorder.select_events(uuid4())
            # from another thread it goes through the loop, which is free meanwhile
            assert await asyncio.to_thread(filing.recorder.select_events, uuid4()) == []
        finally:
            await filing.factory.datastore.detach()  # type: ignore[attr-defined]

    asyncio.run(serve())


def test_a_cancelled_request_leaves_the_pool_usable(filing: FilingApplication) -> None:
    async def serve() -> None:
        datastore = filing.factory.datastore  # type: ignore[attr-defined]
        await datastore.attach()
        try:

            async def slow() -> None:
                async with datastore.pool.lease() as conn:
                    await conn.execute("SELECT pg_sleep(5)")

            task = asyncio.ensure_future(run_sync(datastore.run, slow()))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            topics = await asyncio.gather(*(run_sync(pose, filing, n) for n in range(8)))
            assert len(topics) == 8
        finally:
            await datastore.detach()

    asyncio.run(asyncio.wait_for(serve(), 10))


def test_a_saved_aggregate_spares_a_read_but_never_hides_another_workers_save(filing: FilingApplication) -> None:
    # Two workers of one instance: two applications on one database, each with its own cache.
    other = FilingApplication(filing.env, departments=frozenset({"fgw"}))
    reads: list[object] = []
    select_events = filing.recorder.select_events

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(kwargs.get("originator_id"))
        return select_events(*args, **kwargs)

    filing.recorder.select_events = counted  # type: ignore[method-assign]
    topic = pose(filing, 0)
    assert filing.revise_topic(COMMITTEE, topic.id, 1, "a", title="第二版").version == 2
    assert reads == []  # the command started from the topic this worker had just saved
    assert other.revise_topic(COMMITTEE, topic.id, 2, "b", title="第三版").version == 3  # from the store
    # This worker's saved copy is at version 2: a command expecting 2 is stale, not lost.
    with pytest.raises(StaleVersion):
        filing.revise_topic(COMMITTEE, topic.id, 2, "c", title="第四版")
    assert filing.revise_topic(COMMITTEE, topic.id, 3, "d", title="第四版").title == "第四版"
    assert reads  # the stale copy was dropped and the store read
    assert other.get(Topic, topic.id).title == "第四版"


def test_a_failed_command_leaves_no_half_changed_aggregate_behind(filing: FilingApplication) -> None:
    topic = pose(filing, 0)
    withdrawn = filing.withdraw_topic(COMMITTEE, topic.id, 1, "不再需要", "w")
    with pytest.raises(Exception, match="withdrawn"):
        filing.revise_topic(COMMITTEE, topic.id, withdrawn.version, "r", title="新")
    with pytest.raises(Exception, match="already withdrawn"):
        filing.withdraw_topic(COMMITTEE, topic.id, withdrawn.version, "再撤", "w2")
    stored = filing.get(Topic, topic.id)
    assert (stored.version, stored.title, stored.state) == (withdrawn.version, "课题 0", withdrawn.state)
