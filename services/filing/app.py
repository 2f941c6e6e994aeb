"""FilingApplication: 党委出题 and 支部立项 commands and queries, plain types in and out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

from services.filing.domain import Project, Topic
from services.filing.organisation import Department, department_id
from shared.application import VanguardApplication, committee, secretary
from shared.auth import Principal, Role
from shared.domain import VanguardAggregate, derived_id
from shared.errors import Forbidden
from shared.index import LiveIndex


class FilingApplication(VanguardApplication):
    """One filing instance: serves the departments it is configured for, with its own database."""

    name = "filing"

    def __init__(
        self, env: Mapping[str, str] | None = None, departments: frozenset[str] = frozenset(), **clock: Any
    ) -> None:
        super().__init__(env, departments, **clock)  # clock, clock_dsn, timezone: the programme's
        self.index = LiveIndex(self)

    # -- 党委出题 -----------------------------------------------------------------------------

    def pose_topic(
        self, who: Principal, year: int, direction: str, title: str, description: str, request_id: str | None
    ) -> Topic:
        who.require_role(Role.COMMITTEE)
        department = self.served(who.department)
        topic_id = derived_id("topic", department, request_id) if request_id else None
        # No look-up first: a retried request collides on the derived id and create() answers it.
        topic = Topic.pose(
            department, year, direction, title, description, who.as_actor(), request_id, topic_id or uuid4(), self.now()
        )
        return self.create(Topic, topic)

    def revise_topic(
        self, who: Principal, topic_id: UUID, expected_version: int, request_id: str | None, **changes: Any
    ) -> Topic:
        return self.update(
            Topic,
            topic_id,
            expected_version,
            request_id,
            committee(who),
            lambda t: t.revise(who.as_actor(), request_id, **changes),
        )

    def withdraw_topic(
        self, who: Principal, topic_id: UUID, expected_version: int, reason: str, request_id: str | None
    ) -> Topic:
        return self.update(
            Topic,
            topic_id,
            expected_version,
            request_id,
            committee(who),
            lambda t: t.withdraw(reason, who.as_actor(), request_id),
        )

    # -- 支部立项 -----------------------------------------------------------------------------

    def draft_project(
        self,
        who: Principal,
        topic_id: UUID,
        title: str,
        goal: str,
        targets: list[str],
        milestones: list[dict[str, Any]],
        responsible: dict[str, str],
        request_id: str | None,
    ) -> Project:
        who.require_role(Role.SECRETARY)
        topic = self.get(Topic, topic_id)
        self.served(topic.department)
        who.require_department(topic.department)
        if not who.branch:
            raise Forbidden("your token names no branch; a secretary acts for one branch")
        self._check_branch(topic.department, who.branch)
        project_id = derived_id("project", f"{topic.department}/{who.branch}", request_id) if request_id else None
        if project_id and (existing := self.find(Project, project_id)):
            return existing
        project = Project.draft(
            topic,
            who.branch,
            title,
            goal,
            targets,
            milestones,
            responsible,
            who.as_actor(),
            request_id,
            project_id or uuid4(),
        )
        return self.create(Project, project)

    def revise_project(
        self, who: Principal, project_id: UUID, expected_version: int, request_id: str | None, **changes: Any
    ) -> Project:
        return self.update(
            Project,
            project_id,
            expected_version,
            request_id,
            secretary(who),
            lambda p: p.revise(who.as_actor(), request_id, **changes),
        )

    def submit_project(
        self, who: Principal, project_id: UUID, expected_version: int, request_id: str | None
    ) -> Project:
        return self.update(
            Project,
            project_id,
            expected_version,
            request_id,
            secretary(who),
            lambda p: p.submit(who.as_actor(), request_id, self.now()),
        )

    def withdraw_project(
        self, who: Principal, project_id: UUID, expected_version: int, reason: str, request_id: str | None
    ) -> Project:
        return self.update(
            Project,
            project_id,
            expected_version,
            request_id,
            secretary(who),
            lambda p: p.withdraw(reason, who.as_actor(), request_id),
        )

    def request_milestone_change(
        self,
        who: Principal,
        project_id: UUID,
        expected_version: int,
        milestones: list[dict[str, Any]],
        reason: str,
        request_id: str | None,
    ) -> Project:
        return self.update(
            Project,
            project_id,
            expected_version,
            request_id,
            secretary(who),
            lambda p: p.request_milestone_change(milestones, reason, who.as_actor(), request_id),
        )

    def return_project(
        self, who: Principal, project_id: UUID, expected_version: int, reasons: list[str], request_id: str | None
    ) -> Project:
        return self.update(
            Project,
            project_id,
            expected_version,
            request_id,
            committee(who),
            lambda p: p.return_for_revision(reasons, who.as_actor(), request_id, self.now()),
        )

    def approve_project(
        self, who: Principal, project_id: UUID, expected_version: int, request_id: str | None
    ) -> Project:
        return self.update(
            Project,
            project_id,
            expected_version,
            request_id,
            committee(who),
            lambda p: p.approve(who.as_actor(), request_id, self.now()),
        )

    # -- the organisation registry --------------------------------------------------------------

    def import_organisation(
        self, who: Principal, departments: list[dict[str, Any]], request_id: str | None
    ) -> dict[str, int]:
        """Register departments, branches and members; what is already registered is kept."""
        who.require_role(Role.ADMIN)
        for entry in departments:  # all or nothing: check every department before recording any
            self.served(str(entry["code"]))
        counts = {"departments": 0, "branches": 0, "members": 0}
        changed = []
        for entry in departments:
            code = str(entry["code"])
            department = self.find(Department, department_id(code))
            if department is None:
                department = Department.register(code, str(entry["name"]), who.as_actor(), request_id)
                counts["departments"] += 1
            for branch in entry.get("branches", []):
                if branch["code"] not in department.branches:
                    department.register_branch(
                        branch["code"],
                        branch["name"],
                        branch["secretary"]["id"],
                        branch["secretary"]["name"],
                        who.as_actor(),
                        request_id,
                    )
                    counts["branches"] += 1
                for member in branch.get("members", []):
                    if not department.has_member(branch["code"], member["id"]):
                        department.register_member(
                            branch["code"], member["id"], member["name"], who.as_actor(), request_id
                        )
                        counts["members"] += 1
            changed.append(department)
        self.record(*changed)
        return counts

    # -- the mechanics every command shares ---------------------------------------------------

    def _check_branch(self, department: str, branch: str) -> None:
        registry = self.find(Department, department_id(department))
        if registry is not None and branch not in registry.branches:
            raise Forbidden(f"branch '{branch}' is not registered in department '{department}'")


def can_read(who: Principal, aggregate: VanguardAggregate) -> bool:
    return who.may_read(aggregate.department, aggregate.branch)
