"""The organisation registry in the read models: departments and their branches (党支部).

Upserts, so applying an event twice, or replaying the audit trail (services/projection/upgrade.py),
leaves the roster as it was. A branch keeps the time it was first registered here.
"""

from __future__ import annotations

import asyncpg

from services.projection.facts import recorded_at
from shared.contracts import Envelope
from shared.messaging.inbox import Handler


async def department_registered(conn: asyncpg.Connection, e: Envelope) -> None:
    p = e.payload
    await conn.execute(
        "INSERT INTO departments (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name",
        p["code"],
        p["name"],
    )


async def branch_registered(conn: asyncpg.Connection, e: Envelope) -> None:
    """A branch of the event's department, with its secretary (支部书记)."""
    p = e.payload
    await conn.execute(
        """INSERT INTO branches (department, branch, name, secretary_id, secretary_name, registered_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (department, branch) DO UPDATE SET name = EXCLUDED.name,
               secretary_id = EXCLUDED.secretary_id, secretary_name = EXCLUDED.secretary_name""",
        e.department,
        p["code"],
        p["name"],
        p.get("secretary_id"),
        p.get("secretary_name"),
        recorded_at(e),
    )


HANDLERS: dict[str, Handler] = {
    "filing.Department.Registered": department_registered,
    "filing.Department.BranchRegistered": branch_registered,
}
