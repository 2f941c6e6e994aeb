"""What inspection does with filing's and tasking's events.

Each handler calls the application with request id = the event's id, so a redelivered event
changes nothing (the supervision remembers the request ids it answered). A tasking event for
a project whose approval has not arrived yet waits in the inbox (NotReady), never dropped.
"""

from __future__ import annotations

import asyncio

import asyncpg

from services.inspection.app import InspectionApplication
from shared.contracts import Envelope
from shared.messaging.inbox import Handler, dispatch

# The application raises shared.errors.Awaiting for an event that must wait: the inbox keeps it.
_call = asyncio.to_thread


def handler(app: InspectionApplication) -> Handler:
    async def approved(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        await _call(
            app.schedule,
            e.department,
            e.branch,
            e.aggregate_id,
            p["record_no"],
            p.get("title", ""),
            p["milestones"],
            e.actor,
            e.event_id,
        )

    async def change_approved(_: asyncpg.Connection, e: Envelope) -> None:
        await _call(app.replan, e.aggregate_id, e.payload["milestones"], e.actor, e.event_id)

    async def withdrawn(_: asyncpg.Connection, e: Envelope) -> None:
        await _call(app.close_supervision, e.aggregate_id, e.payload.get("reason", ""), e.actor, e.event_id)

    async def milestone_met(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        await _call(
            app.milestone_met,
            p["project_id"],
            p["milestone_id"],
            p["met_on"],
            p.get("deliverable", ""),
            e.actor,
            e.event_id,
        )

    async def progress_reported(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        if not p.get("milestone_id"):
            return  # a task outside any milestone: nothing to supervise
        await _call(
            app.progress_reported,
            p["project_id"],
            p["milestone_id"],
            p.get("task_id") or e.aggregate_id,
            p["percent"],
            p.get("note", ""),
            e.actor,
            e.event_id,
        )

    async def task_completed(_: asyncpg.Connection, e: Envelope) -> None:
        p = e.payload
        if not p.get("milestone_id"):
            return
        await _call(
            app.progress_reported,
            p["project_id"],
            p["milestone_id"],
            e.aggregate_id,
            100,
            "任务已完成 / task completed",
            e.actor,
            e.event_id,
        )

    return dispatch(
        {
            "filing.Project.Approved": approved,
            "filing.Project.MilestoneChangeApproved": change_approved,
            "filing.Project.Withdrawn": withdrawn,
            "tasking.TaskBoard.MilestoneMet": milestone_met,
            "tasking.Task.ProgressReported": progress_reported,
            "tasking.Task.Completed": task_completed,
        }
    )
