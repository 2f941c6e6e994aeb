"""SQL text for the asyncpg recorders: identifiers, DDL and the statements on the hot path.

Tables have the same layout as eventsourcing.postgres's, so either module can read the other's
(a table that our writers are writing is read safely only through this module: the library's
readers do not settle gaps in the notification ids, see below).

Every write is one autocommitted statement (one round trip, no BEGIN/COMMIT): any error,
e.g. a duplicate (originator_id, originator_version), rolls the whole batch back.

Notification ids come from the table's sequence without serialising commits: a single-event
insert holds a transaction-scoped *shared* advisory lock per events table from before its
nextval() until it has committed, so single-event writers commit together (their WAL flushes are
grouped). Readers therefore may see id n + 1 before n: `horizon.Horizon` finds such gaps and
`barrier` settles them, by taking the same lock *exclusively* for a moment, which waits for every
writer in flight. A batch holds the lock exclusively until commit, so its ids are contiguous
(never interleaved with another writer's). The lock is taken in a MATERIALIZED CTE that every
inserted row is joined with, so it is held before the first nextval().

No write NOTIFYs: PostgreSQL serialises NOTIFYing transactions through their commit with a
global lock, which would undo the above. `AsyncpgDatastore.announce` NOTIFYs after writes instead,
coalesced. Writers using eventsourcing.postgres (`LOCK TABLE ... IN EXCLUSIVE MODE` until commit)
still exclude ours: their EXCLUSIVE lock conflicts with our INSERT's ROW EXCLUSIVE lock.
"""

from __future__ import annotations

import hashlib

from eventsourcing.persistence import ProgrammingError

MAX_IDENTIFIER_LEN = 63  # NAMEDATALEN - 1: PostgreSQL silently truncates longer names
MIGRATION_ROW = "__migration__"  # eventsourcing.postgres's marker of a single-row tracking table
COLUMNS = "originator_id, originator_version, topic, state"

_TABLE_OPTIONS = (
    " WITH (autovacuum_enabled = true, autovacuum_vacuum_threshold = 100000000,"
    " autovacuum_vacuum_scale_factor = 0.5, autovacuum_analyze_threshold = 1000,"
    " autovacuum_analyze_scale_factor = 0.01)"
)


def check_identifier(name: str) -> str:
    if not name or "\x00" in name:
        msg = f"Invalid identifier: {name!r}"
        raise ProgrammingError(msg)
    if len(name.encode()) > MAX_IDENTIFIER_LEN:
        msg = f"Identifier too long: {name}"
        raise ProgrammingError(msg)
    return name


def quote(name: str) -> str:
    return '"' + check_identifier(name).replace('"', '""') + '"'


def derived_name(base: str, suffix: str) -> str:
    """`base + suffix`, shortened with a hash when it would be truncated (and could collide)."""
    name = base + suffix
    if len(name.encode()) <= MAX_IDENTIFIER_LEN:
        return name
    digest = hashlib.sha1(base.encode()).hexdigest()[:8]
    head = base.encode()[: MAX_IDENTIFIER_LEN - len(suffix.encode()) - 9]
    return head.decode(errors="ignore") + "_" + digest + suffix


def advisory_key(schema: str, table: str) -> int:
    """A stable signed 64-bit lock key for the table's notification sequence."""
    digest = hashlib.sha1(f"eventsourcing.notification_id:{schema}.{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def append_only(schema: str, table: str, qualified: str) -> list[str]:
    """History is append-only: the table refuses UPDATE, DELETE and TRUNCATE, from any role (a
    trigger holds even for the table's owner and a superuser; only dropping or disabling it, itself
    logged DDL, lifts it), and the service's role holds no privilege to do them."""
    function = f"{quote(schema)}.vanguard_append_only"
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'stored events are append-only: % on % is refused', TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; END $$",
        f"CREATE OR REPLACE TRIGGER {quote(derived_name(table, '_append_only'))} BEFORE UPDATE OR DELETE "
        f"ON {qualified} FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE OR REPLACE TRIGGER {quote(derived_name(table, '_no_truncate'))} BEFORE TRUNCATE "
        f"ON {qualified} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        # And the privileges: no role the service connects as (its own included) keeps them.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {qualified} FROM PUBLIC, CURRENT_USER",
    ]


