"""Acceptance's terms: stable codes with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class AcceptanceState(StrEnum):
    """Where a project stands on its way to and through 公开验收."""

    FILED = "filed"
    APPROVED = "approved"
    APPLIED = "applied"
    IN_NOTICE = "in_notice"
    NOTICE_CLOSED = "notice_closed"
    GRADED = "graded"
    WITHDRAWN = "withdrawn"


STATE_LABELS = {
    AcceptanceState.FILED: "立项审核中",
    AcceptanceState.APPROVED: "实施中",
    AcceptanceState.APPLIED: "已申请验收",
    AcceptanceState.IN_NOTICE: "公示中",
    AcceptanceState.NOTICE_CLOSED: "公示结束·待评定",
    AcceptanceState.GRADED: "已评定",
    AcceptanceState.WITHDRAWN: "项目已撤回",
}


class Grade(StrEnum):
    """验收等次: the thresholds on the mean weighted score are published in the rubric file."""

    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"


GRADE_LABELS = {Grade.EXCELLENT: "优秀", Grade.GOOD: "良好", Grade.PASS: "合格", Grade.FAIL: "不合格"}


class FeedbackKind(StrEnum):
    """Public feedback during the notice period: support, or an objection the branch must answer."""

    SUPPORT = "support"
    OBJECTION = "objection"


FEEDBACK_LABELS = {FeedbackKind.SUPPORT: "支持", FeedbackKind.OBJECTION: "异议"}


class CommendationLevel(StrEnum):
    """The level of the body that commended a project (表彰)."""

    MUNICIPAL = "municipal"
    PROVINCIAL = "provincial"
    CENTRAL = "central"


LEVEL_LABELS = {
    CommendationLevel.MUNICIPAL: "市级",
    CommendationLevel.PROVINCIAL: "省级",
    CommendationLevel.CENTRAL: "中央级",
}
