"""The terms the projection shows: stable codes with their Chinese labels.

The codes are the ones filing, inspection and acceptance publish (the published language); no
service imports another, so the labels the overviews need are kept here beside them.
"""

from __future__ import annotations

from enum import StrEnum


class ProjectState(StrEnum):
    """Where a project stands: filing's states until its branch applies for acceptance, then
    acceptance's stages (a withdrawal wins over both)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    CHANGE_REQUESTED = "change_requested"
    WITHDRAWN = "withdrawn"
    APPLIED = "applied"
    IN_NOTICE = "in_notice"
    NOTICE_CLOSED = "notice_closed"
    GRADED = "graded"


STATE_LABELS: dict[str, str] = {
    ProjectState.DRAFT: "草稿",
    ProjectState.SUBMITTED: "待审核",
    ProjectState.RETURNED: "已退回修改",
    ProjectState.APPROVED: "已立项备案",
    ProjectState.CHANGE_REQUESTED: "节点变更待审批",
    ProjectState.WITHDRAWN: "已撤回",
    ProjectState.APPLIED: "已申请验收",
    ProjectState.IN_NOTICE: "公示中",
    ProjectState.NOTICE_CLOSED: "公示结束·待评定",
    ProjectState.GRADED: "已评定",
}
# Stages whose public notice (公示) has been published: the project's record is public from then on.
PUBLISHED = (ProjectState.IN_NOTICE, ProjectState.NOTICE_CLOSED, ProjectState.GRADED)


class Grade(StrEnum):
    """验收等次."""

    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"


GRADE_LABELS: dict[str, str] = {Grade.EXCELLENT: "优秀", Grade.GOOD: "良好", Grade.PASS: "合格", Grade.FAIL: "不合格"}

LEVEL_LABELS = {"municipal": "市级", "provincial": "省级", "central": "中央级"}  # 表彰 levels
RATING_LABELS = {"on_track": "正常推进", "lagging": "进度滞后", "at_risk": "存在风险"}  # 节点督查 ratings
DIRECTION_LABELS = {
    "party_building": "加强党的自身建设",
    "high_quality_development": "推进高质量发展",
    "business_environment": "优化营商环境建设",
    "work_upgrade": "业务提档升级",
}
# The first colour of every supervision, with inspection's reason for it (its ladder's ON_TRACK).
FIRST_COLOUR, FIRST_REASON = "green", "各节点正常推进 / every milestone on track"


def label(labels: dict[str, str], code: str | None) -> str | None:
    """The Chinese label of a code (None for none; the code itself if it is new to us)."""
    return None if code is None else labels.get(code, code)
