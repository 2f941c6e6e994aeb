"""Request and response bodies of the acceptance API (codes with their Chinese labels beside)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from services.acceptance.domain import MAX_FEEDBACK, MAX_ITEMS, MAX_NAME, MAX_PANEL, MAX_TEXT, MAX_TITLE, Acceptance
from services.acceptance.vocabulary import (
    FEEDBACK_LABELS,
    GRADE_LABELS,
    LEVEL_LABELS,
    STATE_LABELS,
    AcceptanceState,
    CommendationLevel,
    FeedbackKind,
    Grade,
)
from shared.api.bodies import SINGLE_LINE, ProgrammeDate, Strict
from shared.vocabulary import DIRECTION_LABELS, Direction

Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), SINGLE_LINE]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Version = Annotated[int, Field(ge=1, description="the version you read; a stale one gets 409")]
Code = Annotated[str, Field(max_length=64), SINGLE_LINE]


class Expect(Strict):
    expected_version: Version


class Outcome(Strict):
    target: Annotated[str, Field(min_length=1, max_length=MAX_TITLE * 2, description="a target, as filed"), SINGLE_LINE]
    result: Text


class Link(Strict):
    url: Annotated[str, Field(min_length=1, max_length=1000, pattern=r"^https?://"), SINGLE_LINE]
    title: Annotated[str, Field(max_length=MAX_TITLE), SINGLE_LINE] = ""


class Apply(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "expected_version": 6,
                    "summary": "建立服务队,上门服务企业120家,审批时限由5天压缩至1天",
                    "outcomes": [
                        {"target": "办理时限压缩至1个工作日", "result": "已压缩至1个工作日"},
                        {"target": "群众满意率≥95%", "result": "满意率97.2%"},
                    ],
                    "evidence": [{"url": "https://example.org/report.pdf", "title": "总结报告"}],
                }
            ]
        }
    )

    expected_version: Version
    summary: Text
    outcomes: Annotated[list[Outcome], Field(min_length=1, max_length=MAX_ITEMS)]
    evidence: Annotated[list[Link], Field(min_length=1, max_length=MAX_ITEMS)]


class OpenNotice(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"expected_version": 7, "working_days": 5}]})

    expected_version: Version
    working_days: Annotated[int | None, Field(ge=1, le=30, description="default: the configured period")] = None


class Feedback(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"kind": "objection", "text": "上门服务覆盖面还不够,建议延伸到乡镇", "name": "赵市民"}]
        }
    )

    kind: FeedbackKind
    text: Annotated[str, Field(min_length=1, max_length=MAX_FEEDBACK)]
    name: Annotated[str, Field(max_length=MAX_NAME), SINGLE_LINE] = ""


class Answer(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"expected_version": 9, "answer": "已制定延伸方案,下半年覆盖全部乡镇"}]}
    )

    expected_version: Version
    answer: Text


class Panelist(Strict):
    id: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    name: Annotated[str, Field(max_length=100), SINGLE_LINE] = ""
    department: Code = ""
    branch: Code = ""


class Panel(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "expected_version": 8,
                    "members": [
                        {"id": "p-1", "name": "张教授", "department": "jggw"},
                        {"id": "p-2", "name": "李处长", "department": "sw", "branch": "sw-b2"},
                        {"id": "p-3", "name": "王主任", "department": "jggw"},
                    ],
                }
            ]
        }
    )

    expected_version: Version
    members: Annotated[list[Panelist], Field(max_length=MAX_PANEL)]


class Score(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scores": {
                        "target_achievement": 92,
                        "innovation": 88,
                        "main_work_effect": 95,
                        "member_participation": 90,
                        "public_response": 93,
                    },
                    "comment": "目标完成好,群众获得感强",
                }
            ]
        }
    )

    scores: dict[Annotated[str, Field(max_length=64), SINGLE_LINE], Annotated[int, Field(ge=0, le=100)]]
    comment: Annotated[str, Field(max_length=MAX_TEXT)] = ""


class Brand(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"expected_version": 12, "name": "环保管家"}]})

    expected_version: Version
    name: Title


class Commendation(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "expected_version": 13,
                    "level": "provincial",
                    "issuer": "中共江苏省委组织部",
                    "title": "全省机关党建优秀品牌",
                    "awarded_on": "2026-12-01",
                }
            ]
        }
    )

    expected_version: Version
    level: CommendationLevel
    issuer: Title
    title: Title
    awarded_on: ProgrammeDate


def _labels(a: Acceptance) -> dict[str, Any]:
    return {
        "state": a.state,
        "state_label": STATE_LABELS[AcceptanceState(a.state)],
        "direction": a.direction,
        "direction_label": DIRECTION_LABELS.get(Direction(a.direction), a.direction),
        "grade": a.grade,
        "grade_label": GRADE_LABELS[Grade(a.grade)] if a.grade else None,
    }


def _notice(a: Acceptance, now: dt.datetime) -> dict[str, Any] | None:
    if a.notice is None:
        return None
    kinds = [f["kind"] for f in a.feedback]
    return {
        **a.notice,
        "running": a.notice_running(now),
        "support": kinds.count(FeedbackKind.SUPPORT),
        "objections": kinds.count(FeedbackKind.OBJECTION),
        "unanswered_objections": len(a.unanswered_objections()),
    }


def _commendations(a: Acceptance) -> list[dict[str, Any]]:
    return [{**c, "level_label": LEVEL_LABELS[CommendationLevel(c["level"])]} for c in a.commendations]


def acceptance_view(a: Acceptance, now: dt.datetime) -> dict[str, Any]:
    """Everything, for those who may read the project (and auditors, panelists, organisers)."""
    return {
        "project_id": a.project_id,
        "version": a.version,
        "department": a.department,
        "branch": a.branch,
        "year": a.year,
        "title": a.title,
        "record_no": a.record_no,
        "goal": a.goal,
        "targets": a.targets,
        "responsible": a.responsible,
        **_labels(a),
        "milestones": [{**m, "met": a.met.get(m["id"])} for m in a.milestones],
        "rectifications": list(a.rectifications.values()),
        "blockers": a.blockers(),
        "application": a.application,
        "notice": _notice(a, now),
        "feedback": [{**f, "kind_label": FEEDBACK_LABELS[FeedbackKind(f["kind"])]} for f in a.feedback],
        "panel": a.panel,
        "rubric": a.rubric,
        "scores": list(a.scores.values()),
        "result": a.result,
        "in_casebook": a.in_casebook,
        "brand": a.brand,
        "commendations": _commendations(a),
        "modified_at": a.modified_on.isoformat(),
    }


def public_view(a: Acceptance, now: dt.datetime) -> dict[str, Any]:
    """What the public sees of a notice or an accepted project (no account needed)."""
    application = a.application or {}
    return {
        "project_id": a.project_id,
        "department": a.department,
        "branch": a.branch,
        "year": a.year,
        "title": a.title,
        "record_no": a.record_no,
        "goal": a.goal,
        **_labels(a),
        "summary": application.get("summary"),
        "outcomes": application.get("outcomes", []),
        "evidence": application.get("evidence", []),
        "notice": _notice(a, now),
        "answered_objections": [
            {"feedback_id": f["feedback_id"], "text": f["text"], "answer": f["answer"]["answer"]}
            for f in a.feedback
            if f["kind"] == FeedbackKind.OBJECTION and f["answer"]
        ],
        "score": (a.result or {}).get("score"),
        "in_casebook": a.in_casebook,
        "brand": a.brand,
        "commendations": _commendations(a),
    }
