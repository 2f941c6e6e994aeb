"""Reads of the projection's tables, as plain dicts."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.projection.vocabulary import STATE_LABELS, label

_JSON_COLUMNS = {
    "actor",
    "payload",
    "targets",
    "milestones",
    "responsible",
    "met_deliverable",
    "reasons",
    "items",
    "application",
    "panel",
    "commendations",
}


def _row(record: asyncpg.Record) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in _JSON_COLUMNS and isinstance(value, str):
            value = json.loads(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (str, int, float, bool, dict, list)):
            value = str(value)
        out[key] = value
    return out


def rows(records: list[asyncpg.Record]) -> list[dict[str, Any]]:
    return [_row(r) for r in records]


def _project(record: asyncpg.Record) -> dict[str, Any]:
    """A project row with the Chinese label of its state (filing's, or its acceptance stage)."""
    row = _row(record)
    row["state_label"] = label(STATE_LABELS, row["state"])
    return row


async def projects(
    conn: asyncpg.Connection, scope: dict[str, str | None], *, limit: int, offset: int, **criteria: Any
) -> tuple[int, list[dict[str, Any]]]:
    """How many projects match, and a page of them in the order they were drafted: every condition of
    `scope` (column = value; a None matches nothing) and every criterion given (not None)."""
    conditions = [*scope.items(), *((k, v) for k, v in criteria.items() if v is not None)]
    where = " AND ".join(f"{k} = ${i}" for i, (k, _) in enumerate(conditions, start=1)) or "TRUE"
    args = [v for _, v in conditions]
    total = await conn.fetchval(f"SELECT count(*) FROM projects WHERE {where}", *args)
    page = f"ORDER BY created_at, id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}"
    rows = await conn.fetch(f"SELECT * FROM projects WHERE {where} {page}", *args, limit, offset)
    return total, [_project(r) for r in rows]


async def project(conn: asyncpg.Connection, project_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM projects WHERE id = $1", project_id)
    return _project(row) if row else None


async def project_detail(conn: asyncpg.Connection, project_id: str) -> dict[str, Any] | None:
    """A project with its milestones (tasks rolled up) and tasks."""
    found = await project(conn, project_id)
    if found is None:
        return None
    tasks = [
        _row(r)
        for r in await conn.fetch(
            "SELECT * FROM tasks WHERE project_id = $1 ORDER BY milestone_id, updated_at", project_id
        )
    ]
    milestones = []
    for m in await conn.fetch("SELECT * FROM milestones WHERE project_id = $1 ORDER BY due", project_id):
        mine = [t for t in tasks if t["milestone_id"] == m["milestone_id"] and t["state"] != "cancelled"]
        milestones.append(
            {
                **_row(m),
                "tasks": len(mine),
                "done": sum(t["state"] == "done" for t in mine),
                "percent": round(sum(t["percent"] for t in mine) / len(mine)) if mine else 0,
            }
        )
    history = [
        _row(r)
        for r in await conn.fetch(
            "SELECT colour, previous, reasons, at FROM colour_history WHERE project_id = $1 "
            "ORDER BY aggregate_version, at, event_id",
            project_id,
        )
    ]
    inspections = [
        _row(r) for r in await conn.fetch("SELECT * FROM inspections WHERE project_id = $1 ORDER BY at", project_id)
    ]
    rectifications = [
        _row(r)
        for r in await conn.fetch("SELECT * FROM rectifications WHERE project_id = $1 ORDER BY order_id", project_id)
    ]
    return {
        **found,
        "milestone_progress": milestones,
        "tasks": tasks,
        "colour_history": history,
        "inspections": inspections,
        "rectifications": rectifications,
    }


async def audit_trail(
    conn: asyncpg.Connection,
    *,
    project_id: str | None = None,
    department: str | None = None,
    branch: str | None = None,
    readers_branch: str | None = None,
    branch_scoped: bool = False,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """A project's or a department's events in order; `branch_scoped`: only the department-wide
    ones (branch NULL) and those of `readers_branch` (what a secretary or member may read)."""
    if project_id is not None:
        rows = await conn.fetch(
            "SELECT * FROM audit_trail WHERE project_id = $1 OR aggregate_id = $1 "
            "ORDER BY occurred_at, aggregate_version LIMIT $2",
            project_id,
            limit,
        )
    else:
        rows = await conn.fetch(
            "SELECT * FROM audit_trail WHERE department = $1 AND ($2::text IS NULL OR branch = $2) "
            "AND (NOT $3::boolean OR branch IS NULL OR branch = $4::text) "
            "ORDER BY occurred_at, aggregate_version LIMIT $5",
            department,
            branch,
            branch_scoped,
            readers_branch,
            limit,
        )
    return [_row(r) for r in rows]
