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


def test_the_services_own_role_holds_no_privilege_to_change_stored_events(pg_dsn: str) -> None:
    """As a deployment runs it: the service connects as an ordinary role that owns its database."""
    role, database = f"svc_{uuid.uuid4().hex[:8]}", f"own_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{pg_dsn}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"CREATE DATABASE {database} OWNER {role}")
    dsn = f"{pg_dsn.replace('postgres@', f'{role}@', 1)}/{database}"
    datastore = AsyncpgDatastore(dsn, pool_size=2)
    recorder = AsyncpgApplicationRecorder(datastore)
    try:
        recorder.create_table()
        recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "topic", b"{}")])
        with psycopg.connect(dsn, autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SET session_replication_role = replica")  # switching triggers off: not theirs
            for statement in ("UPDATE stored_events SET state = state", "DELETE FROM stored_events"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
                    conn.execute(statement)
                assert "permission denied for table stored_events" in str(refused.value)
            privileges = conn.execute(
                "SELECT has_table_privilege('stored_events', 'UPDATE'), has_table_privilege('stored_events', 'DELETE'),"
                " has_table_privilege('stored_events', 'INSERT')"
            ).fetchone()
        assert privileges == (False, False, True)
    finally:
        datastore.close()
