"""InspectionApplication: 节点督查 commands and queries, plain types in and out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.inspection.domain import Supervision, supervision_id
from services.inspection.vocabulary import DeadlineKind
from shared.application import VanguardApplication, secretary
from shared.auth import Principal, Role
from shared.clock import Clock
from shared.errors import Awaiting, Forbidden, NotFound, StaleVersion
from shared.index import LiveIndex

SCHEDULER = {"id": "inspection-scheduler", "role": "system"}
_CONFLICT_RETRIES = 5


class InspectionApplication(VanguardApplication):
    """One inspection instance for all departments (the organs' work committee, 机关工委)."""

    name = "inspection"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        due_soon_days: int = 7,
        timezone: str = "Asia/Shanghai",
        clock: Clock | str = "system",
        clock_dsn: str = "",
    ) -> None:
        super().__init__(env, clock=clock, clock_dsn=clock_dsn, timezone=timezone)
        self.due_soon_days = due_soon_days
        self.index = LiveIndex(self)

    # -- what other services' events ask for ---------------------------------------------------

    def schedule(
        self,
        department: str,
        branch: str | None,
        project_id: str,
        record_no: str,
        title: str,
        milestones: list[dict[str, Any]],
        actor: dict[str, str],
        request_id: str,
    ) -> Supervision:
        existing = self.find_supervision(project_id)
        if existing is not None:
            return existing
        supervision = Supervision.schedule(
            department, branch, project_id, record_no, title, milestones, self.now(), actor, request_id
        )
        return self.create(Supervision, supervision)

    def replan(self, project_id: str, milestones: list[dict[str, Any]], actor: dict[str, str], request_id: str) -> bool:
        return self._system(
            project_id, request_id, lambda s: s.replan(milestones, self.now(), actor, request_id), missing_ok=True
        )

    def close_supervision(self, project_id: str, reason: str, actor: dict[str, str], request_id: str) -> bool:
        return self._system(project_id, request_id, lambda s: s.close(reason, actor, request_id), missing_ok=True)

    def milestone_met(
        self,
        project_id: str,
        milestone_id: str,
        met_on: str,
        deliverable: dict[str, str] | str,
        actor: dict[str, str],
        request_id: str,
    ) -> bool:
        return self._system(
            project_id,
            request_id,
            lambda s: (
                self._known(s, milestone_id)
                and s.milestone_met(milestone_id, met_on, deliverable, self.now(), actor, request_id)
            ),
        )

    def progress_reported(
        self,
        project_id: str,
        milestone_id: str,
        task_id: str,
        percent: int,
        note: str,
        actor: dict[str, str],
        request_id: str,
    ) -> bool:
        return self._system(
            project_id,
            request_id,
            lambda s: (
                self._known(s, milestone_id)
                and s.progress_reported(milestone_id, task_id, percent, note, self.now(), actor, request_id)
            ),
        )

    # -- what the scheduler raises -------------------------------------------------------------

    def raise_deadline(self, kind: str, supervision: UUID, ref: str, now: dt.datetime, request_id: str) -> bool:
        """Raise the warning whose deadline passed at `now`; False if it no longer applies."""
        now = now.astimezone(self.tz)
        acts: dict[str, Callable[[Supervision], bool]] = {
            DeadlineKind.DUE_SOON: lambda s: s.raise_due_soon(ref, self.due_soon_days, now, SCHEDULER, request_id),
            DeadlineKind.MILESTONE_OVERDUE: lambda s: s.raise_milestone_overdue(ref, now, SCHEDULER, request_id),
            DeadlineKind.RECTIFICATION_OVERDUE: lambda s: s.raise_rectification_overdue(
                ref, now, SCHEDULER, request_id
            ),
        }
        # The supervision's own flags make a raise idempotent; the request id only labels the event
        # (a due date planned away and back again must warn again under the same deadline's id).
        return self._system(supervision, request_id, acts[DeadlineKind(kind)], missing_ok=True, once=False)

    # -- what inspectors and branches do ---------------------------------------------------------

    def record_inspection(
        self,
        who: Principal,
        project_id: str,
        expected_version: int,
        milestone_id: str,
        rating: str,
        findings: str,
        rectification: dict[str, Any] | None,
        request_id: str | None,
    ) -> Supervision:
        return self._update(
            project_id,
            expected_version,
            request_id,
            self._inspector(who),
            lambda s: s.record_inspection(
                milestone_id, rating, findings, rectification, self.now(), who.as_actor(), request_id
            ),
        )

    def answer_rectification(
        self, who: Principal, project_id: str, order_id: str, expected_version: int, answer: str, request_id: str | None
    ) -> Supervision:
        return self._update(
            project_id,
            expected_version,
            request_id,
            secretary(who),
            lambda s: s.answer_rectification(order_id, answer, self.now(), who.as_actor(), request_id),
        )

    def verify_rectification(
        self, who: Principal, project_id: str, order_id: str, expected_version: int, request_id: str | None
    ) -> Supervision:
        return self._update(
            project_id,
            expected_version,
            request_id,
            self._inspector(who),
            lambda s: s.verify_rectification(order_id, self.now(), who.as_actor(), request_id),
        )

    def reject_rectification(
        self, who: Principal, project_id: str, order_id: str, expected_version: int, reason: str, request_id: str | None
    ) -> Supervision:
        return self._update(
            project_id,
            expected_version,
            request_id,
            self._inspector(who),
            lambda s: s.reject_rectification(order_id, reason, self.now(), who.as_actor(), request_id),
        )

    # -- queries --------------------------------------------------------------------------

    def find_supervision(self, project_id: UUID | str) -> Supervision | None:
        return self.find(Supervision, supervision_id(project_id))

    def get_supervision(self, project_id: UUID | str) -> Supervision:
        found = self.find_supervision(project_id)
        if found is None:
            raise NotFound(
                f"no supervision of project {project_id}: it has not been approved (立项备案), "
                "or its approval has not reached inspection yet"
            )
        return found

    def read_supervision(self, who: Principal, project_id: str) -> Supervision:
        supervision = self.get_supervision(project_id)
        if not can_read(who, supervision):
            raise Forbidden("you may not read this project's supervision")
        return supervision

    def supervisions(self, who: Principal, *, include_closed: bool = False, **criteria: Any) -> list[Supervision]:
        """Supervisions you may read, whose attributes equal every criterion that is not None."""
        if not include_closed:
            criteria["closed"] = False
        found = self.index.select(Supervision, **criteria)
        return [s for s in found if isinstance(s, Supervision) and can_read(who, s)]

    # -- the mechanics every command shares ---------------------------------------------------

    @staticmethod
    def _inspector(who: Principal) -> Callable[[Supervision], None]:
        def authorise(_: Supervision) -> None:
            who.require_role(Role.INSPECTOR)

        return authorise

    @staticmethod
    def _known(supervision: Supervision, milestone_id: str) -> bool:
        # Milestone ids are never reused: one never heard of belongs to a plan still on its way.
        if milestone_id not in supervision.known_milestones and not supervision.closed:
            raise Awaiting(f"milestone:{supervision.project_id}:{milestone_id}")
        return True

    def _system(
        self,
        key: UUID | str,
        request_id: str,
        act: Callable[[Supervision], bool],
        *,
        missing_ok: bool = False,
        once: bool = True,
    ) -> bool:
        """A command no person sent: no expected version; a concurrent write is simply retried.
        `key` is a supervision's id (UUID) or its project's id (str)."""
        for _ in range(_CONFLICT_RETRIES):
            supervision = self.find(Supervision, key) if isinstance(key, UUID) else self.find_supervision(key)
            if supervision is None:
                if missing_ok:
                    return False
                raise Awaiting(f"project:{key}")
            if once and supervision.answered(request_id):
                return False
            if not act(supervision):
                return False
            try:
                self.record(supervision)
            except IntegrityError:
                continue
            return True
        raise StaleVersion(f"supervision {key} kept changing; gave up after {_CONFLICT_RETRIES} tries")

    def _update(
        self,
        project_id: str,
        expected_version: int,
        request_id: str | None,
        authorise: Callable[[Supervision], None],
        act: Callable[[Supervision], object],
    ) -> Supervision:
        self.get_supervision(project_id)  # a 404 that names the project, not the derived id
        return self.update(Supervision, supervision_id(project_id), expected_version, request_id, authorise, act)


def can_read(who: Principal, supervision: Supervision) -> bool:
    return who.may_read(supervision.department, supervision.branch)
