"""FilingApplication: 党委出题 and 支部立项 commands and queries, plain types in and out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from services.filing.domain import Project, Topic
from services.filing.index import LiveIndex
from services.filing.organisation import Department, department_id
from shared.auth import Principal, Role
from shared.domain import VanguardAggregate, derived_id
from shared.errors import Forbidden, NotFound, NotServed, StaleVersion
from shared.observability import EVENTS_RECORDED

A = TypeVar("A", bound=VanguardAggregate)


class FilingApplication(Application[UUID]):
    """One filing instance: serves the departments it is configured for, with its own database."""

    name = "filing"

    def __init__(self, env: Mapping[str, str] | None = None, departments: frozenset[str] = frozenset()) -> None:
        super().__init__(env)
        self.departments = departments
        self.index = LiveIndex(self)

    # -- 党委出题 -----------------------------------------------------------------------------

    def pose_topic(self, who: Principal, year: int, direction: str, title: str, description: str,
                   request_id: str | None) -> Topic:
        who.require_role(Role.COMMITTEE)
        department = self._served(who.department)
        topic_id = derived_id("topic", department, request_id) if request_id else None
        if topic_id and (existing := self._find(Topic, topic_id)):
            return existing
        topic = Topic.pose(department, year, direction, title, description, who.as_actor(),
                           request_id, topic_id or uuid4())
        return self._create(topic, Topic)

    def revise_topic(self, who: Principal, topic_id: UUID, expected_version: int,
                     request_id: str | None, **changes: Any) -> Topic:
        return self._update(Topic, topic_id, expected_version, request_id, self._committee(who),
                            lambda t: t.revise(who.as_actor(), request_id, **changes))

    def withdraw_topic(self, who: Principal, topic_id: UUID, expected_version: int, reason: str,
                       request_id: str | None) -> Topic:
        return self._update(Topic, topic_id, expected_version, request_id, self._committee(who),
                            lambda t: t.withdraw(reason, who.as_actor(), request_id))

    # -- 支部立项 -----------------------------------------------------------------------------

    def draft_project(self, who: Principal, topic_id: UUID, title: str, goal: str, targets: list[str],
                      milestones: list[dict[str, Any]], responsible: dict[str, str],
                      request_id: str | None) -> Project:
        who.require_role(Role.SECRETARY)
        topic = self.get(Topic, topic_id)
        self._served(topic.department)
        who.require_department(topic.department)
        if not who.branch:
            raise Forbidden("your token names no branch; a secretary acts for one branch")
        self._check_branch(topic.department, who.branch)
        project_id = derived_id("project", f"{topic.department}/{who.branch}", request_id) if request_id else None
        if project_id and (existing := self._find(Project, project_id)):
            return existing
        project = Project.draft(topic, who.branch, title, goal, targets, milestones, responsible,
                                who.as_actor(), request_id, project_id or uuid4())
        return self._create(project, Project)

    def revise_project(self, who: Principal, project_id: UUID, expected_version: int,
                       request_id: str | None, **changes: Any) -> Project:
        return self._update(Project, project_id, expected_version, request_id, self._secretary(who),
                            lambda p: p.revise(who.as_actor(), request_id, **changes))

    def submit_project(self, who: Principal, project_id: UUID, expected_version: int,
                       request_id: str | None) -> Project:
        return self._update(Project, project_id, expected_version, request_id, self._secretary(who),
                            lambda p: p.submit(who.as_actor(), request_id))

    def withdraw_project(self, who: Principal, project_id: UUID, expected_version: int, reason: str,
                         request_id: str | None) -> Project:
        return self._update(Project, project_id, expected_version, request_id, self._secretary(who),
                            lambda p: p.withdraw(reason, who.as_actor(), request_id))

    def request_milestone_change(self, who: Principal, project_id: UUID, expected_version: int,
                                 milestones: list[dict[str, Any]], reason: str,
                                 request_id: str | None) -> Project:
        return self._update(Project, project_id, expected_version, request_id, self._secretary(who),
                            lambda p: p.request_milestone_change(milestones, reason, who.as_actor(), request_id))

    def return_project(self, who: Principal, project_id: UUID, expected_version: int,
                       reasons: list[str], request_id: str | None) -> Project:
        return self._update(Project, project_id, expected_version, request_id, self._committee(who),
                            lambda p: p.return_for_revision(reasons, who.as_actor(), request_id))

    def approve_project(self, who: Principal, project_id: UUID, expected_version: int,
                        request_id: str | None) -> Project:
        return self._update(Project, project_id, expected_version, request_id, self._committee(who),
                            lambda p: p.approve(who.as_actor(), request_id))

    # -- the organisation registry --------------------------------------------------------------

    def import_organisation(self, who: Principal, departments: list[dict[str, Any]],
                            request_id: str | None) -> dict[str, int]:
        """Register departments, branches and members; what is already registered is kept."""
        who.require_role(Role.ADMIN)
        counts = {"departments": 0, "branches": 0, "members": 0}
        for entry in departments:
            code = self._served(str(entry["code"]))
            department = self._find(Department, department_id(code))
            if department is None:
                department = Department.register(code, str(entry["name"]), who.as_actor(), request_id)
                counts["departments"] += 1
            for branch in entry.get("branches", []):
                if branch["code"] not in department.branches:
                    department.register_branch(
                        branch["code"], branch["name"], branch["secretary"]["id"],
                        branch["secretary"]["name"], who.as_actor(), request_id)
                    counts["branches"] += 1
                for member in branch.get("members", []):
                    if not department.has_member(branch["code"], member["id"]):
                        department.register_member(branch["code"], member["id"], member["name"],
                                                   who.as_actor(), request_id)
                        counts["members"] += 1
            self._save(department)
        return counts

    # -- queries ----------------------------------------------------------------------------

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        found = self._find(cls, aggregate_id)
        if found is None:
            raise NotFound(f"no {cls.__name__.lower()} with id {aggregate_id}")
        return found

    def read(self, who: Principal, cls: type[A], aggregate_id: UUID) -> A:
        aggregate = self.get(cls, aggregate_id)
        if not can_read(who, aggregate):
            raise Forbidden(f"you may not read this {cls.__name__.lower()}")
        return aggregate

    # -- the mechanics every command shares ---------------------------------------------------

    def _served(self, department: str | None) -> str:
        if not department:
            raise Forbidden("your token names no department")
        if self.departments and department not in self.departments:
            raise NotServed(
                f"this filing instance serves {', '.join(sorted(self.departments))}, not '{department}'; "
                "send the command to that department's instance",
                department=department,
            )
        return department

    def _check_branch(self, department: str, branch: str) -> None:
        registry = self._find(Department, department_id(department))
        if registry is not None and branch not in registry.branches:
            raise Forbidden(f"branch '{branch}' is not registered in department '{department}'")

    @staticmethod
    def _committee(who: Principal) -> Callable[[VanguardAggregate], None]:
        def authorise(aggregate: VanguardAggregate) -> None:
            who.require_role(Role.COMMITTEE)
            who.require_department(aggregate.department)
        return authorise

    @staticmethod
    def _secretary(who: Principal) -> Callable[[VanguardAggregate], None]:
        def authorise(aggregate: VanguardAggregate) -> None:
            who.require_role(Role.SECRETARY)
            who.require_branch(aggregate.department, str(aggregate.branch))
        return authorise

    def _find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            return None
        return aggregate

    def _create(self, aggregate: A, cls: type[A]) -> A:
        try:
            self._save(aggregate)
        except IntegrityError:
            # The same request raced us here: answer with what it recorded.
            existing = self._find(cls, aggregate.id)
            if existing is None:
                raise
            return existing
        return aggregate

    def _update(self, cls: type[A], aggregate_id: UUID, expected_version: int, request_id: str | None,
                authorise: Callable[[A], None], act: Callable[[A], None]) -> A:
        aggregate = self.get(cls, aggregate_id)
        self._served(aggregate.department)
        authorise(aggregate)
        if aggregate.answered(request_id):
            return aggregate
        if aggregate.version != expected_version:
            raise _stale(expected_version, aggregate.version)
        act(aggregate)
        try:
            self._save(aggregate)
        except IntegrityError:
            fresh = self.get(cls, aggregate_id)
            if fresh.answered(request_id):
                return fresh
            raise _stale(expected_version, fresh.version) from None
        return aggregate

    def _save(self, aggregate: VanguardAggregate) -> None:
        recordings = self.save(aggregate)
        EVENTS_RECORDED.labels(self.name).inc(len(recordings))


def can_read(who: Principal, aggregate: VanguardAggregate) -> bool:
    return who.may_read(aggregate.department, aggregate.branch)


def _stale(expected: int, actual: int) -> StaleVersion:
    return StaleVersion(
        f"the record changed since you read it: you sent expected_version {expected}, "
        f"it is now at version {actual}; reload it and decide again",
        expected_version=expected, current_version=actual,
    )
