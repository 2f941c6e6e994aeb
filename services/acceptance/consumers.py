"""What acceptance does with filing's, tasking's and inspection's events.

Each handler calls the application with request id = the event's id, so a redelivered event
changes nothing. An event about a project (or a milestone plan) not seen here yet waits in the
inbox (NotReady), never dropped.
"""

from __future__ import annotations

import asyncio

import asyncpg

from services.acceptance.app import AcceptanceApplication
from shared.contracts import Envelope
from shared.messaging.inbox import Handler, dispatch

# The application raises shared.errors.Awaiting for an event that must wait: the inbox keeps it.
_call = asyncio.to_thread


def handlers(app: AcceptanceApplication) -> Handler:
    async def drafted(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        await _call(
            app.file_project,
            e.department,
            str(e.branch),
            e.aggregate_id,
            p["topic_id"],
            p["year"],
            p["direction"],
            p["title"],
            p["goal"],
            p["targets"],
            p.get("responsible") or {},
            e.actor,
            e.event_id,
        )

    async def revised(_: asyncpg.Connection, e: Envelope) -> None:
        await _call(app.revise_dossier, e.aggregate_id, e.payload.get("changes") or {}, e.actor, e.event_id)

    async def approved(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        await _call(
            app.approve_project,
            e.aggregate_id,
            p["record_no"],
            p.get("title", ""),
            p["milestones"],
            e.actor,
            e.event_id,
        )

    async def replanned(_: asyncpg.Connection, e: Envelope) -> None:
        await _call(app.replan, e.aggregate_id, e.payload["milestones"], e.actor, e.event_id)

    async def withdrawn(_: asyncpg.Connection, e: Envelope) -> None:
        await _call(app.withdraw_project, e.aggregate_id, e.payload.get("reason", ""), e.actor, e.event_id)

    async def milestone_met(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        await _call(
            app.milestone_met,
            p["project_id"],
            p["milestone_id"],
            p["met_on"],
            p.get("deliverable") or {},
            e.actor,
            e.event_id,
        )

    async def rectification_ordered(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        await _call(
            app.rectification_ordered,
            p["project_id"],
            p["order_id"],
            p.get("milestone_id", ""),
            p.get("deadline", ""),
            e.actor,
            e.event_id,
        )

    async def rectification_verified(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        await _call(app.rectification_verified, p["project_id"], p["order_id"], e.actor, e.event_id)

    async def department(_: asyncpg.Connection, e: Envelope) -> None:
        await _call(app.register_department, e.payload["code"], e.payload["name"], e.actor, e.event_id)

    async def branch(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        await _call(
            app.enrol_branch,
            e.department,
            p["code"],
            p["name"],
            p["secretary_id"],
            p["secretary_name"],
            e.actor,
            e.event_id,
        )

    async def member(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        await _call(app.enrol_member, e.department, p["branch"], p["member_id"], p["name"], e.actor, e.event_id)

    return dispatch(
        {
            "filing.Project.Drafted": drafted,
            "filing.Project.Revised": revised,
            "filing.Project.Approved": approved,
            "filing.Project.MilestoneChangeApproved": replanned,
            "filing.Project.Withdrawn": withdrawn,
            "tasking.TaskBoard.MilestoneMet": milestone_met,
            "inspection.Supervision.RectificationOrdered": rectification_ordered,
            "inspection.Supervision.RectificationVerified": rectification_verified,
            "filing.Department.Registered": department,
            "filing.Department.BranchRegistered": branch,
            "filing.Department.MemberRegistered": member,
        }
    )
