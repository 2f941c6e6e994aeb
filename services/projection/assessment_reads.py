"""What the assessment reads from the projection's tables: a period's events, the registry, a watermark."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import asyncpg

from services.projection.assessment.fold import TYPES, BranchEntry, Event

LAST = 2**63 - 1

# A project's events count in its year; a topic's in its own. One pass over the audit trail, in
# the order events were applied here (each aggregate's own events are in their order).
_COLUMNS = """a.event_id::text AS id, a.type, a.occurred_at, a.payload->>'at' AS at, a.source_service,
       a.department, a.branch, a.aggregate_id::text AS aggregate_id, a.project_id::text AS project_id,
       a.actor->>'id' AS actor_id, a.payload::text AS payload, a.applied_seq"""


def _events(recorded_by: str = "") -> str:
    return f"""
SELECT {_COLUMNS} FROM audit_trail a
WHERE a.project_id IN (SELECT id FROM projects WHERE year = $1) AND a.type = ANY($2::text[])
  AND a.applied_seq > $3 AND a.applied_seq <= $4 {recorded_by}
UNION ALL
SELECT {_COLUMNS} FROM audit_trail a
WHERE a.aggregate_id IN (SELECT id FROM topics WHERE year = $1) AND a.type = 'filing.Topic.Posed'
  AND a.applied_seq > $3 AND a.applied_seq <= $4 {recorded_by}
ORDER BY applied_seq
"""


_EVENTS = _events()
# The audit trail only grows: its rows recorded by a moment are the trail as it stood then, in the
# order they were applied (services/projection/time_travel.py says what "recorded by" means).
_EVENTS_RECORDED_BY = _events("AND a.occurred_at <= $5")


def _moment(at: str | None, recorded: dt.datetime) -> dt.datetime:
    if at:
        try:
            moment = dt.datetime.fromisoformat(at)
            if moment.tzinfo is not None:
                return moment
        except ValueError:
            pass
    return recorded


def event(row: asyncpg.Record, timezone: dt.tzinfo) -> Event:
    return Event(
        id=row["id"],
        type=row["type"],
        at=_moment(row["at"], row["occurred_at"]).astimezone(timezone),
        service=row["source_service"],
        department=row["department"],
        branch=row["branch"],
        aggregate_id=row["aggregate_id"],
        project_id=row["project_id"],
        payload=json.loads(row["payload"]),
        actor={"id": row["actor_id"]} if row["actor_id"] else {},
    )


async def period_rows(conn: asyncpg.Connection, period: int, after: int = 0, upto: int = LAST) -> list[asyncpg.Record]:
    """The period's events the scheme reads, applied here after `after` and up to `upto`, in order
    (undecoded: `event()` makes each an Event)."""
    return await conn.fetch(_EVENTS, period, list(TYPES), after, upto)


async def period_rows_at(conn: asyncpg.Connection, period: int, moment: dt.datetime) -> list[asyncpg.Record]:
    """The period's events the scheme reads, recorded by `moment`, in the order they were applied."""
    return await conn.fetch(_EVENTS_RECORDED_BY, period, list(TYPES), 0, LAST, moment)


async def period_events(
    conn: asyncpg.Connection, period: int, timezone: dt.tzinfo, after: int = 0, upto: int = LAST
) -> list[Event]:
    return [event(row, timezone) for row in await period_rows(conn, period, after, upto)]


async def roster(conn: asyncpg.Connection) -> tuple[list[BranchEntry], dict[str, str]]:
    """The registered branches with their secretaries, and the departments' names."""
    branches = [
        BranchEntry(r["department"], r["branch"], r["name"], r["secretary_id"], r["secretary_name"] or "")
        for r in await conn.fetch(
            "SELECT department, branch, name, secretary_id, secretary_name FROM branches ORDER BY department, branch"
        )
    ]
    departments = {r["code"]: r["name"] for r in await conn.fetch("SELECT code, name FROM departments")}
    return branches, departments


async def watermark(conn: asyncpg.Connection) -> int:
    """The last event applied here: scores computed at one watermark stay right until it moves."""
    return int(await conn.fetchval("SELECT coalesce(max(applied_seq), 0) FROM audit_trail"))


async def periods(conn: asyncpg.Connection) -> list[int]:
    """The years that have projects or topics."""
    rows = await conn.fetch("SELECT DISTINCT year FROM projects UNION SELECT DISTINCT year FROM topics ORDER BY 1")
    return [r["year"] for r in rows]


async def events_by_id(conn: asyncpg.Connection, ids: Iterable[str], timezone: dt.tzinfo) -> dict[str, dict[str, Any]]:
    """The events behind a score's lines: type, programme time, service and audit trail of each."""
    rows = await conn.fetch(
        "SELECT event_id::text AS id, type, occurred_at, payload->>'at' AS at, source_service, department, "
        "project_id::text AS project_id FROM audit_trail WHERE event_id = ANY($1::uuid[])",
        list(ids),
    )
    found = {}
    for r in rows:
        trail = (
            f"/projects/{r['project_id']}/audit-trail"
            if r["project_id"]
            else f"/departments/{r['department']}/audit-trail"
        )
        found[r["id"]] = {
            "id": r["id"],
            "type": r["type"],
            "at": _moment(r["at"], r["occurred_at"]).astimezone(timezone).isoformat(),
            "service": r["source_service"],
            "project_id": r["project_id"],
            "audit_trail": trail,
        }
    return found
