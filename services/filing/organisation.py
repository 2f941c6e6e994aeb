"""The organisation registry: a department, its branches (党支部), secretaries and members (党员)."""

from __future__ import annotations

from eventsourcing.domain import event

from shared.domain import VanguardAggregate, check, derived_id, require


def department_id(code: str):
    return derived_id("department", "registry", code)


class Department(VanguardAggregate):
    """A department (部门) and its organ party organisation's branches."""

    @event("Registered")
    def __init__(self, code: str, name: str, actor: dict[str, str], request_id: str | None) -> None:
        self.department = code
        self.branch = None
        self.code = code
        self.name = name
        self.branches: dict[str, dict[str, object]] = {}
        self._remember(request_id)

    @classmethod
    def register(cls, code: str, name: str, actor: dict[str, str], request_id: str | None) -> Department:
        check(bool(code.strip()) and len(code) <= 64, "department code must be 1–64 characters")
        check(bool(name.strip()) and len(name) <= 200, "department name must be 1–200 characters")
        return cls._create(
            cls.Registered, id=department_id(code), code=code, name=name, actor=actor, request_id=request_id
        )

    def register_branch(
        self,
        code: str,
        name: str,
        secretary_id: str,
        secretary_name: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        check(bool(code.strip()) and len(code) <= 64, "branch code must be 1–64 characters")
        require(code not in self.branches, f"branch '{code}' is already registered")
        self._branch_registered(
            code=code,
            name=name,
            secretary_id=secretary_id,
            secretary_name=secretary_name,
            actor=actor,
            request_id=request_id,
        )

    @event("BranchRegistered")
    def _branch_registered(
        self,
        code: str,
        name: str,
        secretary_id: str,
        secretary_name: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.branches[code] = {
            "code": code,
            "name": name,
            "secretary_id": secretary_id,
            "secretary_name": secretary_name,
            "members": {},
        }
        self._remember(request_id)

    def register_member(
        self, branch: str, member_id: str, name: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        require(branch in self.branches, f"branch '{branch}' is not registered in {self.code}")
        members = self.branches[branch]["members"]
        assert isinstance(members, dict)
        require(member_id not in members, f"member '{member_id}' is already in branch '{branch}'")
        self._member_registered(branch=branch, member_id=member_id, name=name, actor=actor, request_id=request_id)

    @event("MemberRegistered")
    def _member_registered(
        self, branch: str, member_id: str, name: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        members = self.branches[branch]["members"]
        assert isinstance(members, dict)
        members[member_id] = name
        self._remember(request_id)

    def has_member(self, branch: str, member_id: str) -> bool:
        members = self.branches.get(branch, {}).get("members", {})
        return member_id in members  # type: ignore[operator]
