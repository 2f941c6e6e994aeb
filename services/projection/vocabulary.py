"""The terms the projection shows: stable codes with their Chinese labels.

The codes filing, inspection and acceptance publish, and their labels, are the published
language (shared.vocabulary); the projection's own states are kept here.
"""

from __future__ import annotations

from enum import StrEnum

# The published language (shared.vocabulary), re-exported beside this service's own terms.
from shared.vocabulary import ACCEPTANCE_STATE_LABELS, PROJECT_STATE_LABELS, AcceptanceState
from shared.vocabulary import DIRECTION_LABELS as DIRECTION_LABELS
from shared.vocabulary import GRADE_LABELS as GRADE_LABELS
from shared.vocabulary import LEVEL_LABELS as LEVEL_LABELS
from shared.vocabulary import RATING_LABELS as RATING_LABELS
from shared.vocabulary import Grade as Grade
from shared.vocabulary import ProjectState as FilingState


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


# Filing's labels, then acceptance's for its stages (the published language's own words).
_FILING = {state.value for state in FilingState}
STATE_LABELS: dict[str, str] = {
    state: PROJECT_STATE_LABELS[FilingState(state)]
    if state in _FILING
    else ACCEPTANCE_STATE_LABELS[AcceptanceState(state)]
    for state in ProjectState
}
# Stages whose public notice (公示) has been published: the project's record is public from then on.
PUBLISHED = (ProjectState.IN_NOTICE, ProjectState.NOTICE_CLOSED, ProjectState.GRADED)


# The first colour of every supervision, with inspection's reason for it (its ladder's ON_TRACK).
FIRST_COLOUR, FIRST_REASON = "green", "各节点正常推进 / every milestone on track"


def label(labels: dict[str, str], code: str | None) -> str | None:
    """The Chinese label of a code (None for none; the code itself if it is new to us)."""
    return None if code is None else labels.get(code, code)
