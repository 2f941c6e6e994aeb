"""What a scheme file must hold: the lines of each subject type and the settings each line takes.

The scorer knows every line by its code; the file gives its label and points. A kind is "number",
"deadline" (month-day), "days" (a whole number ≥ 1), a vocabulary (points per code), or a
one-element tuple of a vocabulary (a list of its codes).
"""

from __future__ import annotations

from enum import StrEnum

from shared.vocabulary import Colour, CommendationLevel, Grade, Rating

Kind = str | type[StrEnum] | tuple[type[StrEnum]]

SUBJECTS = ("branch", "secretary", "department")

BRANCH: dict[str, dict[str, Kind]] = {
    "project_approved": {"points": "number", "deadline": "deadline"},
    "project_approved_late": {"points": "number"},
    "not_filed": {"points": "number"},
    "milestone_on_time": {"points": "number"},
    "milestone_late": {"points": "number"},
    "inspection_rated": {"points_by": Rating},
    "warning": {"points_by": Colour},
    "rectification_on_time": {"points": "number"},
    "rectification_overdue": {"points": "number"},
    "acceptance_grade": {"points_by": Grade},
    "objection_answered": {"points": "number"},
    "commendation": {"points_by": CommendationLevel},
    "brand": {"points": "number"},
}

SECRETARY: dict[str, dict[str, Kind]] = {
    "branch_result": {"share": "number"},
    "revision_on_time": {"points": "number", "within_days": "days"},
    "revision_late": {"points": "number"},
    "rectification_answered_on_time": {"points": "number"},
    "rectification_answered_late": {"points": "number"},
}

DEPARTMENT: dict[str, dict[str, Kind]] = {
    "branch_mean": {"share": "number"},
    "approved_share": {"points": "number"},
    "accepted_share": {"points": "number", "grades": (Grade,)},
    "topics_posed_on_time": {"points": "number", "deadline": "deadline"},
    "topics_posed_late": {"points": "number"},
    "review_on_time": {"points": "number", "within_days": "days"},
    "review_late": {"points": "number"},
}

RULES: dict[str, dict[str, Kind]] = {**BRANCH, **SECRETARY, **DEPARTMENT}
LINES: dict[str, tuple[str, ...]] = {
    "branch": tuple(BRANCH),
    "secretary": tuple(SECRETARY),
    "department": tuple(DEPARTMENT),
}
