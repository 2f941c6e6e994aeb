"""The programme's published vocabulary: codes several services share, with their Chinese labels.

No service imports another; what they must agree on lives here (directions, grades, commendation
levels, warning colours, inspection ratings, and the states of projects and acceptances, which the
projection shows). A service's own vocabulary module re-exports these
beside the terms only it uses.
"""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    """选题方向: the four directions a topic is posed under."""

    PARTY_BUILDING = "party_building"
    HIGH_QUALITY_DEVELOPMENT = "high_quality_development"
    BUSINESS_ENVIRONMENT = "business_environment"
    WORK_UPGRADE = "work_upgrade"


DIRECTION_LABELS = {
    Direction.PARTY_BUILDING: "加强党的自身建设",
    Direction.HIGH_QUALITY_DEVELOPMENT: "推进高质量发展",
    Direction.BUSINESS_ENVIRONMENT: "优化营商环境建设",
    Direction.WORK_UPGRADE: "业务提档升级",
}


class Grade(StrEnum):
    """验收等次: the thresholds on the mean weighted score are published in the rubric file."""

    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"


GRADE_LABELS = {Grade.EXCELLENT: "优秀", Grade.GOOD: "良好", Grade.PASS: "合格", Grade.FAIL: "不合格"}


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


class Colour(StrEnum):
    """三色预警 (plus blue): the warning light of a project, computed, never set by hand."""

    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


COLOUR_LABELS = {Colour.GREEN: "绿", Colour.BLUE: "蓝", Colour.YELLOW: "黄", Colour.RED: "红"}


class Rating(StrEnum):
    """An inspector's rating of a milestone's progress."""

    ON_TRACK = "on_track"
    LAGGING = "lagging"
    AT_RISK = "at_risk"


RATING_LABELS = {Rating.ON_TRACK: "正常推进", Rating.LAGGING: "进度滞后", Rating.AT_RISK: "存在风险"}


class ProjectState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    CHANGE_REQUESTED = "change_requested"
    WITHDRAWN = "withdrawn"


PROJECT_STATE_LABELS = {
    ProjectState.DRAFT: "草稿",
    ProjectState.SUBMITTED: "待审核",
    ProjectState.RETURNED: "已退回修改",
    ProjectState.APPROVED: "已立项备案",
    ProjectState.CHANGE_REQUESTED: "节点变更待审批",
    ProjectState.WITHDRAWN: "已撤回",
}


class AcceptanceState(StrEnum):
    """Where a project stands on its way to and through 公开验收."""

    FILED = "filed"
    APPROVED = "approved"
    APPLIED = "applied"
    IN_NOTICE = "in_notice"
    NOTICE_CLOSED = "notice_closed"
    GRADED = "graded"
    WITHDRAWN = "withdrawn"


ACCEPTANCE_STATE_LABELS = {
    AcceptanceState.FILED: "立项审核中",
    AcceptanceState.APPROVED: "实施中",
    AcceptanceState.APPLIED: "已申请验收",
    AcceptanceState.IN_NOTICE: "公示中",
    AcceptanceState.NOTICE_CLOSED: "公示结束·待评定",
    AcceptanceState.GRADED: "已评定",
    AcceptanceState.WITHDRAWN: "项目已撤回",
}
