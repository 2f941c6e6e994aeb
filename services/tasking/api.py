"""The tasking API: 任务到人 — tasks, progress with evidence, milestones met, responsibility lists."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import Header, Request, Response

from services.tasking import evidence as files
from services.tasking import responses as r
from services.tasking import schemas as s
from services.tasking.app import TaskingApplication
from shared.api import CurrentPrincipal, RequestId, app_state
from shared.api.bounds import After, FeedPage
from shared.api.routes import run_sync, service_router
from shared.auth import Role
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.messaging.feed import event_feed
from shared.views import EventFeed

Tasking = Annotated[TaskingApplication, app_state("tasking")]
Pool = Annotated[asyncpg.Pool, app_state("pool")]
router = service_router()


def _id(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput(f"'{value}' is not a valid {what} id (a UUID)") from None


@router.post("/projects/{project_id}/tasks", status_code=201, response_model=r.TaskView, tags=["任务到人 tasks"])
def create_task(
    project_id: str, body: s.CreateTask, app: Tasking, who: CurrentPrincipal, request_id: RequestId, response: Response
) -> dict[str, Any]:
    """Create a task for a milestone and assign it to a member of the branch (branch secretary)."""
    task = app.create_task(
        who,
        _id(project_id, "project"),
        body.title,
        body.description,
        body.due.isoformat(),
        body.milestone_id,
        body.assignee,
        request_id,
    )
    response.headers["Location"] = f"/tasks/{task.id}"
    return s.task_view(task)


@router.post("/tasks/{task_id}/assign", response_model=r.TaskView, tags=["任务到人 tasks"])
def assign_task(
    task_id: str, body: s.Assign, app: Tasking, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Reassign a task to another member of the branch (branch secretary)."""
    return s.task_view(app.assign_task(who, _id(task_id, "task"), body.expected_version, body.assignee, request_id))


@router.post("/tasks/{task_id}/progress", response_model=r.TaskView, tags=["任务到人 tasks"])
async def report_progress(
    task_id: str, body: s.Progress, app: Tasking, pool: Pool, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Report progress with evidence: links, or files uploaded to /evidence (the assigned member)."""
    async with pool.acquire() as conn:
        evidence = await files.resolve(conn, [e.model_dump() for e in body.evidence], who)
    task = await run_sync(
        app.report_progress,
        who,
        _id(task_id, "task"),
        body.expected_version,
        body.percent,
        body.note,
        evidence,
        request_id,
    )
    return s.task_view(task)


@router.post("/tasks/{task_id}/complete", response_model=r.TaskView, tags=["任务到人 tasks"])
def complete_task(
    task_id: str, body: s.Complete, app: Tasking, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Complete a task (the assigned member)."""
    return s.task_view(app.complete_task(who, _id(task_id, "task"), body.expected_version, body.note, request_id))


@router.post("/tasks/{task_id}/reopen", response_model=r.TaskView, tags=["任务到人 tasks"])
def reopen_task(
    task_id: str, body: s.Reason, app: Tasking, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Reopen a completed task (branch secretary)."""
    return s.task_view(app.reopen_task(who, _id(task_id, "task"), body.expected_version, body.reason, request_id))


@router.post("/tasks/{task_id}/cancel", response_model=r.TaskView, tags=["任务到人 tasks"])
def cancel_task(
    task_id: str, body: s.Reason, app: Tasking, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Cancel a task (branch secretary)."""
    return s.task_view(app.cancel_task(who, _id(task_id, "task"), body.expected_version, body.reason, request_id))


@router.get("/tasks/{task_id}", response_model=r.TaskView, tags=["任务到人 tasks"])
def get_task(task_id: str, app: Tasking, who: CurrentPrincipal) -> dict[str, Any]:
    """One task with its progress reports."""
    from services.tasking.domain import Task

    return s.task_view(app.read(who, Task, _id(task_id, "task")))


@router.post(
    "/projects/{project_id}/milestones/{milestone_id}/met", response_model=r.BoardView, tags=["任务到人 tasks"]
)
def declare_milestone_met(
    project_id: str, milestone_id: str, body: s.MilestoneMet, app: Tasking, who: CurrentPrincipal, request_id: RequestId
) -> dict[str, Any]:
    """Declare a milestone met with its deliverable; all its tasks must be complete (branch secretary)."""
    pid = _id(project_id, "project")
    app.declare_milestone_met(
        who,
        pid,
        milestone_id,
        body.expected_version,
        body.deliverable.model_dump(),
        body.met_on.isoformat(),
        request_id,
    )
    return s.board_view(*app.board_view(who, pid))


@router.get("/projects/{project_id}/board", response_model=r.BoardView, tags=["任务到人 tasks"])
def task_board(project_id: str, app: Tasking, who: CurrentPrincipal) -> dict[str, Any]:
    """A project's task board, with progress rolled up per milestone."""
    return s.board_view(*app.board_view(who, _id(project_id, "project")))


@router.get("/members/{member_id}/tasks", response_model=list[r.TaskView], tags=["任务到人 tasks"])
def responsibility_list(member_id: str, app: Tasking, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """责任清单: a member's tasks across projects."""
    return [s.task_view(t) for t in app.responsibilities(who, member_id)]


@router.put("/evidence", status_code=201, response_model=r.FileEvidenceView, tags=["evidence"])
async def upload_evidence(
    request: Request,
    app: Tasking,
    pool: Pool,
    who: CurrentPrincipal,
    x_filename: Annotated[str, Header(min_length=1, max_length=files.MAX_FILE_NAME)],
    content_type: Annotated[str, Header()] = "application/octet-stream",
) -> dict[str, Any]:
    """Upload a file of evidence (raw body; X-Filename names it); answers its SHA-256 and size."""
    who.require_role(Role.MEMBER, Role.SECRETARY)
    app.served(who.department)
    if not who.branch:
        raise Forbidden("your token names no branch; evidence belongs to a branch, so upload it as one of its members")
    content = await request.body()
    async with pool.acquire() as conn:
        # X-Filename may be percent-encoded UTF-8 (HTTP headers are Latin-1): 走访记录.txt
        return await files.store(conn, content, files.file_name(x_filename), content_type, who)


@router.get("/evidence/{sha256}", tags=["evidence"], response_class=Response, responses=r.FILE_DOWNLOAD)
async def download_evidence(sha256: str, pool: Pool, who: CurrentPrincipal) -> Response:
    """A file of evidence by its SHA-256, as an attachment."""
    async with pool.acquire() as conn:
        row = await files.fetch(conn, files.digest(sha256), who)
    if row is None:
        raise NotFound(f"no evidence file with SHA-256 {sha256} that you may read")
    # only allow-listed types are served as themselves: an uploaded page or script comes back as bytes
    media_type = files.served_type(row["media_type"])
    return Response(row["content"], media_type=media_type, headers=files.attachment(row["name"]))


@router.get("/events", response_model=EventFeed, tags=["audit"])
def events(
    app: Tasking,
    who: CurrentPrincipal,
    request: Request,
    after: After = 0,
    limit: FeedPage = 100,
) -> dict[str, Any]:
    """Every recorded event in order, as integration-event envelopes (auditor, admin)."""
    who.require_role(Role.AUDITOR, Role.ADMIN)
    return event_feed(app, request.app.state.envelopes, after, limit)
