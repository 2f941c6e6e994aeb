"""What tasking does with filing's events: open, replan and close task boards; enrol members."""

from __future__ import annotations

import asyncio

import asyncpg

from services.tasking.app import TaskingApplication
from shared.contracts import Envelope
from shared.messaging.inbox import Handler, dispatch


def handlers(app: TaskingApplication) -> Handler:
    """Each calls the application with the event's id as request id: a redelivery changes nothing."""

    def served(e: Envelope) -> bool:
        return not app.departments or e.department in app.departments

    async def approved(_: asyncpg.Connection, e: Envelope) -> None:
        if served(e):
            await asyncio.to_thread(
                app.open_board,
                e.department,
                str(e.branch),
                e.aggregate_id,
                e.payload["title"],
                e.payload["record_no"],
                e.payload["milestones"],
                e.actor,
                e.event_id,
            )

    async def replanned(_: asyncpg.Connection, e: Envelope) -> None:
        if served(e):
            await asyncio.to_thread(app.replan_board, e.aggregate_id, e.payload["milestones"], e.actor, e.event_id)

    async def withdrawn(_: asyncpg.Connection, e: Envelope) -> None:
        if served(e):
            await asyncio.to_thread(app.close_board, e.aggregate_id, e.payload["reason"], e.actor, e.event_id)

    async def member(_: asyncpg.Connection, e: Envelope) -> None:
        if served(e):
            p = e.payload
            await asyncio.to_thread(
                app.enrol_member, e.department, p["branch"], p["member_id"], p["name"], e.actor, e.event_id
            )

    async def branch(_: asyncpg.Connection, e: Envelope) -> None:
        if served(e):  # the secretary is a member of their own branch too
            p = e.payload
            await asyncio.to_thread(
                app.enrol_member, e.department, p["code"], p["secretary_id"], p["secretary_name"], e.actor, e.event_id
            )

    return dispatch(
        {
            "filing.Project.Approved": approved,
            "filing.Project.MilestoneChangeApproved": replanned,
            "filing.Project.Withdrawn": withdrawn,
            "filing.Department.MemberRegistered": member,
            "filing.Department.BranchRegistered": branch,
        }
    )
