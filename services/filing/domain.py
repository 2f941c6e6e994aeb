"""党委出题、支部立项: topics posed by a department's committee, projects filed by branches.

Pure domain: no I/O. Command methods check the rules, then trigger an event whose method
(decorated with @event) only changes state, so replaying history never re-checks rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from services.filing.vocabulary import Direction, ProjectState, TopicState
from shared.domain import VanguardAggregate, check, require, text
from shared.errors import InvalidInput

MAX_TITLE = 200
MAX_TEXT = 5_000
MAX_ITEMS = 50


def _text(value: Any, what: str, limit: int = MAX_TEXT, *, required: bool = True) -> str:
    return text(value, what, limit, required=required)


def _year(year: int) -> int:
    check(2000 <= year <= 2100, f"year {year} is out of range (2000–2100)")
    return year


def _at(at: dt.datetime | None) -> str | None:
    """The programme time a committee or secretary acted, as the event carries it (assessment
    deadlines are judged on it; older events without it fall back to when they were recorded)."""
    return at.isoformat() if at is not None else None


def _direction(direction: str) -> str:
    try:
        return Direction(direction).value
    except ValueError:
        codes = ", ".join(d.value for d in Direction)
        raise InvalidInput(f"unknown direction '{direction}'; use one of: {codes}") from None


def milestone_plan(
    milestones: list[dict[str, Any]], issued: set[str] | frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Validate a milestone plan (节点计划) and give every new milestone an id never issued before."""
    check(0 < len(milestones) <= MAX_ITEMS, f"a project needs 1–{MAX_ITEMS} milestones")
    taken = set(issued) | {str(m["id"]) for m in milestones if m.get("id")}
    plan = []
    for n, milestone in enumerate(milestones, start=1):
        try:
            due = dt.date.fromisoformat(str(milestone.get("due", "")))
        except ValueError:
            raise InvalidInput(f"milestone {n}: due must be a date like 2026-06-30") from None
        mid = str(milestone.get("id") or "")
        if mid:
            check(mid not in {p["id"] for p in plan}, f"milestone {n}: id '{mid}' is used twice")
        else:
            i = 1
            while f"m{i}" in taken:
                i += 1
            mid = f"m{i}"
        taken.add(mid)
        plan.append(
            {
                "id": mid,
                "title": _text(str(milestone.get("title", "")), f"milestone {n}: title", MAX_TITLE),
                "due": due.isoformat(),
                "deliverable": _text(str(milestone.get("deliverable", "")), f"milestone {n}: deliverable", MAX_TITLE),
            }
        )
    dues = [m["due"] for m in plan]
    check(dues == sorted(dues), "milestones must be in order of their due dates")
    return plan


