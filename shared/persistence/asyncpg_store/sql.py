"""SQL text for the asyncpg recorders: identifiers, DDL and the statements on the hot path.

Tables have the same layout as eventsourcing.postgres's, so either module can read the other's.
"""

from __future__ import annotations

import hashlib

from eventsourcing.persistence import ProgrammingError

MAX_IDENTIFIER_LEN = 63  # NAMEDATALEN - 1: PostgreSQL silently truncates longer names
_BODY = "$es_body$"  # dollar-quote tag for function bodies
MIGRATION_ROW = "__migration__"  # eventsourcing.postgres's marker of a single-row tracking table


def check_identifier(name: str) -> str:
    if not name or "\x00" in name or _BODY in name:
        msg = f"Invalid identifier: {name!r}"
        raise ProgrammingError(msg)
    if len(name.encode()) > MAX_IDENTIFIER_LEN:
        msg = f"Identifier too long: {name}"
        raise ProgrammingError(msg)
    return name


def quote(name: str) -> str:
    return '"' + check_identifier(name).replace('"', '""') + '"'


def derived_name(base: str, suffix: str) -> str:
    """`base + suffix`, shortened with a hash when that would be truncated (and collide)."""
    name = base + suffix
    if len(name.encode()) <= MAX_IDENTIFIER_LEN:
        return name
    digest = hashlib.sha1(base.encode()).hexdigest()[:8]
    head = base.encode()[: MAX_IDENTIFIER_LEN - len(suffix.encode()) - 9]
    return head.decode(errors="ignore") + "_" + digest + suffix


_TABLE_OPTIONS = (
    " WITH (autovacuum_enabled = true, autovacuum_vacuum_threshold = 100000000,"
    " autovacuum_vacuum_scale_factor = 0.5, autovacuum_analyze_threshold = 1000,"
    " autovacuum_analyze_scale_factor = 0.01)"
)


class EventsSQL:
    """Statements for one stored-events table (`with_ids`: it has a notification sequence)."""

    def __init__(self, schema: str, table: str, id_type: str, *, with_ids: bool) -> None:
        self.table_name = check_identifier(table)
        self.channel = table  # LISTEN/NOTIFY channel; asyncpg quotes it on LISTEN
        self.qualified = f"{quote(schema)}.{quote(table)}"
        self.insert_function = f"{quote(schema)}.{quote(derived_name(table, '_insert'))}"
        columns = "originator_id, originator_version, topic, state"
        self.create: list[str] = [
            f"CREATE TABLE IF NOT EXISTS {self.qualified} ("
            f"originator_id {id_type} NOT NULL, originator_version bigint NOT NULL, "
            "topic text, state bytea, "
            + ("notification_id bigserial, " if with_ids else "")
            + f"PRIMARY KEY (originator_id, originator_version)){_TABLE_OPTIONS}"
        ]
        self.select_events = (
            f"SELECT originator_version, topic, state FROM {self.qualified} WHERE originator_id = $1"
        )
        if not with_ids:
            # A single autocommitted statement: the batch is atomic without BEGIN/COMMIT.
            self.insert = (
                f"INSERT INTO {self.qualified} ({columns}) SELECT * FROM unnest("
                f"$1::{id_type}[], $2::bigint[], $3::text[], $4::bytea[])"
            )
            return
        index = quote(derived_name(table, "_notification_id_idx"))
        self.create += [
            f"CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {self.qualified} (notification_id ASC)",
            # Lock before nextval() so that transactions take notification ids in commit order:
            # a reader tailing the sequence never passes a gap that is filled in later.
            # EXCLUSIVE mode blocks other writers but not readers.
            f"CREATE OR REPLACE FUNCTION {self.insert_function}("
            f"ids {id_type}[], versions bigint[], topics text[], states bytea[]) "
            f"RETURNS SETOF bigint LANGUAGE plpgsql AS {_BODY} BEGIN "
            f"LOCK TABLE {self.qualified} IN EXCLUSIVE MODE; "
            f"NOTIFY {quote(table)}; "
            f"RETURN QUERY INSERT INTO {self.qualified} ({columns}) "
            "SELECT * FROM unnest(ids, versions, topics, states) RETURNING notification_id; "
            f"END {_BODY}",
        ]
        self.insert = f"SELECT * FROM {self.insert_function}($1, $2, $3, $4)"
        self.max_notification_id = f"SELECT max(notification_id) FROM {self.qualified}"
        self._select_notifications: dict[tuple[bool, bool, bool, bool], str] = {}

    def select_notifications(
        self, *, has_start: bool, inclusive: bool, has_stop: bool, has_topics: bool
    ) -> str:
        key = (has_start, inclusive, has_stop, has_topics)
        statement = self._select_notifications.get(key)
        if statement is None:
            conditions: list[str] = []
            if has_start:
                conditions.append(f"notification_id {'>=' if inclusive else '>'} $1")
            if has_stop:
                conditions.append(f"notification_id <= ${len(conditions) + 1}")
            if has_topics:
                conditions.append(f"topic = ANY(${len(conditions) + 1}::text[])")
            where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
            statement = (
                "SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {self.qualified}{where} "
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
        self.max_tracking_id = (
            f"SELECT notification_id FROM {self.qualified} WHERE application_name = $1"
        )

    def upsert(self, application_name: str, notification_id: str) -> str:
        # Only ever moves forward: a position at or below the recorded one is a conflict.
        return (
            f"INSERT INTO {self.qualified} AS t VALUES ({application_name}, {notification_id}) "
            f"ON CONFLICT (application_name) DO UPDATE SET notification_id = {notification_id} "
            f"WHERE t.notification_id < {notification_id}"
        )


class ProcessSQL:
    """Events and tracking in one statement, hence one transaction and one round trip."""

    def __init__(self, events: EventsSQL, tracking: TrackingSQL, schema: str, id_type: str):
        name = derived_name(f"{events.table_name}_{tracking.table_name}", "_insert")
        function = f"{quote(schema)}.{quote(name)}"
        self.create = [
            f"CREATE OR REPLACE FUNCTION {function}("
            f"ids {id_type}[], versions bigint[], topics text[], states bytea[], "
            f"tracked_app text, tracked_id bigint) "
            f"RETURNS SETOF bigint LANGUAGE plpgsql AS {_BODY} BEGIN "
            f"{tracking.upsert('tracked_app', 'tracked_id')}; "
            "IF NOT FOUND THEN RAISE unique_violation USING MESSAGE = "
            "format('Tracking %s %s is not after the recorded position', tracked_app, tracked_id); "
            "END IF; "
            "IF cardinality(ids) > 0 THEN "
            f"RETURN QUERY SELECT * FROM {events.insert_function}(ids, versions, topics, states); "
            f"END IF; END {_BODY}"
        ]
        self.insert = f"SELECT * FROM {function}($1, $2, $3, $4, $5, $6)"
