"""Acceptance's terms: stable codes with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum

# The published language (shared.vocabulary), re-exported beside this service's own terms.
from shared.vocabulary import ACCEPTANCE_STATE_LABELS
from shared.vocabulary import GRADE_LABELS as GRADE_LABELS
from shared.vocabulary import LEVEL_LABELS as LEVEL_LABELS
from shared.vocabulary import AcceptanceState as AcceptanceState
from shared.vocabulary import CommendationLevel as CommendationLevel
from shared.vocabulary import Grade as Grade

STATE_LABELS = ACCEPTANCE_STATE_LABELS  # this service's name for them


class FeedbackKind(StrEnum):
    """Public feedback during the notice period: support, or an objection the branch must answer."""

    SUPPORT = "support"
    OBJECTION = "objection"


FEEDBACK_LABELS = {FeedbackKind.SUPPORT: "支持", FeedbackKind.OBJECTION: "异议"}
