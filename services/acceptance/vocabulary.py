"""Acceptance's terms: stable codes with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum

# The published language (shared.vocabulary), re-exported beside this service's own terms.
from shared.vocabulary import GRADE_LABELS as GRADE_LABELS
from shared.vocabulary import LEVEL_LABELS as LEVEL_LABELS
from shared.vocabulary import CommendationLevel as CommendationLevel
from shared.vocabulary import Grade as Grade


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


class FeedbackKind(StrEnum):
    """Public feedback during the notice period: support, or an objection the branch must answer."""

    SUPPORT = "support"
    OBJECTION = "objection"


FEEDBACK_LABELS = {FeedbackKind.SUPPORT: "支持", FeedbackKind.OBJECTION: "异议"}
