"""Request and response bodies of the tasking API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from services.tasking.domain import MAX_EVIDENCE, MAX_TEXT, MAX_TITLE, Task, TaskBoard
from services.tasking.evidence import MAX_FILE_BYTES, MAX_FILE_NAME
from services.tasking.vocabulary import BOARD_STATE_LABELS, TASK_STATE_LABELS, BoardState, TaskState
from shared.api.bodies import SINGLE_LINE, ProgrammeDate, Strict

Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), SINGLE_LINE]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Version = Annotated[int, Field(ge=1, description="the version you read; a stale one gets 409")]
MemberId = Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]


class CreateTask(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "走访企业",
                    "description": "走访园区20家企业,收集审批堵点",
                    "due": "2026-03-15",
                    "milestone_id": "m1",
                    "assignee": "m-001",
                }
            ]
        }
    )

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
    """A file uploaded to PUT /evidence: its reply can be sent here as it is. The report keeps the
    stored file's name and media type; a size that is not the file's is refused."""

    kind: Literal["file"]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    name: Annotated[str, Field(max_length=MAX_FILE_NAME, description="as the upload answered it")] | None = None
    size: Annotated[int, Field(ge=1, le=MAX_FILE_BYTES, description="bytes, as the upload answered it")] | None = None
    media_type: Annotated[str, Field(max_length=255, description="as the upload answered it")] | None = None


class Progress(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "expected_version": 2,
                    "percent": 60,
                    "note": "已走访12家企业,梳理堵点8个",
                    "evidence": [
                        {"kind": "link", "url": "https://example.org/visits/2026-03", "title": "走访台账"},
                        {
                            "kind": "file",
                            "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                            "name": "走访记录.pdf",
                            "size": 48213,
                            "media_type": "application/pdf",
                        },
                    ],
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "expected_version": 4,
                    "deliverable": {"title": "调研报告", "link": "https://example.org/m1"},
                    "met_on": "2026-03-30",
                }
            ]
        }
    )

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
