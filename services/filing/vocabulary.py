"""The programme's own terms: stable codes with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum

from shared.vocabulary import DIRECTION_LABELS, PROJECT_STATE_LABELS, Direction, ProjectState

__all__ = ["DIRECTION_LABELS", "PROJECT_STATE_LABELS", "TOPIC_STATE_LABELS", "Direction", "ProjectState", "TopicState"]


class TopicState(StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"


TOPIC_STATE_LABELS = {TopicState.OPEN: "已发布", TopicState.WITHDRAWN: "已撤回"}
