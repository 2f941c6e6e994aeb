"""The library's own recorder, factory and application test cases, run on asyncpg_store.

Each test gets a database of its own (conftest's `new_database`), so notification ids start at 1.
Needs pycryptodome: eventsourcing.tests.persistence imports the library's AES cipher.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar
from unittest import TestCase
from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Tracking,
)
from eventsourcing.tests import application as app_cases
from eventsourcing.tests import persistence as cases
from eventsourcing.utils import Environment, get_topic

from shared.persistence.asyncpg_store import (
    AsyncpgAggregateRecorder,
    AsyncpgApplicationRecorder,
    AsyncpgDatastore,
    AsyncpgFactory,
    AsyncpgProcessRecorder,
    AsyncpgTrackingRecorder,
)
from tests.support import eventually

pytestmark = pytest.mark.integration

MODULE = "shared.persistence.asyncpg_store"
LONGEST_NAME = "e" * 63  # PostgreSQL's identifier limit


def terminate_connections(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


class DatastoreCase(TestCase):
    """A fresh database and a datastore on it, for each test."""

    schema: ClassVar[str] = ""
    originator_id_type: ClassVar[str] = "uuid"
    datastore: AsyncpgDatastore
    dsn: str

    @pytest.fixture(autouse=True)
    def _datastore(self, new_database) -> Iterator[None]:
        self.dsn = new_database("asyncpg")
        self.datastore = AsyncpgDatastore(
            self.dsn,
            pool_size=12,
            schema=self.schema,
            originator_id_type=self.originator_id_type,
        )
        yield
        self.datastore.close()


class TextIDs:
    originator_id_type: ClassVar[str] = "text"

    def new_originator_id(self) -> str:
        return f"test-{uuid.uuid4()}"


class OwnSchema:
    schema: ClassVar[str] = "my schema"


class TestAggregateRecorder(DatastoreCase, cases.AggregateRecorderTestCase):
    def create_recorder(self, table: str = LONGEST_NAME) -> AsyncpgAggregateRecorder:
        recorder = AsyncpgAggregateRecorder(self.datastore, events_table_name=table)
        recorder.create_table()
        return recorder

    def test_table_name_too_long(self) -> None:
        with self.assertRaises(ProgrammingError):
            AsyncpgAggregateRecorder(self.datastore, events_table_name=LONGEST_NAME + "e")

    def test_missing_table_is_a_programming_error(self) -> None:
        recorder = AsyncpgAggregateRecorder(self.datastore)
        with self.assertRaises(ProgrammingError):
            recorder.select_events(self.new_originator_id())
        with self.assertRaises(ProgrammingError):
            recorder.insert_events([StoredEvent(self.new_originator_id(), 1, "t", b"")])

    def test_retries_after_connections_are_killed(self) -> None:
        recorder = self.create_recorder()
        recorder.insert_events([StoredEvent(self.new_originator_id(), 1, "t", b"")])
        terminate_connections(self.dsn)
        event = StoredEvent(self.new_originator_id(), 1, "t", b"")
        recorder.insert_events([event])
        self.assertEqual(recorder.select_events(event.originator_id), [event])


class TestAggregateRecorderTextIDs(TextIDs, TestAggregateRecorder):
    pass


class TestAggregateRecorderOwnSchema(OwnSchema, TestAggregateRecorder):
    pass


class TestApplicationRecorder(DatastoreCase, cases.ApplicationRecorderTestCase):
    def create_recorder(self, table: str = LONGEST_NAME) -> AsyncpgApplicationRecorder:
        recorder = AsyncpgApplicationRecorder(self.datastore, events_table_name=table)
        recorder.create_table()
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_subscribe_sees_all_while_writing_concurrently(self) -> None:
        recorder = self.create_recorder()
        batches, batch_size = 20, 100
        start = recorder.max_notification_id()

        def write() -> None:
            for _ in range(batches):
                recorder.insert_events([StoredEvent(self.new_originator_id(), 1, "t", b"") for _ in range(batch_size)])

        with recorder.subscribe(gt=start) as subscription, ThreadPoolExecutor(1) as pool:
            writing = pool.submit(write)
            ids = []
            for notification in subscription:
                ids.append(notification.id)
                if len(ids) == batches * batch_size:
                    break
            writing.result()
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(set(ids)), len(ids))

    def test_subscription_fails_when_its_listener_is_lost(self) -> None:
        recorder = self.create_recorder()
        with recorder.subscribe(gt=None) as subscription:
            terminate_connections(self.dsn)
            with self.assertRaises(OperationalError):
                next(subscription)

    def test_missing_table_is_a_programming_error(self) -> None:
        recorder = AsyncpgApplicationRecorder(self.datastore)
        with self.assertRaises(ProgrammingError):
            recorder.select_notifications(start=1, limit=1)
        with self.assertRaises(ProgrammingError):
            recorder.max_notification_id()

    def test_failed_batch_records_nothing(self) -> None:
        recorder = self.create_recorder()
        first = StoredEvent(self.new_originator_id(), 1, "t", b"")
        recorder.insert_events([first])
        fresh = StoredEvent(self.new_originator_id(), 1, "t", b"")
        with self.assertRaises(IntegrityError):
            recorder.insert_events([fresh, first])
        self.assertEqual(recorder.select_events(fresh.originator_id), [])
        self.assertEqual([n.id for n in recorder.select_notifications(None, 10)], [1])


class TestApplicationRecorderTextIDs(TextIDs, TestApplicationRecorder):
    pass


class TestApplicationRecorderOwnSchema(OwnSchema, TestApplicationRecorder):
    pass


class TestNonInterleavingNotificationIDs(DatastoreCase, cases.NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> AsyncpgApplicationRecorder:
        recorder = AsyncpgApplicationRecorder(self.datastore)
        recorder.create_table()
        return recorder


class TestTrackingRecorder(DatastoreCase, cases.TrackingRecorderTestCase):
    def create_recorder(self) -> AsyncpgTrackingRecorder:
        recorder = AsyncpgTrackingRecorder(self.datastore, tracking_table_name=LONGEST_NAME)
        recorder.create_table()
        return recorder

    def test_concurrent_positions_are_recorded_once(self) -> None:
        recorder = self.create_recorder()
        barrier = threading.Barrier(8)

        def insert() -> bool:
            barrier.wait()
            try:
                recorder.insert_tracking(Tracking("upstream", 5))
            except IntegrityError:
                return False
            return True

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(lambda _: insert(), range(8)))
        self.assertEqual(outcomes.count(True), 1)
        self.assertEqual(recorder.max_tracking_id("upstream"), 5)


class TestProcessRecorder(DatastoreCase, cases.ProcessRecorderTestCase):
    def create_recorder(self) -> AsyncpgProcessRecorder:
        recorder = AsyncpgProcessRecorder(
            self.datastore, events_table_name=LONGEST_NAME, tracking_table_name=LONGEST_NAME[:-1]
        )
        recorder.create_table()
        return recorder

    def test_returns_notification_ids_with_tracking(self) -> None:
        recorder = self.create_recorder()
        events = [StoredEvent(uuid.uuid4(), v, "t", b"") for v in (1, 2)]
        self.assertEqual(recorder.insert_events(events, tracking=Tracking("up", 7)), [1, 2])
        self.assertEqual(recorder.select_notifications(None, 10)[1].originator_version, 2)


class TestProcessRecorderOwnSchema(OwnSchema, TestProcessRecorder):
    pass


class TestFactory(cases.InfrastructureFactoryTestCase[AsyncpgFactory]):
    @pytest.fixture(autouse=True)
    def _database(self, new_database) -> None:
        self.dsn = new_database("asyncpg")

    def setUp(self) -> None:
        self.env = Environment("TestCase")
        self.env[AsyncpgFactory.PERSISTENCE_MODULE] = MODULE
        self.env[AsyncpgFactory.ASYNCPG_DSN] = self.dsn
        super().setUp()

    def expected_factory_class(self) -> type[AsyncpgFactory]:
        return AsyncpgFactory

    def expected_aggregate_recorder_class(self) -> type[AsyncpgAggregateRecorder]:
        return AsyncpgAggregateRecorder

    def expected_application_recorder_class(self) -> type[AsyncpgApplicationRecorder]:
        return AsyncpgApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[AsyncpgTrackingRecorder]:
        return AsyncpgTrackingRecorder

    class TrackingRecorderSubclass(AsyncpgTrackingRecorder):
        pass

    def tracking_recorder_subclass(self) -> type[AsyncpgTrackingRecorder]:
        return self.TrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[AsyncpgProcessRecorder]:
        return AsyncpgProcessRecorder

    def test_table_names_follow_the_library(self) -> None:
        factory = AsyncpgFactory(self.env)
        try:
            events = factory.application_recorder()
            snapshots = factory.aggregate_recorder("snapshots")
            process = factory.process_recorder()
            assert isinstance(snapshots, AsyncpgAggregateRecorder)
            assert isinstance(process, AsyncpgProcessRecorder)
            self.assertEqual(events.events_table_name, "testcase_events")  # type: ignore[attr-defined]
            self.assertEqual(snapshots.events_table_name, "testcase_snapshots")
            self.assertEqual(process.tracking_table_name, "testcase_tracking")
        finally:
            factory.close()

    def test_settings(self) -> None:
        factory = AsyncpgFactory(self.env)
        self.assertEqual(factory.datastore.pool.size, 10)
        self.assertEqual(factory.datastore.schema, "public")
        factory.close()
        self.env[AsyncpgFactory.ASYNCPG_POOL_SIZE] = "3"
        self.env[AsyncpgFactory.ASYNCPG_SCHEMA] = "other"
        factory = AsyncpgFactory(self.env)
        self.assertEqual(factory.datastore.pool.size, 3)
        self.assertEqual(factory.datastore.schema, "other")
        factory.close()

    def test_invalid_settings(self) -> None:
        self.env[AsyncpgFactory.ASYNCPG_POOL_SIZE] = "many"
        with self.assertRaises(OSError):
            AsyncpgFactory(self.env)
        del self.env[AsyncpgFactory.ASYNCPG_POOL_SIZE]
        del self.env[AsyncpgFactory.ASYNCPG_DSN]
        with self.assertRaises(OSError):
            AsyncpgFactory(self.env)

    def test_close_stops_the_loop_and_connections(self) -> None:
        factory = AsyncpgFactory(self.env)
        recorder = factory.application_recorder()
        recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "t", b"")])
        thread = factory.datastore._state.thread
        factory.close()
        self.assertFalse(thread.is_alive())
        self.assertTrue(factory.datastore.loop.is_closed())
        # Every connection was closed; the server may take a moment to see its backends out.
        others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            eventually(lambda: conn.execute(others).fetchone() == (0,), timeout=5, what="no connection left")


class AsyncpgEnvironment(TestCase):
    """Applications built from os.environ, on a database of their own."""

    @pytest.fixture(autouse=True)
    def _environment(self, new_database, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PERSISTENCE_MODULE", MODULE)
        monkeypatch.setenv("ASYNCPG_DSN", new_database("asyncpg"))


class TestApplication(AsyncpgEnvironment, app_cases.ApplicationTestCase):
    def test_factory_is_ours(self) -> None:
        with Application[UUID]() as app:
            self.assertIsInstance(app.factory, AsyncpgFactory)
        self.assertEqual(os.environ["PERSISTENCE_MODULE"], MODULE)


class TestExampleApplication(AsyncpgEnvironment, app_cases.ExampleApplicationTestCase):
    expected_factory_topic = get_topic(AsyncpgFactory)
