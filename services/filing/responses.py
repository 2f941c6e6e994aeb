"""What the filing API answers: topics, projects and the organisation registry (codes with their
Chinese labels beside). The views themselves are built in schemas.py."""

from __future__ import annotations

from pydantic import Field

from services.filing.vocabulary import Direction, ProjectState, TopicState
from shared.views import Day, Moment, Version, View


class TopicView(View):
    """党委出题: a topic posed for the year."""

    id: str = Field(examples=["6f1c2e4a-1b7d-4c55-9b0e-2f0c1f9e8a11"])
    version: Version
    department: str = Field(examples=["fgw"])
    year: int = Field(examples=[2026])
    direction: Direction
    direction_label: str = Field(examples=["优化营商环境建设"])
    title: str = Field(examples=["优化审批服务"])
    description: str = Field(examples=["放管服改革,压缩审批时限"])
    state: TopicState
    state_label: str = Field(examples=["已发布"])
    created_at: Moment
    modified_at: Moment


class PlannedMilestone(View):
    """A milestone (节点) of a project's plan; its id is given by filing and never reused."""

    id: str = Field(examples=["m1"])
    title: str = Field(examples=["调研摸底"])
    due: Day
    deliverable: str = Field(examples=["调研报告"])


class ResponsiblePerson(View):
    id: str = Field(examples=["m-001"])
    name: str = Field(examples=["李扬"])


class ProjectView(View):
    """支部立项: a branch's project answering a topic."""

    id: str
    version: Version
    department: str = Field(examples=["fgw"])
    branch: str = Field(examples=["fgw-b1"])
    topic_id: str
    year: int = Field(examples=[2026])
    direction: Direction
    direction_label: str = Field(examples=["优化营商环境建设"])
    title: str = Field(examples=["船员注册不见面审批"])
    goal: str
    targets: list[str] = Field(examples=[["办理时限压缩至1个工作日", "群众满意率≥95%"]])
    milestones: list[PlannedMilestone]
    responsible: ResponsiblePerson
    state: ProjectState
    state_label: str = Field(examples=["已立项备案"])
    record_no: str | None = Field(description="立项备案号, once approved", examples=["fgw-2026-6f1c2e4a"])
    proposed_milestones: list[PlannedMilestone] | None = Field(
        description="a milestone change awaiting the committee's approval"
    )
    return_reasons: list[str] = Field(description="why the committee returned it, the last time")
    created_at: Moment
    modified_at: Moment


class Registered(View):
    """How many of each were newly registered (those already known are kept as they are)."""

    departments: int
    branches: int
    members: int


class BranchView(View):
    code: str = Field(examples=["fgw-b1"])
    name: str = Field(examples=["第一党支部"])
    secretary_id: str = Field(examples=["s-fgw-1"])
    secretary_name: str = Field(examples=["王强"])
    members: dict[str, str] = Field(description="member id → name", examples=[{"m-001": "李扬", "m-002": "刘莉"}])


class DepartmentView(View):
    code: str = Field(examples=["fgw"])
    name: str = Field(examples=["市发改委"])
    version: Version
    branches: list[BranchView]
