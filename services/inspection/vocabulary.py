"""The programme's own terms for supervision: stable codes with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


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


class OrderState(StrEnum):
    """整改: where a rectification order stands."""

    OPEN = "open"
    ANSWERED = "answered"
    VERIFIED = "verified"
    REJECTED = "rejected"


ORDER_STATE_LABELS = {
    OrderState.OPEN: "待整改",
    OrderState.ANSWERED: "已反馈待核验",
    OrderState.VERIFIED: "已核验销号",
    OrderState.REJECTED: "核验未通过",
}


class DeadlineKind(StrEnum):
    """What the scheduler raises when a deadline passes."""

    DUE_SOON = "due_soon"
    MILESTONE_OVERDUE = "milestone_overdue"
    RECTIFICATION_OVERDUE = "rectification_overdue"
