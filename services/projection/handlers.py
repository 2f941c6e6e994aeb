"""How each integration event changes the read models. One transaction per batch (the inbox's)."""

from __future__ import annotations

import datetime as dt
import json

import asyncpg

from shared.contracts import Envelope
from shared.messaging.inbox import Handler, dispatch

PROJECT_STATES = {
    "Drafted": "draft", "Submitted": "submitted", "Returned": "returned", "Approved": "approved",
    "MilestoneChangeRequested": "change_requested", "MilestoneChangeApproved": "approved",
    "MilestoneChangeReturned": "approved", "Withdrawn": "withdrawn",
}


def _at(envelope: Envelope) -> dt.datetime:
    return dt.datetime.fromisoformat(envelope.occurred_at)


def project_of(envelope: Envelope) -> str | None:
    if envelope.aggregate_type == "Project":
        return envelope.aggregate_id
    return envelope.payload.get("project_id")


async def record_in_audit_trail(conn: asyncpg.Connection, e: Envelope) -> None:
    await conn.execute(
        """INSERT INTO audit_trail (event_id, aggregate_id, aggregate_type, aggregate_version, project_id,
               department, branch, type, actor, request_id, occurred_at, source_service,
               source_instance, source_position, payload)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)""",
        e.event_id, e.aggregate_id, e.aggregate_type, e.aggregate_version, project_of(e),
        e.department, e.branch, e.type, json.dumps(e.actor, ensure_ascii=False), e.request_id, _at(e),
        e.source["service"], e.source["instance"], e.source["position"],
        json.dumps(e.payload, ensure_ascii=False),
    )


async def topic_posed(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO topics VALUES ($1, $2, $3, $4, $5, 'open', $6, $7)",
        e.aggregate_id, e.department, p["year"], p["direction"], p["title"], e.aggregate_version, _at(e))


async def topic_revised(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE topics SET title = $2, direction = $3, version = $4, updated_at = $5 WHERE id = $1",
        e.aggregate_id, p["title"], p["direction"], e.aggregate_version, _at(e))


async def topic_withdrawn(conn: asyncpg.Connection, e: Envelope) -> None:
    await conn.execute("UPDATE topics SET state = 'withdrawn', version = $2, updated_at = $3 WHERE id = $1",
                       e.aggregate_id, e.aggregate_version, _at(e))


async def project_drafted(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        """INSERT INTO projects (id, department, branch, topic_id, year, direction, title, goal, targets,
               milestones, responsible, state, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'draft', $12, $13, $13)""",
        e.aggregate_id, e.department, e.branch, p["topic_id"], p["year"], p["direction"], p["title"],
        p["goal"], json.dumps(p["targets"], ensure_ascii=False),
        json.dumps(p["milestones"], ensure_ascii=False), json.dumps(p["responsible"], ensure_ascii=False),
        e.aggregate_version, _at(e))


_REVISABLE = {"title": "title", "goal": "goal", "targets": "targets", "milestones": "milestones",
              "responsible": "responsible"}


async def project_changed(conn: asyncpg.Connection, e: Envelope) -> None:
    """Every later project event: its state, and whatever fields it carries."""
    sets = ["version = $2", "updated_at = $3"]
    args: list[object] = [e.aggregate_id, e.aggregate_version, _at(e)]
    state = PROJECT_STATES.get(e.event_name)
    if state:
        args.append(state)
        sets.append(f"state = ${len(args)}")
    fields = dict(e.payload.get("changes", {}))
    if e.event_name in ("Approved", "MilestoneChangeApproved"):
        fields["milestones"] = e.payload["milestones"]
    if "record_no" in e.payload:
        fields["record_no"] = e.payload["record_no"]
    for key, value in fields.items():
        column = _REVISABLE.get(key) or ("record_no" if key == "record_no" else None)
        if column is None:
            continue
        args.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        sets.append(f"{column} = ${len(args)}")
    await conn.execute(f"UPDATE projects SET {', '.join(sets)} WHERE id = $1", *args)


def handler() -> Handler:
    project_events = {f"filing.Project.{name}": project_changed for name in PROJECT_STATES if name != "Drafted"}
    project_events.update({f"filing.Project.{name}": project_changed for name in ("Revised",)})
    return dispatch(
        {
            "filing.Topic.Posed": topic_posed,
            "filing.Topic.Revised": topic_revised,
            "filing.Topic.Withdrawn": topic_withdrawn,
            "filing.Project.Drafted": project_drafted,
            **project_events,
        },
        default=record_in_audit_trail,
    )
