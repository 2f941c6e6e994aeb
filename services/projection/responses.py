"""What the projection answers: project overviews, audit trails and public records.

Overviews and trails are rows of its read models (`SELECT *`, services/projection/queries.py):
their columns are declared here, and a column added to a table later is served too, undeclared
until it is added here. Codes are the ones the other services publish, with Chinese labels beside.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from shared.views import Day, Moment, Row

Code = Annotated[str, Field(description="a stable code of the programme's vocabulary")]


class PlanItem(Row):
    id: str = Field(examples=["m1"])
    title: str = Field(examples=["调研摸底"])
    due: Day
    deliverable: str = Field(examples=["调研报告"])


class Person(Row):
    id: str = Field(examples=["m-001"])
    name: str = Field(examples=["李扬"])


class Outcome(Row):
    target: str
    result: str


class Link(Row):
    url: str
    title: str


class Application(Row):
    summary: str
    outcomes: list[Outcome]
    evidence: list[Link]


class Panelist(Row):
    id: str = Field(examples=["p-1"])
    name: str = Field(examples=["张教授"])


class Commendation(Row):
    commendation_id: str = Field(examples=["c1"])
    level: Code = Field(examples=["provincial"])
    level_label: str | None = Field(examples=["省级"])
    issuer: str
    title: str
    awarded_on: Day


class ProjectOverview(Row):
    """A project as the whole programme sees it: filing's plan, supervision's colour, acceptance's
    stage, grade and honours."""

    id: str
    department: str = Field(examples=["fgw"])
    branch: str = Field(examples=["fgw-b1"])
    topic_id: str
    year: int = Field(examples=[2026])
    direction: Code = Field(examples=["business_environment"])
    title: str
    goal: str
    targets: list[str]
    milestones: list[PlanItem]
    responsible: Person
    state: Code = Field(description="filing's state, then the acceptance stage; withdrawn wins", examples=["graded"])
    state_label: str | None = Field(examples=["已评定"])
    record_no: str | None
    version: int = Field(description="filing's version of the project")
    created_at: Moment
    updated_at: Moment
    colour: Code = Field(description="三色预警: green, blue, yellow, red", examples=["green"])
    filing_state: Code | None
    acceptance_state: Code | None
    acceptance_version: int
    applied_at: Moment | None
    application: Application | None
    notice_opened_at: Moment | None
    notice_closes_at: Moment | None
    notice_working_days: int | None
    notice_closed_at: Moment | None
    feedback_count: int
    objection_count: int
    objections_answered: int
    panel: list[Panelist] | None
    rubric: str | None
    grade: Code | None = Field(examples=["excellent"])
    grade_label: str | None = Field(examples=["优秀"])
    score: float | None
    graded_at: Moment | None
    in_casebook: bool
    brand: str | None
    commendations: list[Commendation]


class Deliverable(Row):
    title: str = Field(examples=["调研报告"])
    link: str = Field(default="", examples=["https://example.org/m1"])


class MilestoneProgress(Row):
    project_id: str
    milestone_id: str = Field(examples=["m1"])
    title: str
    due: Day
    deliverable: str
    met_on: Day | None
    met_deliverable: Deliverable | None
    overdue: bool
    tasks: int = Field(description="tasks not cancelled")
    done: int
    percent: int = Field(description="their mean percent")


class TaskRow(Row):
    id: str
    project_id: str
    milestone_id: str
    department: str
    branch: str
    title: str
    due: Day
    assignee: str
    assignee_name: str
    state: Code = Field(examples=["open"])
    percent: int
    version: int
    updated_at: Moment


class ColourEntry(Row):
    colour: Code = Field(examples=["yellow"])
    previous: Code | None = Field(examples=["green"])
    reasons: list[str]
    at: Moment


class InspectionRow(Row):
    project_id: str
    inspection_id: str = Field(examples=["i1"])
    milestone_id: str
    rating: Code = Field(examples=["lagging"])
    findings: str
    order_id: str | None
    inspector: str = Field(description="the inspector's id")
    at: Moment


class RectificationRow(Row):
    project_id: str
    order_id: str = Field(examples=["r1"])
    milestone_id: str
    items: list[str]
    deadline: Day
    state: Code = Field(examples=["open"])
    overdue: bool
    updated_at: Moment


class ProjectDetail(ProjectOverview):
    """One project's overview with its milestones' progress, tasks, colours, inspections and rectifications."""

    milestone_progress: list[MilestoneProgress]
    tasks: list[TaskRow]
    colour_history: list[ColourEntry]
    inspections: list[InspectionRow]
    rectifications: list[RectificationRow]


class AuditEntry(Row):
    """An event in the audit trail, as its source recorded it."""

    event_id: str
    aggregate_id: str
    aggregate_type: str = Field(examples=["Project"])
    aggregate_version: int
    project_id: str | None
    department: str
    branch: str | None
    type: str = Field(examples=["filing.Project.Approved"])
    actor: dict[str, Any] = Field(description='{"id", "role", "department"?, "branch"?}')
    request_id: str | None
    occurred_at: Moment
    source_service: str = Field(examples=["filing"])
    source_instance: str = Field(examples=["fgw"])
    source_position: int
    payload: dict[str, Any]
    applied_seq: int = Field(description="the order the projection applied events in")
