"""The programme's own terms: stable codes with their Chinese labels."""

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


class TopicState(StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"


TOPIC_STATE_LABELS = {TopicState.OPEN: "已发布", TopicState.WITHDRAWN: "已撤回"}


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
