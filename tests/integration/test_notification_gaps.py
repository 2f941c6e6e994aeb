"""Notification ids without serialised commits: readers never pass a write in flight.

Single-event writers commit concurrently, so id n + 1 can be visible before n. These tests hold
a write open by hand (a second connection that takes the same shared lock and inserts, like
`sql.EventsSQL.insert_one`) and check what readers see; then race many writers against a
tailing reader. All against a real PostgreSQL.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from shared.persistence.asyncpg_store import AsyncpgApplicationRecorder, AsyncpgDatastore
from shared.persistence.asyncpg_store.sql import advisory_key

pytestmark = pytest.mark.integration


@pytest.fixture
def dsn(new_database) -> str:
    return new_database("gaps")


@pytest.fixture
def recorder(dsn: str) -> Iterator[AsyncpgApplicationRecorder]:
    datastore = AsyncpgDatastore(dsn, pool_size=12)
    recorder = AsyncpgApplicationRecorder(datastore)
    recorder.create_table()
    yield recorder
    datastore.close()


def event(originator_id: uuid.UUID | None = None, version: int = 1) -> StoredEvent:
    return StoredEvent(originator_id or uuid.uuid4(), version, "topic", b"{}")


def open_write(dsn: str) -> psycopg.Connection:
    """A write holding its id, not yet committed (commit or roll back the returned connection)."""
    conn = psycopg.connect(dsn)
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", [advisory_key("public", "stored_events")])
    conn.execute(
        "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (%s, 1, 'open', '')",
        [uuid.uuid4()],
    )
    return conn


def ids(recorder: AsyncpgApplicationRecorder, **kwargs) -> list[int]:
    return [n.id for n in recorder.select_notifications(None, 100, **kwargs)]


def in_thread(call) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    return thread, result


def test_a_later_id_is_not_handed_out_while_an_earlier_write_is_in_flight(recorder, dsn) -> None:
    recorder.insert_events([event()])
    held = open_write(dsn)  # takes id 2
    try:
        recorder.insert_events([event()])  # id 3, committed
        assert ids(recorder, settle=False) == [1]
        reader, result = in_thread(lambda: ids(recorder))  # settles: waits for id 2's writer
        reader.join(0.5)
        assert reader.is_alive(), "the settling read returned while id 2 was still in flight"
        held.commit()
        reader.join(10)
        assert result == [[1, 2, 3]]
    finally:
        held.close()
    assert recorder.max_notification_id() == 3


def test_max_notification_id_stays_below_a_write_in_flight_until_it_ends(recorder, dsn) -> None:
    recorder.insert_events([event()])
    held = open_write(dsn)
    try:
        recorder.insert_events([event()])
        reader, result = in_thread(recorder.max_notification_id)
        reader.join(0.5)
        assert reader.is_alive()
        held.rollback()  # id 2 never comes: the reader passes it
        reader.join(10)
        assert result == [3]
    finally:
        held.close()
    assert ids(recorder) == [1, 3]
    assert ids(recorder, topics=["topic"]) == [1, 3]


def test_ids_lost_to_conflicts_are_passed(recorder) -> None:
    originator_id = uuid.uuid4()
    recorder.insert_events([event(originator_id, 1)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(originator_id, 1)])  # its id is taken, then rolled back
    recorder.insert_events([event(originator_id, 2)])
    # Not settling, a reader gets what comes before the gap; at the gap itself, it is settled.
    assert ids(recorder, settle=False) == [1]
    assert [n.id for n in recorder.select_notifications(1, 100, inclusive_of_start=False, settle=False)] == [3]
    assert ids(recorder) == [1, 3]
    assert recorder.max_notification_id() == 3


def test_a_batch_keeps_contiguous_ids_among_concurrent_single_writes(recorder) -> None:
    stop = threading.Event()

    def singles() -> None:
        while not stop.is_set():
            recorder.insert_events([event()])

    writers = [threading.Thread(target=singles, daemon=True) for _ in range(4)]
    for writer in writers:
        writer.start()
    try:
        time.sleep(0.1)
        batch_id = uuid.uuid4()
        batch = recorder.insert_events([event(batch_id, v) for v in range(1, 301)])
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    assert batch == list(range(batch[0], batch[0] + 300))
    everything = recorder.select_notifications(None, 100_000)
    assert [n.id for n in everything if n.originator_id == batch_id] == batch
    assert len(everything) > 300  # the singles did run alongside


@pytest.mark.parametrize("settle", [True, False])
def test_a_tailing_reader_sees_every_committed_id_once_and_in_order(recorder, dsn, settle: bool) -> None:
    writers_done = threading.Event()
    errors: list[BaseException] = []

    def write(seed: int) -> None:
        rng = random.Random(seed)
        originator_id, version = uuid.uuid4(), 1
        try:
            for _ in range(150):
                if rng.random() < 0.1:  # a stale version: its id is taken, then rolled back
                    with pytest.raises(IntegrityError):
                        recorder.insert_events([event(originator_id, max(1, version - 1))])
                if version > 1 and rng.random() < 0.1:  # a batch now and then
                    recorder.insert_events([event(originator_id, version), event(originator_id, version + 1)])
                    version += 2
                else:
                    recorder.insert_events([event(originator_id, version)])
                    version += 1
        except BaseException as error:
            errors.append(error)

    seen: list[int] = []

    def tail() -> None:
        after = 0
        try:
            while True:
                finished = writers_done.is_set()
                page = recorder.select_notifications(after, 50, inclusive_of_start=False, settle=settle)
                seen.extend(n.id for n in page)
                if page:
                    after = page[-1].id
                elif finished:
                    return
        except BaseException as error:
            errors.append(error)

    tailer = threading.Thread(target=tail, daemon=True)
    tailer.start()
    writers = [threading.Thread(target=write, args=(seed,), daemon=True) for seed in range(8)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    writers_done.set()
    tailer.join(60)
    assert not errors, errors
    assert seen == sorted(set(seen)), "ids handed out twice or out of order"
    with psycopg.connect(dsn) as conn:
        committed = [row[0] for row in conn.execute("SELECT notification_id FROM stored_events ORDER BY 1")]
    assert seen == committed
    assert len(committed) < committed[-1]  # conflicts did leave gaps behind


@pytest.fixture
def heard(recorder) -> Iterator[list[float]]:
    """When each NOTIFY on the events table's channel arrived (a LISTEN connection of its own)."""
    datastore = recorder.datastore
    times: list[float] = []
    listener = datastore.run(
        datastore.listen(recorder.events_sql.channel, lambda: times.append(time.monotonic()), lambda: None)
    )
    yield times
    datastore.run(datastore.unlisten(listener))


def test_listeners_hear_of_writes_soon_with_notifies_coalesced(recorder, heard: list[float]) -> None:
    for _ in range(200):
        recorder.insert_events([event()])
    last_write = time.monotonic()
    deadline = last_write + 5
    while (not heard or heard[-1] < last_write) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert heard and heard[-1] >= last_write, "no NOTIFY after the last write"
    assert len(heard) < 200, "one NOTIFY per write: not coalesced"


def test_sparse_writes_are_each_announced_at_once(recorder, heard: list[float]) -> None:
    delays = []
    for _ in range(5):
        time.sleep(0.05)
        before = len(heard)
        recorder.insert_events([event()])
        written = time.monotonic()
        while len(heard) == before and time.monotonic() < written + 5:
            time.sleep(0.001)
        delays.append(heard[-1] - written)
    assert max(delays) < 0.03, delays  # not held back for a coalescing window
