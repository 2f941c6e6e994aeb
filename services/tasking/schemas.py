"""Request and response bodies of the tasking API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from services.tasking.domain import MAX_EVIDENCE, MAX_TEXT, MAX_TITLE, Task, TaskBoard
from services.tasking.vocabulary import BOARD_STATE_LABELS, TASK_STATE_LABELS, BoardState, TaskState
from shared.api.bodies import SINGLE_LINE, ProgrammeDate, Strict

Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), SINGLE_LINE]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Version = Annotated[int, Field(ge=1, description="the version you read; a stale one gets 409")]
MemberId = Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]


class CreateTask(Strict):
    title: Title
    description: Text = ""
    due: ProgrammeDate
    milestone_id: Annotated[str, Field(min_length=1, max_length=32), SINGLE_LINE]
    assignee: MemberId


class Assign(Strict):
    expected_version: Version
    assignee: MemberId


class LinkEvidence(Strict):
    kind: Literal["link"]
    url: Annotated[str, Field(min_length=1, max_length=1000, pattern=r"^https?://"), SINGLE_LINE]
    title: Annotated[str, Field(max_length=MAX_TITLE), SINGLE_LINE] = ""


class FileEvidence(Strict):
    kind: Literal["file"]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Progress(Strict):
    expected_version: Version
    percent: Annotated[int, Field(ge=0, le=100)]
    note: Text = ""
    evidence: Annotated[
        list[Annotated[LinkEvidence | FileEvidence, Field(discriminator="kind")]],
        Field(max_length=MAX_EVIDENCE, default_factory=list),
    ]


class Complete(Strict):
    expected_version: Version
    note: Text = ""


class Reason(Strict):
    expected_version: Version
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class Deliverable(Strict):
    title: Title
    link: Annotated[str, Field(max_length=1000), SINGLE_LINE] = ""


class MilestoneMet(Strict):
    expected_version: Version
    deliverable: Deliverable
    met_on: ProgrammeDate


def task_view(task: Task) -> dict[str, Any]:
    return {
        "id": str(task.id),
        "version": task.version,
        "department": task.department,
        "branch": task.branch,
        "project_id": task.project_id,
        "milestone_id": task.milestone_id,
        "title": task.title,
        "description": task.description,
        "due": task.due,
        "assignee": task.assignee,
        "assignee_name": task.assignee_name,
        "state": task.state,
        "state_label": TASK_STATE_LABELS[TaskState(task.state)],
        "percent": task.percent,
        "reports": task.reports,
        "modified_at": task.modified_on.isoformat(),
    }


def board_view(board: TaskBoard, tasks: list[Task], milestones: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "project_id": board.project_id,
        "version": board.version,
        "department": board.department,
        "branch": board.branch,
        "title": board.title,
        "record_no": board.record_no,
        "state": board.state,
        "state_label": BOARD_STATE_LABELS[BoardState(board.state)],
        "milestones": milestones,
        "tasks": [task_view(t) for t in tasks],
    }