class Topic(VanguardAggregate):
    """党委出题: a topic a department's party committee poses for the year."""

    @event("Posed")
    def __init__(
        self,
        department: str,
        year: int,
        direction: str,
        title: str,
        description: str,
        actor: dict[str, str],
        request_id: str | None,
        at: str | None = None,
    ) -> None:
        self.department = department
        self.branch = None
        self.year = year
        self.direction = direction
        self.title = title
        self.description = description
        self.state = TopicState.OPEN.value
        self._remember(request_id)

    @classmethod
    def pose(
        cls,
        department: str,
        year: int,
        direction: str,
        title: str,
        description: str,
        actor: dict[str, str],
        request_id: str | None,
        topic_id: UUID,
        at: dt.datetime | None = None,
    ) -> Topic:
        return cls._create(
            cls.Posed,
            id=topic_id,
            department=department,
            year=_year(year),
            direction=_direction(direction),
            title=_text(title, "title", MAX_TITLE),
            description=_text(description, "description", required=False),
            actor=actor,
            request_id=request_id,
            at=_at(at),
        )

    def revise(
        self,
        actor: dict[str, str],
        request_id: str | None,
        *,
        title: str | None = None,
        description: str | None = None,
        direction: str | None = None,
    ) -> None:
        require(self.state == TopicState.OPEN, "a withdrawn topic cannot be revised")
        check(
            any(v is not None for v in (title, description, direction)),
            "nothing to revise: give at least one of title, description, direction",
        )
        self._revised(
            title=self.title if title is None else _text(title, "title", MAX_TITLE),
            description=self.description if description is None else _text(description, "description", required=False),
            direction=self.direction if direction is None else _direction(direction),
            actor=actor,
            request_id=request_id,
        )

    @event("Revised")
    def _revised(
        self, title: str, description: str, direction: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.title, self.description, self.direction = title, description, direction
        self._remember(request_id)

    def withdraw(self, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        require(self.state == TopicState.OPEN, "the topic is already withdrawn")
        self._withdrawn(reason=_text(reason, "reason"), actor=actor, request_id=request_id)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        self.state = TopicState.WITHDRAWN.value
        self._remember(request_id)


_EDITABLE = (ProjectState.DRAFT, ProjectState.RETURNED)


class Project(VanguardAggregate):
    """支部立项: a branch's project answering a topic, approved and put on record (备案)."""

    @event("Drafted")
    def __init__(
        self,
        department: str,
        branch: str,
        topic_id: str,
        year: int,
        direction: str,
        title: str,
        goal: str,
        targets: list[str],
        milestones: list[dict[str, Any]],
        responsible: dict[str, str],
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.department = department
        self.branch = branch
        self.topic_id = topic_id
        self.year = year
        self.direction = direction
        self.title = title
        self.goal = goal
        self.targets = targets
        self.milestones = milestones
        self.issued_milestone_ids = {m["id"] for m in milestones}
        self.responsible = responsible
        self.state = ProjectState.DRAFT.value
        self.record_no: str | None = None
        self.proposed_milestones: list[dict[str, Any]] | None = None
        self.change_reason: str | None = None
        self.return_reasons: list[str] = []
        self._remember(request_id)

    @classmethod
    def draft(
        cls,
        topic: Topic,
        branch: str,
        title: str,
        goal: str,
        targets: list[str],
        milestones: list[dict[str, Any]],
        responsible: dict[str, str],
        actor: dict[str, str],
        request_id: str | None,
        project_id: UUID,
    ) -> Project:
        require(topic.state == TopicState.OPEN, "the topic has been withdrawn; choose an open topic")
        return cls._create(
            cls.Drafted,
            id=project_id,
            department=topic.department,
            branch=branch,
            topic_id=str(topic.id),
            year=topic.year,
            direction=topic.direction,
            title=_text(title, "title", MAX_TITLE),
            goal=_text(goal, "goal"),
            targets=_targets(targets),
            milestones=milestone_plan(milestones),
            responsible=_responsible(responsible),
            actor=actor,
            request_id=request_id,
        )

    def revise(self, actor: dict[str, str], request_id: str | None, **changes: Any) -> None:
        require(self.state in _EDITABLE, f"only a draft or returned project can be revised; this one is {self.state}")
        clean: dict[str, Any] = {}
        if changes.get("title") is not None:
            clean["title"] = _text(changes["title"], "title", MAX_TITLE)
        if changes.get("goal") is not None:
            clean["goal"] = _text(changes["goal"], "goal")
        if changes.get("targets") is not None:
            clean["targets"] = _targets(changes["targets"])
        if changes.get("milestones") is not None:
            clean["milestones"] = milestone_plan(changes["milestones"], self.issued_milestone_ids)
        if changes.get("responsible") is not None:
            clean["responsible"] = _responsible(changes["responsible"])
        check(bool(clean), "nothing to revise: give at least one of title, goal, targets, milestones, responsible")
        self._revised(changes=clean, actor=actor, request_id=request_id)

    @event("Revised")
    def _revised(self, changes: dict[str, Any], actor: dict[str, str], request_id: str | None) -> None:
        for key, value in changes.items():
            setattr(self, key, value)
        self.issued_milestone_ids |= {m["id"] for m in changes.get("milestones", [])}
        self._remember(request_id)

    def submit(self, actor: dict[str, str], request_id: str | None, at: dt.datetime | None = None) -> None:
        require(self.state in _EDITABLE, f"only a draft or returned project can be submitted; this one is {self.state}")
        self._submitted(actor=actor, request_id=request_id, at=_at(at))

    @event("Submitted")
    def _submitted(self, actor: dict[str, str], request_id: str | None, at: str | None = None) -> None:
        self.state = ProjectState.SUBMITTED.value
        self._remember(request_id)

    def return_for_revision(
        self, reasons: list[str], actor: dict[str, str], request_id: str | None, at: dt.datetime | None = None
    ) -> None:
        """The committee returns a submitted project, or a proposed milestone change, with reasons."""
        reasons = _reasons(reasons)
        if self.state == ProjectState.CHANGE_REQUESTED:
            self._change_returned(reasons=reasons, actor=actor, request_id=request_id)
            return
        require(
            self.state == ProjectState.SUBMITTED, f"only a submitted project can be returned; this one is {self.state}"
        )
        self._returned(reasons=reasons, actor=actor, request_id=request_id, at=_at(at))

    @event("Returned")
    def _returned(
        self, reasons: list[str], actor: dict[str, str], request_id: str | None, at: str | None = None
    ) -> None:
        self.state = ProjectState.RETURNED.value
        self.return_reasons = reasons
        self._remember(request_id)

    def approve(self, actor: dict[str, str], request_id: str | None, at: dt.datetime | None = None) -> None:
        """The committee approves a submitted project (立项备案) or a proposed milestone change."""
        if self.state == ProjectState.CHANGE_REQUESTED:
            self._change_approved(milestones=self.proposed_milestones, actor=actor, request_id=request_id)
            return
        require(
            self.state == ProjectState.SUBMITTED, f"only a submitted project can be approved; this one is {self.state}"
        )
        record_no = f"{self.department}-{self.year}-{str(self.id)[:8]}"
        self._approved(
            record_no=record_no,
            title=self.title,
            milestones=self.milestones,
            actor=actor,
            request_id=request_id,
            at=_at(at),
        )

    @event("Approved")
    def _approved(
        self,
        record_no: str,
        title: str,
        milestones: list[dict[str, Any]],
        actor: dict[str, str],
        request_id: str | None,
        at: str | None = None,
    ) -> None:
        self.state = ProjectState.APPROVED.value
        self.record_no = record_no
        self.return_reasons = []
        self._remember(request_id)

    def request_milestone_change(
        self, milestones: list[dict[str, Any]], reason: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        """A change to an approved project's milestone plan needs the committee's re-approval."""
        require(
            self.state == ProjectState.APPROVED,
            f"only an approved project's milestones can be changed; this one is {self.state} "
            "(revise the plan directly while it is a draft or returned)",
        )
        plan = milestone_plan(milestones, self.issued_milestone_ids)
        check(plan != self.milestones, "the proposed plan is the same as the approved one")
        self._change_requested(milestones=plan, reason=_text(reason, "reason"), actor=actor, request_id=request_id)

    @event("MilestoneChangeRequested")
    def _change_requested(
        self, milestones: list[dict[str, Any]], reason: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.state = ProjectState.CHANGE_REQUESTED.value
        self.proposed_milestones = milestones
        self.issued_milestone_ids |= {m["id"] for m in milestones}
        self.change_reason = reason
        self._remember(request_id)

    @event("MilestoneChangeApproved")
    def _change_approved(self, milestones: list[dict[str, Any]], actor: dict[str, str], request_id: str | None) -> None:
        self.state = ProjectState.APPROVED.value
        self.milestones = milestones
        self.proposed_milestones = None
        self._remember(request_id)

    @event("MilestoneChangeReturned")
    def _change_returned(self, reasons: list[str], actor: dict[str, str], request_id: str | None) -> None:
        self.state = ProjectState.APPROVED.value
        self.proposed_milestones = None
        self.return_reasons = reasons
        self._remember(request_id)

    def withdraw(self, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        require(self.state != ProjectState.WITHDRAWN, "the project is already withdrawn")
        self._withdrawn(reason=_text(reason, "reason"), actor=actor, request_id=request_id)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        self.state = ProjectState.WITHDRAWN.value
        self._remember(request_id)


def _targets(targets: list[str]) -> list[str]:
    check(0 < len(targets) <= MAX_ITEMS, f"a project needs 1–{MAX_ITEMS} measurable targets")
    return [_text(t, f"target {n}", MAX_TITLE * 2) for n, t in enumerate(targets, start=1)]


def _reasons(reasons: list[str]) -> list[str]:
    check(0 < len(reasons) <= MAX_ITEMS, "give at least one reason")
    return [_text(r, f"reason {n}") for n, r in enumerate(reasons, start=1)]


def _responsible(person: dict[str, str]) -> dict[str, str]:
    return {
        "id": _text(str(person.get("id", "")), "responsible person's id", MAX_TITLE),
        "name": _text(str(person.get("name", "")), "responsible person's name", MAX_TITLE),
    }