class EventsSQL:
    """Statements for one stored-events table (`with_ids`: it has a notification sequence)."""

    def __init__(self, schema: str, table: str, id_type: str, *, with_ids: bool) -> None:
        self.table_name = check_identifier(table)
        self.channel = table  # LISTEN/NOTIFY channel name (see AsyncpgDatastore.announce)
        self.qualified = f"{quote(schema)}.{quote(table)}"
        self.create: list[str] = [
            f"CREATE TABLE IF NOT EXISTS {self.qualified} ("
            f"originator_id {id_type} NOT NULL, originator_version bigint NOT NULL, "
            "topic text, state bytea, "
            + ("notification_id bigserial, " if with_ids else "")
            + f"PRIMARY KEY (originator_id, originator_version)){_TABLE_OPTIONS}"
        ]
        self.select_events = f"SELECT originator_version, topic, state FROM {self.qualified} WHERE originator_id = $1"
        self._unnest = f"unnest($1::{id_type}[], $2::bigint[], $3::text[], $4::bytea[])"
        # One event (most commands): plain parameters encode and plan cheaper than arrays.
        self._one = f"$1::{id_type}, $2::bigint, $3::text, $4::bytea"
        if not with_ids:
            self.insert = f"INSERT INTO {self.qualified} ({COLUMNS}) SELECT * FROM {self._unnest}"
            self.insert_one = f"INSERT INTO {self.qualified} ({COLUMNS}) VALUES ({self._one})"
            return
        index = quote(derived_name(table, "_notification_id_idx"))
        self.create.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {self.qualified} (notification_id ASC)")
        self.create += append_only(schema, table, self.qualified)
        key = advisory_key(schema, table)
        self._exclusive = f"SELECT pg_advisory_xact_lock({key})"
        shared = f"SELECT pg_advisory_xact_lock_shared({key})"
        self.insert = (
            f"WITH sequenced AS MATERIALIZED ({self._exclusive}) "
            f"INSERT INTO {self.qualified} ({COLUMNS}) "
            f"SELECT e.* FROM sequenced, {self._unnest} AS e RETURNING notification_id"
        )
        self.insert_one = (
            f"WITH sequenced AS MATERIALIZED ({shared}) "
            f"INSERT INTO {self.qualified} ({COLUMNS}) SELECT {self._one} FROM sequenced RETURNING notification_id"
        )
        # Run in a transaction, one statement after the other: the second statement's snapshot is
        # taken while no writer is in flight (they hold the lock shared until they commit).
        self.barrier = (self._exclusive, f"SELECT coalesce(max(notification_id), 0) FROM {self.qualified}")
        # The highest visible id, and how many ids are visible above $1 up to it (one snapshot).
        self.visible_since = (
            f"SELECT top.m, (SELECT count(*) FROM {self.qualified} "
            "WHERE notification_id > $1 AND notification_id <= top.m) "
            f"FROM (SELECT max(notification_id) AS m FROM {self.qualified}) AS top"
        )
        self._select_notifications: dict[tuple[bool, bool], str] = {}

    def insert_tracked(self, tracking: TrackingSQL) -> str:
        """Events and a tracking position in one statement: returns (tracked, ids).

        The events are joined with the tracking upsert, so when the position is not after the
        recorded one nothing at all is written and `tracked` is false.
        """
        return (
            f"WITH tracked AS ({tracking.upsert('$5', '$6')} RETURNING 1), "
            f"sequenced AS MATERIALIZED ({self._exclusive} FROM tracked), "
            f"inserted AS (INSERT INTO {self.qualified} ({COLUMNS}) "
            f"SELECT e.* FROM sequenced, {self._unnest} AS e RETURNING notification_id) "
            "SELECT EXISTS (SELECT FROM tracked), "
            "ARRAY(SELECT notification_id FROM inserted ORDER BY notification_id)"
        )

    def select_notifications(self, *, has_stop: bool, has_topics: bool) -> str:
        """Notifications after $1, up to $2 if `has_stop`, of the topics in the next parameter if
        `has_topics`, in id order, limited by the last parameter."""
        key = (has_stop, has_topics)
        statement = self._select_notifications.get(key)
        if statement is None:
            conditions = ["notification_id > $1"]
            if has_stop:
                conditions.append(f"notification_id <= ${len(conditions) + 1}")
            if has_topics:
                conditions.append(f"topic = ANY(${len(conditions) + 1}::text[])")
            statement = (
                f"SELECT notification_id, {COLUMNS} FROM {self.qualified} WHERE {' AND '.join(conditions)} "
                f"ORDER BY notification_id LIMIT ${len(conditions) + 1}"
            )
            self._select_notifications[key] = statement
        return statement


class TrackingSQL:
    """Statements for a single-row-per-application tracking table."""

    def __init__(self, schema: str, table: str) -> None:
        self.table_name = check_identifier(table)
        self.qualified = f"{quote(schema)}.{quote(table)}"
        self.create = [
            f"CREATE TABLE IF NOT EXISTS {self.qualified} ("
            f"application_name text, notification_id bigint, PRIMARY KEY (application_name))"
            f"{_TABLE_OPTIONS}",
            f"INSERT INTO {self.qualified} VALUES ('{MIGRATION_ROW}', 1) ON CONFLICT DO NOTHING",
        ]
        self.insert = self.upsert("$1", "$2") + " RETURNING 1"
        self.max_tracking_id = f"SELECT notification_id FROM {self.qualified} WHERE application_name = $1"

    def upsert(self, application_name: str, notification_id: str) -> str:
        # Positions only move forward: one at or below the recorded position is a conflict.
        return (
            f"INSERT INTO {self.qualified} AS t VALUES ({application_name}, {notification_id}) "
            f"ON CONFLICT (application_name) DO UPDATE SET notification_id = {notification_id} "
            f"WHERE t.notification_id < {notification_id}"
        )
