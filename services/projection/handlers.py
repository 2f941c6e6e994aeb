"""How each integration event changes the read models. One transaction per batch (the inbox's).

Filing's and tasking's events here; inspection's and acceptance's in their own modules.
"""

from __future__ import annotations

import datetime as dt
import json

import asyncpg

from services.projection import acceptance_handlers, audit_checkpoints, inspection_handlers, roster_handlers
from services.projection.facts import recorded_at
from shared.contracts import Envelope
from shared.messaging.inbox import Handler, NotReady, dispatch

PROJECT_STATES = {
    "Drafted": "draft",
    "Submitted": "submitted",
    "Returned": "returned",
    "Approved": "approved",
    "MilestoneChangeRequested": "change_requested",
    "MilestoneChangeApproved": "approved",
    "MilestoneChangeReturned": "approved",
    "Withdrawn": "withdrawn",
}


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
        e.event_id,
        e.aggregate_id,
        e.aggregate_type,
        e.aggregate_version,
        project_of(e),
        e.department,
        e.branch,
        e.type,
        json.dumps(e.actor, ensure_ascii=False),
        e.request_id,
        recorded_at(e),
        e.source["service"],
        e.source["instance"],
        e.source["position"],
        json.dumps(e.payload, ensure_ascii=False),
    )


async def topic_posed(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO topics VALUES ($1, $2, $3, $4, $5, 'open', $6, $7)",
        e.aggregate_id,
        e.department,
        p["year"],
        p["direction"],
        p["title"],
        e.aggregate_version,
        recorded_at(e),
    )


async def topic_revised(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        "UPDATE topics SET title = $2, direction = $3, version = $4, updated_at = $5 WHERE id = $1",
        e.aggregate_id,
        p["title"],
        p["direction"],
        e.aggregate_version,
        recorded_at(e),
    )


async def topic_withdrawn(conn: asyncpg.Connection, e: Envelope) -> None:
    await conn.execute(
        "UPDATE topics SET state = 'withdrawn', version = $2, updated_at = $3 WHERE id = $1",
        e.aggregate_id,
        e.aggregate_version,
        recorded_at(e),
    )


async def project_drafted(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        """INSERT INTO projects (id, department, branch, topic_id, year, direction, title, goal, targets,
               milestones, responsible, state, filing_state, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'draft', 'draft', $12, $13, $13)""",
        e.aggregate_id,
        e.department,
        e.branch,
        p["topic_id"],
        p["year"],
        p["direction"],
        p["title"],
        p["goal"],
        json.dumps(p["targets"], ensure_ascii=False),
        json.dumps(p["milestones"], ensure_ascii=False),
        json.dumps(p["responsible"], ensure_ascii=False),
        e.aggregate_version,
        recorded_at(e),
    )


_REVISABLE = {
    "title": "title",
    "goal": "goal",
    "targets": "targets",
    "milestones": "milestones",
    "responsible": "responsible",
}


async def project_changed(conn: asyncpg.Connection, e: Envelope) -> None:
    """Every later project event: its state, and whatever fields it carries."""
    sets = ["version = $2", "updated_at = $3"]
    args: list[object] = [e.aggregate_id, e.aggregate_version, recorded_at(e)]
    state = PROJECT_STATES.get(e.event_name)
    if state:  # filing's state; acceptance's stage, once there is one, is what `state` shows (not a withdrawal)
        args.append(state)
        n = len(args)
        sets.append(f"filing_state = ${n}::text")
        sets.append(
            f"state = CASE WHEN ${n}::text = 'withdrawn' OR acceptance_state IS NULL THEN ${n}::text "
            "ELSE acceptance_state END"
        )
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
    if e.event_name in ("Approved", "MilestoneChangeApproved"):
        await plan_approved(conn, e)


async def plan_approved(conn: asyncpg.Connection, e: Envelope) -> None:
    """The approved milestone plan (on approval, and on an approved change)."""
    plan = e.payload["milestones"]
    await conn.execute(
        "DELETE FROM milestones WHERE project_id = $1 AND met_on IS NULL AND NOT milestone_id = ANY($2)",
        e.aggregate_id,
        [m["id"] for m in plan],
    )
    for m in plan:
        await conn.execute(
            """INSERT INTO milestones (project_id, milestone_id, title, due, deliverable) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (project_id, milestone_id) DO UPDATE
               SET title = EXCLUDED.title, due = EXCLUDED.due, deliverable = EXCLUDED.deliverable""",
            e.aggregate_id,
            m["id"],
            m["title"],
            dt.date.fromisoformat(m["due"]),
            m["deliverable"],
        )


async def milestone_met(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    status = await conn.execute(
        "UPDATE milestones SET met_on = $3, met_deliverable = $4 WHERE project_id = $1 AND milestone_id = $2",
        p["project_id"],
        p["milestone_id"],
        dt.date.fromisoformat(p["met_on"]),
        json.dumps(p["deliverable"], ensure_ascii=False),
    )
    if status == "UPDATE 0":  # the approval, on filing's topic, has not arrived here yet
        raise NotReady(f"project:{p['project_id']}")


async def task_created(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        """INSERT INTO tasks (id, project_id, milestone_id, department, branch, title, due, assignee, assignee_name,
               state, percent, version, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', 0, $10, $11)""",
        e.aggregate_id,
        p["project_id"],
        p["milestone_id"],
        e.department,
        e.branch,
        p["title"],
        dt.date.fromisoformat(p["due"]),
        p["assignee"],
        p["assignee_name"],
        e.aggregate_version,
        recorded_at(e),
    )


_TASK_STATES = {"Completed": "done", "Reopened": "open", "Cancelled": "cancelled"}


async def task_changed(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    sets = ["version = $2", "updated_at = $3"]
    args: list[object] = [e.aggregate_id, e.aggregate_version, recorded_at(e)]
    changes: dict[str, object] = {}
    if e.event_name in _TASK_STATES:
        changes["state"] = _TASK_STATES[e.event_name]
    if e.event_name == "Completed":
        changes["percent"] = 100
    if e.event_name == "ProgressReported":
        changes["percent"] = p["percent"]
    if e.event_name == "Assigned":
        changes.update(assignee=p["assignee"], assignee_name=p["assignee_name"])
    for column, value in changes.items():
        args.append(value)
        sets.append(f"{column} = ${len(args)}")
    await conn.execute(f"UPDATE tasks SET {', '.join(sets)} WHERE id = $1", *args)


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
            "tasking.TaskBoard.MilestoneMet": milestone_met,
            "tasking.Task.Created": task_created,
            **{
                f"tasking.Task.{name}": task_changed
                for name in ("Assigned", "ProgressReported", "Completed", "Reopened", "Cancelled")
            },
            **inspection_handlers.HANDLERS,
            **acceptance_handlers.HANDLERS,
            **roster_handlers.HANDLERS,
            **audit_checkpoints.HANDLERS,
        },
        default=record_in_audit_trail,
    )
