"""TaskingApplication: 任务到人 commands and queries, plain types in and out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from services.tasking.domain import Roster, Task, TaskBoard, board_id, rollup, roster_id
from shared.application import VanguardApplication, secretary
from shared.auth import Principal, Role
from shared.domain import VanguardAggregate, derived_id
from shared.errors import Busy, Forbidden, InvalidInput, InvalidTransition, NotFound
from shared.index import LiveIndex


class TaskingApplication(VanguardApplication):
    name = "tasking"

    def __init__(
        self, env: Mapping[str, str] | None = None, departments: frozenset[str] = frozenset(), **clock: Any
    ) -> None:
        super().__init__(env, departments, **clock)  # clock, clock_dsn, timezone: the programme's
        self.index = LiveIndex(self)

    # -- what filing's events cause (request id: the upstream event's id) ----------------------

    def open_board(
        self,
        department: str,
        branch: str,
        project_id: str,
        title: str,
        record_no: str,
        milestones: list[dict[str, Any]],
        actor: dict[str, str],
        request_id: str,
    ) -> None:
        if self.find(TaskBoard, board_id(project_id)) is None:
            board = TaskBoard.open(department, branch, project_id, title, record_no, milestones, actor, request_id)
            self.create(TaskBoard, board)

    def replan_board(
        self, project_id: str, milestones: list[dict[str, Any]], actor: dict[str, str], request_id: str
    ) -> None:
        board = self.get(TaskBoard, board_id(project_id))
        board.replan(milestones, actor, request_id)
        self.record(board)

    def close_board(self, project_id: str, reason: str, actor: dict[str, str], request_id: str) -> None:
        board = self.find(TaskBoard, board_id(project_id))
        if board is not None:  # a project withdrawn before approval never had a board
            board.close(reason, actor, request_id)
            self.record(board)

    def enrol_member(
        self, department: str, branch: str, member_id: str, name: str, actor: dict[str, str], request_id: str
    ) -> None:
        roster = self.find(Roster, roster_id(department))
        if roster is None:
            roster = Roster.start(department, actor, None)
        roster.enrol(branch, member_id, name, actor, request_id)
        self.record(roster)

    # -- 任务到人 -------------------------------------------------------------------------------

    def create_task(
        self,
        who: Principal,
        project_id: UUID,
        title: str,
        description: str,
        due: str,
        milestone_id: str,
        assignee: str,
        request_id: str | None,
    ) -> Task:
        self.served(who.department)
        board = self._board(project_id)
        self.served(board.department)
        secretary(who)(board)
        task_id = derived_id("task", str(project_id), request_id) if request_id else None
        if task_id and (existing := self.find(Task, task_id)):
            return existing
        name = self._member_name(board, assignee)
        for _ in range(5):  # the board only counts tasks: a concurrent change to it is retried
            task = Task.create(
                board,
                task_id or uuid4(),
                title,
                description,
                due,
                milestone_id,
                assignee,
                name,
                who.as_actor(),
                request_id,
            )
            board.add_task(str(task.id), milestone_id, who.as_actor(), request_id)
            try:
                self.record(task, board)
                return task
            except IntegrityError:
                if task_id and (existing := self.find(Task, task_id)):
                    return existing
                board = self._board(project_id)
        raise Busy("the task board changed five times while this task was added; send it again")

    def assign_task(
        self, who: Principal, task_id: UUID, expected_version: int, assignee: str, request_id: str | None
    ) -> Task:
        def act(task: Task) -> None:
            board = self._board(UUID(task.project_id))
            board.require_open()
            task.assign(assignee, self._member_name(board, assignee), who.as_actor(), request_id)

        return self.update(Task, task_id, expected_version, request_id, secretary(who), act)

    def report_progress(
        self,
        who: Principal,
        task_id: UUID,
        expected_version: int,
        percent: int,
        note: str,
        evidence: list[dict[str, Any]],
        request_id: str | None,
    ) -> Task:
        return self.update(
            Task,
            task_id,
            expected_version,
            request_id,
            self._assignee(who),
            lambda t: self._open(t) and t.report_progress(percent, note, evidence, who.as_actor(), request_id),
        )

    def complete_task(
        self, who: Principal, task_id: UUID, expected_version: int, note: str, request_id: str | None
    ) -> Task:
        return self.update(
            Task,
            task_id,
            expected_version,
            request_id,
            self._assignee(who),
            lambda t: self._open(t) and t.complete(note, who.as_actor(), request_id),
        )

    def reopen_task(
        self, who: Principal, task_id: UUID, expected_version: int, reason: str, request_id: str | None
    ) -> Task:
        return self.update(
            Task,
            task_id,
            expected_version,
            request_id,
            secretary(who),
            lambda t: self._unmet(t) and t.reopen(reason, who.as_actor(), request_id),
        )

    def cancel_task(
        self, who: Principal, task_id: UUID, expected_version: int, reason: str, request_id: str | None
    ) -> Task:
        return self.update(
            Task,
            task_id,
            expected_version,
            request_id,
            secretary(who),
            lambda t: self._unmet(t) and t.cancel(reason, who.as_actor(), request_id),
        )

    def declare_milestone_met(
        self,
        who: Principal,
        project_id: UUID,
        milestone_id: str,
        expected_version: int,
        deliverable: dict[str, str],
        met_on: str,
        request_id: str | None,
    ) -> TaskBoard:
        def act(board: TaskBoard) -> None:
            tasks = [self.get(Task, UUID(t)) for t in board.tasks_of(milestone_id)]
            now = self.now()
            board.declare_met(milestone_id, deliverable, met_on, tasks, who.as_actor(), request_id, now.date(), now)

        self._board(project_id)  # a project without a board: "not approved", not a bare 404
        return self.update(TaskBoard, board_id(str(project_id)), expected_version, request_id, secretary(who), act)

    # -- queries ----------------------------------------------------------------------------------

    def board_view(self, who: Principal, project_id: UUID) -> tuple[TaskBoard, list[Task], list[dict[str, Any]]]:
        board = self._board(project_id)
        if not who.may_read(board.department, board.branch):
            raise Forbidden("you may not read this project's task board")
        tasks = [self.get(Task, UUID(t)) for t in board.tasks]
        return board, tasks, rollup(board, tasks)

    def responsibilities(self, who: Principal, member_id: str) -> list[Task]:
        """责任清单: a member's tasks across projects (the member, or who may read their branch)."""
        tasks = [t for t in self.index.select(Task, assignee=member_id) if isinstance(t, Task)]
        if who.role == Role.MEMBER and who.subject != member_id:
            raise Forbidden("a member sees their own responsibility list only")
        return [t for t in tasks if who.may_read(t.department, t.branch)]

    # -- mechanics ----------------------------------------------------------------------------

    def _board(self, project_id: UUID) -> TaskBoard:
        board = self.find(TaskBoard, board_id(str(project_id)))
        if board is None:
            raise NotFound(
                f"project {project_id} has no task board: it is not approved (备案) yet, "
                "or its approval has not reached tasking"
            )
        return board

    def _open(self, task: Task) -> bool:
        self._board(UUID(task.project_id)).require_open()
        return True

    def _unmet(self, task: Task) -> bool:
        """A task of a milestone already met stays as it was: the milestone was declared on it."""
        board = self._board(UUID(task.project_id))
        board.require_open()
        if task.milestone_id in board.met:
            raise InvalidTransition(f"milestone '{task.milestone_id}' is already met; its tasks can no longer change")
        return True

    def _member_name(self, board: TaskBoard, member_id: str) -> str:
        roster = self.find(Roster, roster_id(board.department))
        name = roster.member_name(str(board.branch), member_id) if roster else None
        if name is None:
            raise InvalidInput(f"'{member_id}' is not a registered member of branch {board.branch}")
        return name

    @staticmethod
    def _assignee(who: Principal) -> Callable[[VanguardAggregate], None]:
        """The member the task is assigned to: member ids are unique within a branch only, so the
        token's department and branch must be the task's as well as its subject the assignee."""

        def authorise(task: VanguardAggregate) -> None:
            who.require_role(Role.MEMBER)
            if who.subject != getattr(task, "assignee", None):
                raise Forbidden(
                    f"this task is assigned to {getattr(task, 'assignee', '?')}, not to you "
                    f"({who.subject}); members act on their own tasks only"
                )
            if (who.department, who.branch) != (task.department, task.branch):
                raise Forbidden(
                    f"this task belongs to branch {task.branch} of department {task.department}; your token is "
                    f"for {scope_of(who)}: members act only on tasks of their own branch"
                )

        return authorise


def scope_of(who: Principal) -> str:
    """What a token is scoped to, in words."""
    if not who.department:
        return "no department"
    if not who.branch:
        return f"department {who.department}, no branch"
    return f"branch {who.branch} of department {who.department}"
