"""Who may read which scores (考核结果).

The organisation department (组织部) and auditors read everything; a department's committee its
department's subjects; a secretary their branch's score and their own; a member their branch's
published result. Anyone else is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.auth import Principal, Role
from shared.errors import Forbidden

EVERYTHING = (Role.ORGANISER, Role.AUDITOR)


@dataclass(frozen=True)
class Scope:
    department: str | None = None
    branch: str | None = None
    secretary: str | None = None

    def admits(self, row: Mapping[str, Any]) -> bool:
        if self.department is not None and row["department"] != self.department:
            return False
        if self.branch is not None and row["branch"] != self.branch:
            return False
        return self.secretary is None or row["subject_id"] == self.secretary


def scope(who: Principal, subject_type: str, published: bool) -> Scope:
    """The subjects of `subject_type` the caller may read, live or published; Forbidden if none."""
    if who.role in EVERYTHING:
        return Scope()
    if who.role == Role.COMMITTEE and who.department:
        return Scope(department=who.department)
    if who.role == Role.SECRETARY and who.department and who.branch:
        if subject_type == "branch":
            return Scope(department=who.department, branch=who.branch)
        if subject_type == "secretary":
            return Scope(department=who.department, secretary=who.subject)
        raise Forbidden("a secretary reads their branch's score and their own, not a department's")
    if who.role == Role.MEMBER and who.department and who.branch:
        if not published:
            raise Forbidden("members read their branch's published result; live scores are provisional")
        if subject_type != "branch":
            raise Forbidden("members read their branch's published result only")
        return Scope(department=who.department, branch=who.branch)
    raise Forbidden(
        f"role '{who.role.value}' may not read assessment scores; organiser, auditor, committee, "
        "secretary (their branch and themselves) and member (their branch's published result) may"
    )


def require_everything(who: Principal, what: str) -> None:
    if who.role not in EVERYTHING:
        raise Forbidden(f"{what}: only the organisation department (organiser) and auditors may")


def require_organiser(who: Principal, what: str) -> None:
    if who.role != Role.ORGANISER:
        raise Forbidden(f"{what}: only the organisation department (组织部, role organiser) may")
