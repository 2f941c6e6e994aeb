"""Who is acting: a role, and the department / branch / member it is scoped to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Forbidden


class Role(StrEnum):
    COMMITTEE = "committee"
    SECRETARY = "secretary"
    MEMBER = "member"
    INSPECTOR = "inspector"
    PANELIST = "panelist"
    AUDITOR = "auditor"
    ORGANISER = "organiser"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.COMMITTEE: "部门党委(党组)",
    Role.SECRETARY: "支部书记",
    Role.MEMBER: "党员",
    Role.INSPECTOR: "机关工委督查员",
    Role.PANELIST: "验收评审组成员",
    Role.AUDITOR: "审计员",
    Role.ORGANISER: "组织部(考核评价)",
    Role.ADMIN: "系统管理员",
}


CROSS_DEPARTMENT_READERS = frozenset({Role.AUDITOR, Role.INSPECTOR, Role.PANELIST, Role.ORGANISER, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    department: str | None = None
    branch: str | None = None
    name: str | None = None

    def as_actor(self) -> dict[str, str]:
        """The actor as recorded in events."""
        actor = {"id": self.subject, "role": self.role.value}
        if self.department:
            actor["department"] = self.department
        if self.branch:
            actor["branch"] = self.branch
        return actor

    def may_read(self, department: str, branch: str | None) -> bool:
        """Cross-department roles read everything; others their department, and members and
        secretaries only their own branch's branch-level records."""
        if self.role in CROSS_DEPARTMENT_READERS:
            return True
        if self.department != department:
            return False
        if self.role == Role.COMMITTEE or branch is None:
            return True
        return self.branch == branch

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            wanted = "、".join(f"{r.value} ({ROLE_LABELS[r]})" for r in roles)
            raise Forbidden(
                f"role '{self.role.value}' may not do this; it needs: {wanted}",
                role=self.role.value,
            )

    def require_department(self, department: str) -> None:
        if self.department != department:
            raise Forbidden(
                f"you act for department '{self.department}', not '{department}'",
                department=department,
            )

    def require_branch(self, department: str, branch: str) -> None:
        self.require_department(department)
        if self.branch != branch:
            raise Forbidden(f"you act for branch '{self.branch}', not '{branch}'", branch=branch)
