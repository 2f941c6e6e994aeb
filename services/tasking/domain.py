"""任务到人: a project's task board, its tasks assigned to named members, and branch rosters.

Pure domain: no I/O. A board opens when filing approves the project; tasks serve its milestones;
a milestone is met when the secretary declares it with its deliverable and all its tasks are done.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from services.tasking.vocabulary import BoardState, TaskState
from shared.domain import VanguardAggregate, check, derived_id, iso_date, require, text
from shared.errors import InvalidInput

MAX_TITLE = 200
MAX_TEXT = 5_000
MAX_EVIDENCE = 20


def board_id(project_id: str) -> UUID:
    return derived_id("board", "tasking", project_id)


def roster_id(department: str) -> UUID:
    return derived_id("roster", "tasking", department)


def _text(value: Any, what: str, limit: int = MAX_TEXT, *, required: bool = True) -> str:
    return text(value, what, limit, required=required)


def _date(value: Any, what: str) -> str:
    return iso_date(value, what)


class Roster(VanguardAggregate):
    """A department's branches and their members, as filing's registry publishes them."""

    @event("Started")
    def __init__(self, department: str, actor: dict[str, str], request_id: str | None) -> None:
        self.department = department
        self.branch = None
        self.branches: dict[str, dict[str, str]] = {}
        self._remember(request_id)

    @classmethod
    def start(cls, department: str, actor: dict[str, str], request_id: str | None) -> Roster:
        return cls._create(
            cls.Started, id=roster_id(department), department=department, actor=actor, request_id=request_id
        )

    def enrol(self, branch: str, member_id: str, name: str, actor: dict[str, str], request_id: str | None) -> None:
        if self.answered(request_id) or self.branches.get(branch, {}).get(member_id) == name:
            return
        self._enrolled(branch=branch, member_id=member_id, name=name, actor=actor, request_id=request_id)

    @event("MemberEnrolled")
    def _enrolled(self, branch: str, member_id: str, name: str, actor: dict[str, str], request_id: str | None) -> None:
        self.branches.setdefault(branch, {})[member_id] = name
        self._remember(request_id)

    def member_name(self, branch: str, member_id: str) -> str | None:
        return self.branches.get(branch, {}).get(member_id)


class TaskBoard(VanguardAggregate):
    """A project's task board: its milestones, which task serves which, which are met."""

    @event("Opened")
    def __init__(
        self,
        department: str,
        branch: str,
        project_id: str,
        title: str,
        record_no: str,
        milestones: list[dict[str, Any]],
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.department = department
        self.branch = branch
        self.project_id = project_id
        self.title = title
        self.record_no = record_no
        self.milestones = milestones
        self.state = BoardState.OPEN.value
        self.tasks: dict[str, str] = {}  # task id -> milestone id
        self.met: dict[str, dict[str, Any]] = {}  # milestone id -> deliverable, met_on
        self._remember(request_id)

    @classmethod
    def open(
        cls,
        department: str,
        branch: str,
        project_id: str,
        title: str,
        record_no: str,
        milestones: list[dict[str, Any]],
        actor: dict[str, str],
        request_id: str | None,
    ) -> TaskBoard:
        return cls._create(
            cls.Opened,
            id=board_id(project_id),
            department=department,
            branch=branch,
            project_id=project_id,
            title=title,
            record_no=record_no,
            milestones=milestones,
            actor=actor,
            request_id=request_id,
        )

    def milestone(self, milestone_id: str) -> dict[str, Any]:
        for milestone in self.milestones:
            if milestone["id"] == milestone_id:
                return milestone
        ids = ", ".join(m["id"] for m in self.milestones)
        raise InvalidInput(f"the project has no milestone '{milestone_id}'; its milestones are: {ids}")

    def require_open(self) -> None:
        require(self.state == BoardState.OPEN, "the project was withdrawn: its task board is closed")

    def replan(self, milestones: list[dict[str, Any]], actor: dict[str, str], request_id: str | None) -> None:
        if self.answered(request_id):
            return
        self._replanned(project_id=self.project_id, milestones=milestones, actor=actor, request_id=request_id)

    @event("Replanned")
    def _replanned(
        self, project_id: str, milestones: list[dict[str, Any]], actor: dict[str, str], request_id: str | None
    ) -> None:
        self.milestones = milestones
        self._remember(request_id)

    def close(self, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        if self.answered(request_id) or self.state == BoardState.CLOSED:
            return
        self._closed(project_id=self.project_id, reason=reason, actor=actor, request_id=request_id)

    @event("Closed")
    def _closed(self, project_id: str, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        self.state = BoardState.CLOSED.value
        self._remember(request_id)

    def add_task(self, task_id: str, milestone_id: str, actor: dict[str, str], request_id: str | None) -> None:
        self.require_open()
        self.milestone(milestone_id)
        require(milestone_id not in self.met, f"milestone '{milestone_id}' is already met; it takes no new tasks")
        self._task_added(
            project_id=self.project_id, task_id=task_id, milestone_id=milestone_id, actor=actor, request_id=request_id
        )

    @event("TaskAdded")
    def _task_added(
        self, project_id: str, task_id: str, milestone_id: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.tasks[task_id] = milestone_id
        self._remember(request_id)

    def tasks_of(self, milestone_id: str) -> list[str]:
        return [t for t, m in self.tasks.items() if m == milestone_id]

    def declare_met(
        self,
        milestone_id: str,
        deliverable: dict[str, str],
        met_on: str,
        tasks: list[Task],
        actor: dict[str, str],
        request_id: str | None,
        today: dt.date | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """The secretary declares a milestone met with its deliverable; all its tasks must be done.

        `today` is the programme's date: a milestone is not met on a day still to come; `at` the
        programme time it is declared."""
        self.require_open()
        met = _date(met_on, "met_on")
        check(
            today is None or met <= today.isoformat(),
            f"met_on {met} is after the programme's today ({today}); give the day it was met",
        )
        self.milestone(milestone_id)
        require(milestone_id not in self.met, f"milestone '{milestone_id}' is already met")
        unfinished = [t.title for t in tasks if t.state == TaskState.OPEN]
        require(not unfinished, f"milestone '{milestone_id}' has unfinished tasks: {'、'.join(unfinished)}")
        self._milestone_met(
            project_id=self.project_id,
            milestone_id=milestone_id,
            deliverable={
                "title": _text(deliverable.get("title", ""), "deliverable title", MAX_TITLE),
                "link": _text(deliverable.get("link", ""), "deliverable link", 1000, required=False),
            },
            met_on=met,
            actor=actor,
            request_id=request_id,
            at=at.isoformat() if at is not None else None,
        )

    @event("MilestoneMet")
    def _milestone_met(
        self,
        project_id: str,
        milestone_id: str,
        deliverable: dict[str, str],
        met_on: str,
        actor: dict[str, str],
        request_id: str | None,
        at: str | None = None,  # the programme time it was declared (older events: when recorded)
    ) -> None:
        self.met[milestone_id] = {"deliverable": deliverable, "met_on": met_on}
        self._remember(request_id)


class Task(VanguardAggregate):
    """A task of a project, assigned to one named member (任务到人)."""

    @event("Created")
    def __init__(
        self,
        department: str,
        branch: str,
        project_id: str,
        milestone_id: str,
        title: str,
        description: str,
        due: str,
        assignee: str,
        assignee_name: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.department = department
        self.branch = branch
        self.project_id = project_id
        self.milestone_id = milestone_id
        self.title = title
        self.description = description
        self.due = due
        self.assignee = assignee
        self.assignee_name = assignee_name
        self.state = TaskState.OPEN.value
        self.percent = 0
        self.reports: list[dict[str, Any]] = []
        self._remember(request_id)

    @classmethod
    def create(
        cls,
        board: TaskBoard,
        task_id: UUID,
        title: str,
        description: str,
        due: str,
        milestone_id: str,
        assignee: str,
        assignee_name: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> Task:
        board.require_open()
        board.milestone(milestone_id)
        return cls._create(
            cls.Created,
            id=task_id,
            department=board.department,
            branch=board.branch,
            project_id=board.project_id,
            milestone_id=milestone_id,
            title=_text(title, "title", MAX_TITLE),
            description=_text(description, "description", required=False),
            due=_date(due, "due"),
            assignee=assignee,
            assignee_name=assignee_name,
            actor=actor,
            request_id=request_id,
        )

    def assign(self, assignee: str, assignee_name: str, actor: dict[str, str], request_id: str | None) -> None:
        require(self.state == TaskState.OPEN, f"only an open task can be reassigned; this one is {self.state}")
        check(assignee != self.assignee, f"the task is already assigned to {assignee}")
        self._assigned(
            project_id=self.project_id,
            milestone_id=self.milestone_id,
            assignee=assignee,
            assignee_name=assignee_name,
            actor=actor,
            request_id=request_id,
        )

    @event("Assigned")
    def _assigned(
        self,
        project_id: str,
        milestone_id: str,
        assignee: str,
        assignee_name: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.assignee, self.assignee_name = assignee, assignee_name
        self._remember(request_id)

    def report_progress(
        self, percent: int, note: str, evidence: list[dict[str, Any]], actor: dict[str, str], request_id: str | None
    ) -> None:
        require(
            self.state == TaskState.OPEN, f"progress can be reported on an open task only; this one is {self.state}"
        )
        check(0 <= percent <= 100, f"percent must be 0–100, not {percent}")
        check(len(evidence) <= MAX_EVIDENCE, f"at most {MAX_EVIDENCE} pieces of evidence per report")
        self._progress(
            project_id=self.project_id,
            milestone_id=self.milestone_id,
            percent=percent,
            note=_text(note, "note", required=False),
            evidence=evidence,
            actor=actor,
            request_id=request_id,
        )

    @event("ProgressReported")
    def _progress(
        self,
        project_id: str,
        milestone_id: str,
        percent: int,
        note: str,
        evidence: list[dict[str, Any]],
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.percent = percent
        self.reports.append({"percent": percent, "note": note, "evidence": evidence})
        self._remember(request_id)

    def complete(self, note: str, actor: dict[str, str], request_id: str | None) -> None:
        require(self.state == TaskState.OPEN, f"only an open task can be completed; this one is {self.state}")
        self._completed(
            project_id=self.project_id,
            milestone_id=self.milestone_id,
            note=_text(note, "note", required=False),
            actor=actor,
            request_id=request_id,
        )

    @event("Completed")
    def _completed(
        self, project_id: str, milestone_id: str, note: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.state = TaskState.DONE.value
        self.percent = 100
        self._remember(request_id)

    def reopen(self, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        require(self.state == TaskState.DONE, f"only a completed task can be reopened; this one is {self.state}")
        self._reopened(
            project_id=self.project_id,
            milestone_id=self.milestone_id,
            reason=_text(reason, "reason"),
            actor=actor,
            request_id=request_id,
        )

    @event("Reopened")
    def _reopened(
        self, project_id: str, milestone_id: str, reason: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.state = TaskState.OPEN.value
        self._remember(request_id)

    def cancel(self, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        require(self.state != TaskState.CANCELLED, "the task is already cancelled")
        self._cancelled(
            project_id=self.project_id,
            milestone_id=self.milestone_id,
            reason=_text(reason, "reason"),
            actor=actor,
            request_id=request_id,
        )

    @event("Cancelled")
    def _cancelled(
        self, project_id: str, milestone_id: str, reason: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.state = TaskState.CANCELLED.value
        self._remember(request_id)


def rollup(board: TaskBoard, tasks: list[Task]) -> list[dict[str, Any]]:
    """Progress per milestone: tasks done of those not cancelled, and their mean percent."""
    out = []
    for milestone in board.milestones:
        mine = [t for t in tasks if t.milestone_id == milestone["id"] and t.state != TaskState.CANCELLED]
        out.append(
            {
                **milestone,
                "met": board.met.get(milestone["id"]),
                "tasks": len(mine),
                "done": sum(1 for t in mine if t.state == TaskState.DONE),
                "percent": round(sum(t.percent for t in mine) / len(mine)) if mine else 0,
            }
        )
    return out
