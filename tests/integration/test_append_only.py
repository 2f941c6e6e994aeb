"""History is append-only in every service's event store: a row changed, deleted or truncated
directly in PostgreSQL, even by the table's owner, is refused; inserting still works."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from shared.persistence.asyncpg_store import AsyncpgApplicationRecorder, AsyncpgDatastore

pytestmark = pytest.mark.integration


def test_stored_events_cannot_be_updated_deleted_or_truncated(new_database: Callable[[str], str]) -> None:
    dsn = new_database("append_only")
    datastore = AsyncpgDatastore(dsn, pool_size=2)
    recorder = AsyncpgApplicationRecorder(datastore)
    recorder.create_table()
    recorder.create_table()  # idempotent, as every start of a service runs it
    try:
        originator = uuid.uuid4()
        recorder.insert_events([StoredEvent(originator, 1, "topic", b'{"grade": "pass"}')])
        for statement in (
            'UPDATE stored_events SET state = \'{"grade": "excellent"}\'',
            "DELETE FROM stored_events",
            "TRUNCATE stored_events",
        ):
            with psycopg.connect(dsn) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
                conn.execute(statement)
            assert "stored events are append-only" in str(refused.value)
        recorder.insert_events([StoredEvent(originator, 2, "topic", b"{}")])
        assert [e.state for e in recorder.select_events(originator)] == [b'{"grade": "pass"}', b"{}"]
    finally:
        datastore.close()
