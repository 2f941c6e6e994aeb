"""What the tasking API answers: tasks with their progress reports and evidence, task boards, evidence
files (codes with their Chinese labels beside). The views themselves are built in schemas.py."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from services.tasking.evidence import OCTET_STREAM, SERVED_TYPES
from services.tasking.vocabulary import BoardState, TaskState
from shared.views import Day, Moment, Version, View


class LinkEvidenceView(View):
    """A link given as evidence."""

    kind: Literal["link"]
    url: str = Field(examples=["https://example.org/visits/2026-03"])
    title: str = Field(examples=["走访台账"])


class FileEvidenceView(View):
    """A file of evidence, as `PUT /evidence` answers it and a report keeps it; send it back as it is."""

    kind: Literal["file"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="download it at GET /evidence/{sha256}")
    name: str = Field(examples=["走访记录.pdf"])
    size: int = Field(description="bytes", examples=[48213])
    media_type: str = Field(examples=["application/pdf"])


EvidenceView = Annotated[LinkEvidenceView | FileEvidenceView, Field(discriminator="kind")]


class ReportView(View):
    """A progress report (进度填报) with its evidence (佐证材料)."""

    percent: int = Field(ge=0, le=100)
    note: str
    evidence: list[EvidenceView]


class TaskView(View):
    """任务到人: a task of a project's milestone, assigned to one named member."""

    id: str
    version: Version
    department: str = Field(examples=["fgw"])
    branch: str = Field(examples=["fgw-b1"])
    project_id: str
    milestone_id: str = Field(examples=["m1"])
    title: str = Field(examples=["走访企业"])
    description: str
    due: Day
    assignee: str = Field(examples=["m-001"])
    assignee_name: str = Field(examples=["李扬"])
    state: TaskState
    state_label: str = Field(examples=["进行中"])
    percent: int = Field(ge=0, le=100)
    reports: list[ReportView]
    modified_at: Moment


class DeliverableView(View):
    """成果: what a milestone delivered."""

    title: str = Field(examples=["调研报告"])
    link: str = Field(examples=["https://example.org/m1"])


class MetView(View):
    deliverable: DeliverableView
    met_on: Day


class BoardMilestone(View):
    """A milestone of the board, with its tasks rolled up: done of those not cancelled, mean percent."""

    id: str = Field(examples=["m1"])
    title: str = Field(examples=["调研摸底"])
    due: Day
    deliverable: str = Field(description="the deliverable the plan promised", examples=["调研报告"])
    met: MetView | None = Field(description="when and with what it was declared met; null while it is not")
    tasks: int
    done: int
    percent: int = Field(ge=0, le=100)


class BoardView(View):
    """A project's task board."""

    project_id: str
    version: Version
    department: str = Field(examples=["fgw"])
    branch: str = Field(examples=["fgw-b1"])
    title: str = Field(examples=["船员注册不见面审批"])
    record_no: str = Field(examples=["fgw-2026-6f1c2e4a"])
    state: BoardState
    state_label: str = Field(examples=["实施中"])
    milestones: list[BoardMilestone]
    tasks: list[TaskView]


_BINARY = {"schema": {"type": "string", "format": "binary"}}
FILE_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the file, as an attachment under its name: as its own type if allow-listed, else as bytes",
        "content": {media_type: _BINARY for media_type in sorted({OCTET_STREAM, *SERVED_TYPES})},
    }
}
