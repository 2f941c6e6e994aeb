"""The programme's own terms for supervision: stable codes with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum

# The published language (shared.vocabulary), re-exported beside this service's own terms.
from shared.vocabulary import COLOUR_LABELS as COLOUR_LABELS
from shared.vocabulary import RATING_LABELS as RATING_LABELS
from shared.vocabulary import Colour as Colour
from shared.vocabulary import Rating as Rating


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
