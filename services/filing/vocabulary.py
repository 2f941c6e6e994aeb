"""The programme's own terms: stable codes with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum

from shared.vocabulary import DIRECTION_LABELS, Direction

__all__ = ["DIRECTION_LABELS", "PROJECT_STATE_LABELS", "TOPIC_STATE_LABELS", "Direction", "ProjectState", "TopicState"]


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
