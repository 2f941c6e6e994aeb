"""What the inspection API answers: supervisions with their checkpoints, inspections, rectification
orders and warning colours (codes with their Chinese labels beside). Views are built in schemas.py."""

from __future__ import annotations

from pydantic import Field

from services.inspection.vocabulary import Colour, OrderState, Rating
from shared.views import Actor, Day, Moment, Version, View


class Deliverable(View):
    """成果: what a milestone delivered, as tasking declared it met."""

    title: str = Field(examples=["调研报告"])
    link: str = Field(examples=["https://example.org/m1"])


class Checkpoint(View):
    """节点: a milestone under supervision, with how far its tasks have come."""

    milestone_id: str = Field(examples=["m1"])
    title: str = Field(examples=["调研摸底"])
    due: Day
    deliverable: str = Field(description="the deliverable the plan promised", examples=["调研报告"])
    met_on: Day | None
    met_deliverable: Deliverable | None
    days_left: int = Field(description="days from the programme's today to the due date (negative: past it)")
    overdue: bool = Field(description="unmet and past its due date")
    due_soon_raised: bool = Field(description="the scheduler raised its due-soon warning")
    overdue_raised: bool = Field(description="the scheduler raised its overdue warning")
    rating: Rating | None = Field(description="the last inspection's rating")
    rating_label: str | None = Field(examples=["正常推进"])
    progress: dict[str, int] = Field(description="task id → percent reported")


class ProjectFields(View):
    """The project a supervision, checkpoint or rectification belongs to."""

    project_id: str
    department: str = Field(examples=["fgw"])
    branch: str | None = Field(examples=["fgw-b1"])
    record_no: str = Field(examples=["fgw-2026-6f1c2e4a"])
    project_title: str = Field(examples=["船员注册不见面审批"])
    colour: Colour
    colour_label: str = Field(examples=["绿"])


class CheckpointRow(Checkpoint, ProjectFields):
    """A checkpoint across projects (GET /checkpoints, /checkpoints/overdue)."""


class ColourChange(View):
    """三色预警: a colour the project took, why, and when (programme time)."""

    colour: Colour
    colour_label: str = Field(examples=["黄"])
    previous: Colour | None
    previous_label: str | None = Field(examples=["绿"])
    at: Moment
    reasons: list[str]


class InspectionView(View):
    """节点督查: an inspection at a milestone."""

    inspection_id: str = Field(examples=["i1"])
    milestone_id: str = Field(examples=["m1"])
    rating: Rating
    rating_label: str | None = Field(examples=["进度滞后"])
    findings: str
    order_id: str | None = Field(description="the rectification it ordered, if any", examples=["r1"])
    at: Moment
    inspector: Actor


class RectificationAnswer(View):
    answer: str
    at: Moment
    late: bool = Field(description="answered after the deadline")
    by: Actor


class Rejection(View):
    reason: str
    at: Moment


class RectificationOrder(View):
    """整改: a rectification order, its answers and the inspector's rejections."""

    order_id: str = Field(examples=["r1"])
    milestone_id: str = Field(examples=["m1"])
    inspection_id: str = Field(examples=["i1"])
    items: list[str]
    deadline: Day
    state: OrderState
    state_label: str = Field(examples=["待整改"])
    answers: list[RectificationAnswer]
    rejections: list[Rejection]
    overdue: bool


class RectificationRow(RectificationOrder, ProjectFields):
    """A rectification order across projects (GET /rectifications)."""


class SupervisionView(ProjectFields):
    """One approved project's supervision."""

    id: str
    version: Version
    colour_reasons: list[str] = Field(description="why the project has its colour now")
    colour_history: list[ColourChange]
    checkpoints: list[Checkpoint]
    inspections: list[InspectionView]
    rectifications: list[RectificationOrder]
    closed: bool = Field(description="the project was withdrawn")
    close_reason: str | None
    created_at: Moment
    modified_at: Moment


class Recorded(View):
    inspection_id: str = Field(examples=["i1"])
    order_id: str | None = Field(examples=["r1"])


class InspectionRecorded(SupervisionView):
    """The supervision after an inspection, and the ids of what it recorded."""

    recorded: Recorded
