"""Who is whose: each department's name, branches and members, learnt from filing's registry.

The panel's conflict-of-interest rule (回避) and the casebook's names rely on it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.domain import VanguardAggregate, derived_id


def roster_id(department: str) -> UUID:
    return derived_id("roster", "acceptance", department)


class Roster(VanguardAggregate):
    """A department's name, branches and members, as filing's registry publishes them: who is whose."""

    @event("Started")
    def __init__(self, department: str, name: str, actor: dict[str, str], request_id: str | None) -> None:
        self.department = department
        self.branch = None
        self.name = name
        self.branches: dict[str, dict[str, Any]] = {}  # code -> {name, members: {id: name}}
        self._remember(request_id)

    @classmethod
    def start(cls, department: str, name: str, actor: dict[str, str], request_id: str | None) -> Roster:
        return cls._create(
            cls.Started,
            id=roster_id(department),
            department=department,
            name=name or department,
            actor=actor,
            request_id=request_id,
        )

    def enrol_branch(
        self,
        code: str,
        name: str,
        secretary_id: str,
        secretary_name: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> bool:
        if self.answered(request_id) or code in self.branches:
            return False
        self._branch_enrolled(
            code=code,
            name=name,
            secretary_id=secretary_id,
            secretary_name=secretary_name,
            actor=actor,
            request_id=request_id,
        )
        return True

    @event("BranchEnrolled")
    def _branch_enrolled(
        self,
        code: str,
        name: str,
        secretary_id: str,
        secretary_name: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.branches[code] = {"name": name, "members": {secretary_id: secretary_name}}
        self._remember(request_id)

    def enrol_member(
        self, branch: str, member_id: str, name: str, actor: dict[str, str], request_id: str | None
    ) -> bool:
        if self.answered(request_id) or self.branches.get(branch, {}).get("members", {}).get(member_id) == name:
            return False
        self._member_enrolled(branch=branch, member_id=member_id, name=name, actor=actor, request_id=request_id)
        return True

    @event("MemberEnrolled")
    def _member_enrolled(
        self, branch: str, member_id: str, name: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.branches.setdefault(branch, {"name": branch, "members": {}})["members"][member_id] = name
        self._remember(request_id)

    def affiliation(self, member_id: str) -> tuple[str, str] | None:
        """(branch, name) of a registered member or secretary."""
        for code, branch in self.branches.items():
            if member_id in branch["members"]:
                return code, branch["members"][member_id]
        return None

    def belongs(self, branch: str, member_id: str) -> bool:
        """Whether a member or secretary is registered in the branch."""
        return member_id in self.branches.get(branch, {}).get("members", {})

    def branch_name(self, code: str | None) -> str:
        return str(self.branches.get(code or "", {}).get("name") or code or "")
