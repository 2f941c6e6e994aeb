"""节点督查 in the read models: colours, inspections, rectifications, overdue milestones.

Times are the programme's: what inspection stamped on the event (`at`, from its clock, the manual
one in rehearsals), never when it was recorded or applied here. The colour history starts with the
supervision's opening, whose first colour is green. Rows are upserted by event, so replaying the
audit trail (services/projection/upgrade.py) corrects what an older version wrote.
"""

from __future__ import annotations

import datetime as dt
import json

import asyncpg

from services.projection.facts import known_project, programme_time, recorded_at
from services.projection.vocabulary import FIRST_COLOUR, FIRST_REASON
from shared.contracts import Envelope
from shared.messaging.inbox import Handler, NotReady

_COLOUR_ENTRY = """
INSERT INTO colour_history (event_id, project_id, colour, previous, reasons, at, aggregate_version)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (event_id) DO UPDATE SET at = EXCLUDED.at, aggregate_version = EXCLUDED.aggregate_version
"""


async def scheduled(conn: asyncpg.Connection, e: Envelope) -> None:
    """The supervision opens: its first colour, green."""
    p = e.payload
    await known_project(conn, p["project_id"])
    reasons = json.dumps([FIRST_REASON], ensure_ascii=False)
    args = (e.event_id, p["project_id"], FIRST_COLOUR, None, reasons, programme_time(e), e.aggregate_version)
    await conn.execute(_COLOUR_ENTRY, *args)


async def colour_changed(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await known_project(conn, p["project_id"])
    await conn.execute("UPDATE projects SET colour = $2 WHERE id = $1", p["project_id"], p["colour"])
    reasons = json.dumps(p.get("reasons", []), ensure_ascii=False)
    args = (
        e.event_id,
        p["project_id"],
        p["colour"],
        p.get("previous"),
        reasons,
        programme_time(e),
        e.aggregate_version,
    )
    await conn.execute(_COLOUR_ENTRY, *args)


async def inspection_recorded(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO inspections VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (project_id, inspection_id) DO UPDATE SET at = EXCLUDED.at",
        p["project_id"],
        p["inspection_id"],
        p["milestone_id"],
        p["rating"],
        p["findings"],
        p.get("order_id"),
        e.actor.get("id", "?"),
        programme_time(e),
    )


async def rectification_ordered(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO rectifications (project_id, order_id, milestone_id, items, deadline, state, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, 'open', $6)",
        p["project_id"],
        p["order_id"],
        p["milestone_id"],
        json.dumps(p["items"], ensure_ascii=False),
        dt.date.fromisoformat(p["deadline"]),
        recorded_at(e),
    )


_RECTIFICATION_STATES = {
    "RectificationAnswered": "answered",
    "RectificationVerified": "verified",
    "RectificationRejected": "rejected",
}


async def rectification_changed(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    if e.event_name == "RectificationOverdue":
        await conn.execute(
            "UPDATE rectifications SET overdue = true, updated_at = $3 WHERE project_id = $1 AND order_id = $2",
            p["project_id"],
            p["order_id"],
            recorded_at(e),
        )
        return
    await conn.execute(
        "UPDATE rectifications SET state = $3, updated_at = $4 WHERE project_id = $1 AND order_id = $2",
        p["project_id"],
        p["order_id"],
        _RECTIFICATION_STATES[e.event_name],
        programme_time(e),
    )


async def milestone_overdue(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    status = await conn.execute(
        "UPDATE milestones SET overdue = true WHERE project_id = $1 AND milestone_id = $2",
        p["project_id"],
        p["milestone_id"],
    )
    if status == "UPDATE 0":
        raise NotReady(f"project:{p['project_id']}")


async def milestone_met(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE milestones SET overdue = false WHERE project_id = $1 AND milestone_id = $2",
        p["project_id"],
        p["milestone_id"],
    )


HANDLERS: dict[str, Handler] = {
    "inspection.Supervision.Scheduled": scheduled,
    "inspection.Supervision.ColourChanged": colour_changed,
    "inspection.Supervision.InspectionRecorded": inspection_recorded,
    "inspection.Supervision.RectificationOrdered": rectification_ordered,
    **{
        f"inspection.Supervision.{name}": rectification_changed
        for name in (*_RECTIFICATION_STATES, "RectificationOverdue")
    },
    "inspection.Supervision.MilestoneOverdue": milestone_overdue,
    "inspection.Supervision.MilestoneMet": milestone_met,
}
# Replayed from the audit trail by the upgrade that brought programme time and the first green.
REPLAYED = {
    kind: HANDLERS[kind]
    for kind in (
        "inspection.Supervision.Scheduled",
        "inspection.Supervision.ColourChanged",
        "inspection.Supervision.InspectionRecorded",
    )
}
