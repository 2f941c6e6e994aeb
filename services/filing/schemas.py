"""Request and response bodies of the filing API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from services.filing.domain import MAX_ITEMS, MAX_TEXT, MAX_TITLE, Project, Topic
from services.filing.vocabulary import (
    DIRECTION_LABELS,
    PROJECT_STATE_LABELS,
    TOPIC_STATE_LABELS,
    Direction,
    ProjectState,
    TopicState,
)
from shared.api.bodies import SINGLE_LINE, ProgrammeDate, Strict

Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), SINGLE_LINE]
Target = Annotated[str, Field(min_length=1, max_length=MAX_TITLE * 2), SINGLE_LINE]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Version = Annotated[int, Field(ge=1, description="the version you read; a stale one gets 409")]


class PoseTopic(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2026,
                    "direction": "business_environment",
                    "title": "优化审批服务",
                    "description": "围绕企业群众办事堵点,推行网上申报、线上审批",
                }
            ]
        }
    )

    year: Annotated[int, Field(ge=2000, le=2100)]
    direction: Direction
    title: Title
    description: Text = ""


class ReviseTopic(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"expected_version": 1, "title": "优化审批服务流程"}]})

    expected_version: Version
    title: Title | None = None
    description: Text | None = None
    direction: Direction | None = None


class Withdraw(Strict):
    expected_version: Version
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class Milestone(Strict):
    id: Annotated[str, Field(min_length=1, max_length=32), SINGLE_LINE] | None = None
    title: Title
    due: ProgrammeDate
    deliverable: Title


class Person(Strict):
    id: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    name: Annotated[str, Field(min_length=1, max_length=100), SINGLE_LINE]


class DraftProject(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "topic_id": "6f1c2e4a-1b7d-4c55-9b0e-2f0c1f9e8a11",
                    "title": "船员注册不见面审批",
                    "goal": "网上申报、线上审批、快递送达,让船员办证少跑腿",
                    "targets": ["办理时限压缩至1个工作日", "群众满意率≥95%"],
                    "milestones": [
                        {"title": "调研摸底", "due": "2026-03-31", "deliverable": "调研报告"},
                        {"title": "系统上线", "due": "2026-06-30", "deliverable": "网上办理系统"},
                        {"title": "总结推广", "due": "2026-09-30", "deliverable": "工作总结"},
                    ],
                    "responsible": {"id": "m-001", "name": "李扬"},
                }
            ]
        }
    )

    topic_id: Annotated[str, Field(max_length=64), SINGLE_LINE]
    title: Title
    goal: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
    targets: Annotated[
        list[Target],
        Field(min_length=1, max_length=MAX_ITEMS),
    ]
    milestones: Annotated[list[Milestone], Field(min_length=1, max_length=MAX_ITEMS)]
    responsible: Person


class ReviseProject(Strict):
    expected_version: Version
    title: Title | None = None
    goal: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | None = None
    targets: (
        Annotated[
            list[Target],
            Field(min_length=1, max_length=MAX_ITEMS),
        ]
        | None
    ) = None
    milestones: Annotated[list[Milestone], Field(min_length=1, max_length=MAX_ITEMS)] | None = None
    responsible: Person | None = None


class Expect(Strict):
    expected_version: Version


class Reasons(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"expected_version": 3, "reasons": ["目标需量化", "节点时间过于集中"]}]}
    )

    expected_version: Version
    reasons: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]], Field(min_length=1, max_length=MAX_ITEMS)
    ]


class MilestoneChange(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "expected_version": 5,
                    "milestones": [
                        {"id": "m1", "title": "调研摸底", "due": "2026-03-31", "deliverable": "调研报告"},
                        {"id": "m2", "title": "系统上线", "due": "2026-07-31", "deliverable": "网上办理系统"},
                    ],
                    "reason": "系统对接延期一个月",
                }
            ]
        }
    )

    expected_version: Version
    milestones: Annotated[list[Milestone], Field(min_length=1, max_length=MAX_ITEMS)]
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class BranchEntry(Strict):
    code: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    name: Title
    secretary: Person
    members: list[Person] = Field(default_factory=list)


class DepartmentEntry(Strict):
    code: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    name: Title
    branches: list[BranchEntry] = Field(default_factory=list)


class Organisation(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "departments": [
                        {
                            "code": "fgw",
                            "name": "市发改委",
                            "branches": [
                                {
                                    "code": "fgw-b1",
                                    "name": "第一党支部",
                                    "secretary": {"id": "s-fgw-1", "name": "王强"},
                                    "members": [{"id": "m-001", "name": "李扬"}, {"id": "m-002", "name": "刘莉"}],
                                }
                            ],
                        }
                    ]
                }
            ]
        }
    )

    departments: list[DepartmentEntry]


def milestones_in(items: list[Milestone]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json") for m in items]


def topic_view(topic: Topic) -> dict[str, Any]:
    return {
        "id": str(topic.id),
        "version": topic.version,
        "department": topic.department,
        "year": topic.year,
        "direction": topic.direction,
        "direction_label": DIRECTION_LABELS[Direction(topic.direction)],
        "title": topic.title,
        "description": topic.description,
        "state": topic.state,
        "state_label": TOPIC_STATE_LABELS[TopicState(topic.state)],
        "created_at": topic.created_on.isoformat(),
        "modified_at": topic.modified_on.isoformat(),
    }


def project_view(project: Project) -> dict[str, Any]:
    return {
        "id": str(project.id),
        "version": project.version,
        "department": project.department,
        "branch": project.branch,
        "topic_id": project.topic_id,
        "year": project.year,
        "direction": project.direction,
        "direction_label": DIRECTION_LABELS[Direction(project.direction)],
        "title": project.title,
        "goal": project.goal,
        "targets": project.targets,
        "milestones": project.milestones,
        "responsible": project.responsible,
        "state": project.state,
        "state_label": PROJECT_STATE_LABELS[ProjectState(project.state)],
        "record_no": project.record_no,
        "proposed_milestones": project.proposed_milestones,
        "return_reasons": project.return_reasons,
        "created_at": project.created_on.isoformat(),
        "modified_at": project.modified_on.isoformat(),
    }
