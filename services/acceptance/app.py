"""AcceptanceApplication: 公开验收 commands and queries, plain types in and out.

One instance serves every department. Commands run on the programme's clock (system, or manual
for demonstrations and tests); a notice whose period has ended is sealed lazily by the next
command on it, in the same save, and by the sealer beside the consumer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.acceptance.domain import Acceptance, acceptance_id
from services.acceptance.roster import Roster, roster_id
from services.acceptance.rubric import Rubric, Rubrics
from services.acceptance.vocabulary import AcceptanceState
from shared.application import VanguardApplication, secretary, stale
from shared.auth import Principal, Role
from shared.clock import Clock
from shared.errors import Awaiting, Forbidden, InvalidInput, InvalidTransition, NotFound, StaleVersion, VanguardError
from shared.index import LiveIndex

SEALER = {"id": "acceptance-sealer", "role": "system"}
PUBLIC = {"id": "public", "role": "public"}
_RETRIES = 5
T = TypeVar("T")


class AcceptanceApplication(VanguardApplication):
    name = "acceptance"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        rubrics: Rubrics | None = None,
        notice_working_days: int = 5,
        holidays: Iterable[dt.date] = (),
        organisers: Iterable[str] = (),
        timezone: str = "Asia/Shanghai",
        clock: Clock | str = "system",
        clock_dsn: str = "",
    ) -> None:
        super().__init__(env, clock=clock, clock_dsn=clock_dsn, timezone=timezone)
        self.rubrics = rubrics or Rubrics()
        self.notice_working_days = notice_working_days
        self.holidays = frozenset(holidays)
        self.organisers = frozenset(organisers)
        self.index = LiveIndex(self)

    # -- what filing, tasking and inspection report (request id: the upstream event's id) ---------

    def file_project(
        self,
        department: str,
        branch: str,
        project_id: str,
        topic_id: str,
        year: int,
        direction: str,
        title: str,
        goal: str,
        targets: list[str],
        responsible: dict[str, str],
        actor: dict[str, str],
        request_id: str,
    ) -> None:
        if self.find(Acceptance, acceptance_id(project_id)) is None:
            self.create(
                Acceptance,
                Acceptance.file(
                    department,
                    branch,
                    project_id,
                    topic_id,
                    year,
                    direction,
                    title,
                    goal,
                    targets,
                    responsible,
                    actor,
                    request_id,
                ),
            )

    def revise_dossier(self, project_id: str, changes: dict[str, Any], actor: dict[str, str], request_id: str) -> None:
        self._system(project_id, request_id, lambda a: a.revise_dossier(changes, actor, request_id))

    def approve_project(
        self,
        project_id: str,
        record_no: str,
        title: str,
        milestones: list[dict[str, Any]],
        actor: dict[str, str],
        request_id: str,
    ) -> None:
        self._system(project_id, request_id, lambda a: a.approve(record_no, title, milestones, actor, request_id))

    def replan(self, project_id: str, milestones: list[dict[str, Any]], actor: dict[str, str], request_id: str) -> None:
        self._system(project_id, request_id, lambda a: a.replan(milestones, actor, request_id))

    def withdraw_project(self, project_id: str, reason: str, actor: dict[str, str], request_id: str) -> None:
        self._system(project_id, request_id, lambda a: a.withdraw(reason, actor, request_id))

    def milestone_met(
        self,
        project_id: str,
        milestone_id: str,
        met_on: str,
        deliverable: dict[str, Any],
        actor: dict[str, str],
        request_id: str,
    ) -> None:
        def act(a: Acceptance) -> bool:
            self._approved(a)
            if milestone_id not in a.known_milestones:  # ids are never reused: its plan is on its way
                raise Awaiting(f"milestone:{project_id}:{milestone_id}")
            return a.milestone_met(milestone_id, met_on, deliverable, actor, request_id)

        self._system(project_id, request_id, act)

    def rectification_ordered(
        self, project_id: str, order_id: str, milestone_id: str, deadline: str, actor: dict[str, str], request_id: str
    ) -> None:
        self._system(
            project_id,
            request_id,
            lambda a: (
                self._approved(a) and a.rectification_ordered(order_id, milestone_id, deadline, actor, request_id)
            ),
        )

    def rectification_verified(self, project_id: str, order_id: str, actor: dict[str, str], request_id: str) -> None:
        self._system(
            project_id,
            request_id,
            lambda a: self._approved(a) and a.rectification_verified(order_id, actor, request_id),
        )

    def register_department(self, department: str, name: str, actor: dict[str, str], request_id: str) -> None:
        if self.find(Roster, roster_id(department)) is None:
            self.create(Roster, Roster.start(department, name, actor, request_id))

    def enrol_branch(
        self,
        department: str,
        code: str,
        name: str,
        secretary_id: str,
        secretary_name: str,
        actor: dict[str, str],
        request_id: str,
    ) -> None:
        roster = self._roster(department, actor)
        if roster.enrol_branch(code, name, secretary_id, secretary_name, actor, request_id):
            self.record(roster)

    def enrol_member(
        self, department: str, branch: str, member_id: str, name: str, actor: dict[str, str], request_id: str
    ) -> None:
        roster = self._roster(department, actor)
        if roster.enrol_member(branch, member_id, name, actor, request_id):
            self.record(roster)

    # -- 申请验收 and 公示 -------------------------------------------------------------------------

    def apply(
        self,
        who: Principal,
        project_id: UUID,
        expected_version: int,
        summary: str,
        outcomes: list[dict[str, str]],
        evidence: list[dict[str, str]],
        request_id: str | None,
    ) -> Acceptance:
        return self._command(
            project_id,
            expected_version,
            request_id,
            secretary(who),
            lambda a, now: a.apply(summary, outcomes, evidence, now, who.as_actor(), request_id),
        )

    def open_notice(
        self, who: Principal, project_id: UUID, expected_version: int, working_days: int | None, request_id: str | None
    ) -> Acceptance:
        return self._command(
            project_id,
            expected_version,
            request_id,
            self._organiser(who),
            lambda a, now: a.open_notice(
                now, working_days or self.notice_working_days, self.holidays, who.as_actor(), request_id
            ),
        )

    def close_notice(self, who: Principal, project_id: UUID, request_id: str | None) -> Acceptance:
        """Seal the notice whose period has ended (the sealer does it anyway; this asks for it now)."""

        def act(a: Acceptance, now: dt.datetime) -> None:
            if a.state == AcceptanceState.IN_NOTICE:
                raise InvalidTransition(
                    f"the public notice runs until {a.notice and a.notice['closes_at']}; "
                    "it cannot be closed before it has run its period"
                )
            if a.state != AcceptanceState.NOTICE_CLOSED:
                raise InvalidTransition(f"there is no public notice to close (the acceptance is {a.state})")

        return self._command(project_id, None, request_id, self._organiser(who), act)

    def give_feedback(
        self, project_id: UUID, kind: str, text: str, name: str, request_id: str | None
    ) -> tuple[Acceptance, dict[str, Any]]:
        """公众意见: anyone, without an account, during the notice period."""
        given: list[dict[str, Any]] = []
        acceptance = self._command(
            project_id,
            None,
            request_id,
            lambda _: None,
            lambda a, now: given.append(a.give_feedback(kind, text, name, now, PUBLIC, request_id)),
        )
        item = given[0] if given else acceptance.feedback_for(request_id)
        assert item is not None
        return acceptance, item

    def answer_objection(
        self,
        who: Principal,
        project_id: UUID,
        feedback_id: str,
        expected_version: int,
        answer: str,
        request_id: str | None,
    ) -> Acceptance:
        return self._command(
            project_id,
            expected_version,
            request_id,
            secretary(who),
            lambda a, now: a.answer_objection(feedback_id, answer, now, who.as_actor(), request_id),
        )

    def seal_due_notices(self) -> int:
        """Seal every notice whose period has ended; returns how many it sealed."""
        now, sealed = self.now(), 0
        for found in self.index.select(Acceptance, state=AcceptanceState.IN_NOTICE.value):
            if isinstance(found, Acceptance) and not found.notice_running(now):
                sealed += self._system(
                    found.project_id, None, lambda a: a.close_notice(now, SEALER, f"seal:{a.project_id}"), seal=False
                )
        return sealed

    # -- the panel, its scores, the grade, honours ----------------------------------------------

    def appoint_panel(
        self,
        who: Principal,
        project_id: UUID,
        expected_version: int,
        members: list[dict[str, Any]],
        request_id: str | None,
    ) -> Acceptance:
        resolved = [self._affiliated(m) for m in members]
        return self._command(
            project_id,
            expected_version,
            request_id,
            self._organiser(who),
            lambda a, now: a.appoint_panel(resolved, self.rubrics.current, who.as_actor(), request_id),
        )

    def score(
        self, who: Principal, project_id: UUID, scores: dict[str, int], comment: str, request_id: str | None
    ) -> Acceptance:
        def panelist(a: Acceptance) -> None:
            who.require_role(Role.PANELIST)
            if a.panelist(who.subject) is None:
                on_panel = ", ".join(f"{m['name']} ({m['id']})" for m in a.panel) or "nobody yet"
                raise Forbidden(
                    f"you ({who.subject}) are not on this project's panel; only its panelists score: {on_panel}"
                )
            if self.of_own_branch(who, a):
                raise Forbidden(
                    f"conflict of interest (回避): you ({who.subject}) belong to branch {a.branch} of "
                    f"{a.department}, the project's own branch; you may not score it"
                )

        return self._command(
            project_id,
            None,
            request_id,
            panelist,
            lambda a, now: a.score(who.subject, scores, comment, self._rubric(a), now, who.as_actor(), request_id),
        )

    def conclude(self, who: Principal, project_id: UUID, expected_version: int, request_id: str | None) -> Acceptance:
        return self._command(
            project_id,
            expected_version,
            request_id,
            self._organiser(who),
            lambda a, now: a.conclude(self._rubric(a), now, who.as_actor(), request_id),
        )

    def select_for_casebook(
        self, who: Principal, project_id: UUID, expected_version: int, request_id: str | None
    ) -> Acceptance:
        return self._command(
            project_id,
            expected_version,
            request_id,
            self._organiser(who),
            lambda a, now: a.select_for_casebook(who.as_actor(), request_id),
        )

    def designate_brand(
        self, who: Principal, project_id: UUID, expected_version: int, name: str, request_id: str | None
    ) -> Acceptance:
        return self._command(
            project_id,
            expected_version,
            request_id,
            self._organiser(who),
            lambda a, now: a.designate_brand(name, who.as_actor(), request_id),
        )

    def record_commendation(
        self,
        who: Principal,
        project_id: UUID,
        expected_version: int,
        level: str,
        issuer: str,
        title: str,
        awarded_on: str,
        request_id: str | None,
    ) -> Acceptance:
        return self._command(
            project_id,
            expected_version,
            request_id,
            self._organiser(who),
            lambda a, now: a.record_commendation(
                level, issuer, title, awarded_on, who.as_actor(), request_id, now.date()
            ),
        )

    # -- queries --------------------------------------------------------------------------

    def acceptance(self, project_id: UUID | str) -> Acceptance:
        found = self.find(Acceptance, acceptance_id(project_id))
        if found is None:
            raise NotFound(
                f"no acceptance record of project {project_id}: it was never filed, or its filing "
                "has not reached the acceptance service yet"
            )
        return found

    def read_acceptance(self, who: Principal, project_id: UUID) -> Acceptance:
        acceptance = self.acceptance(project_id)
        refusal = self.refusal(who, acceptance)
        if refusal:
            raise Forbidden(refusal)
        return acceptance

    def refusal(self, who: Principal, acceptance: Acceptance) -> str | None:
        """Why `who` may not read this acceptance, or None when they may: a panelist reads the
        acceptances of their own panels, an organiser applications (what they organise)."""
        if who.role != Role.PANELIST:
            if who.may_read(acceptance.department, acceptance.branch):
                return None
            return "you may not read this project's acceptance"
        if who.subject in self.organisers:
            if acceptance.application is not None:
                return None
            return (
                f"project {acceptance.project_id} has not applied for acceptance (it is {acceptance.state}); "
                "organisers read applications only"
            )
        if acceptance.panelist(who.subject) is None:
            return (
                f"you ({who.subject}) are not on this project's panel; "
                "a panelist reads the acceptances of their own panels only"
            )
        return None

    def of_own_branch(self, who: Principal, acceptance: Acceptance) -> bool:
        """回避: whether a panelist belongs to the project's own branch, by their token or by the registry."""
        if who.role != Role.PANELIST:
            return False
        department, branch = acceptance.department, str(acceptance.branch)
        if (who.department, who.branch) == (department, branch):
            return True
        if who.department not in (None, department):  # member ids are unique within a department only
            return False
        roster = self.find(Roster, roster_id(department))
        return roster is not None and roster.belongs(branch, who.subject)

    def recusal(self, who: Principal, acceptance: Acceptance) -> str | None:
        """Why a panelist of the project's own branch is not shown its scores; None for everyone else."""
        if not self.of_own_branch(who, acceptance):
            return None
        return (
            f"回避: you belong to branch {acceptance.branch} of {acceptance.department}, the project's own branch; "
            "its scores are not shown to you"
        )

    def public_notice(self, project_id: UUID) -> Acceptance:
        """A notice is public from the moment it opens; before that, nothing is."""
        acceptance = self.find(Acceptance, acceptance_id(project_id))
        if acceptance is None or acceptance.notice is None:
            raise NotFound(f"no public notice (公示) for project {project_id}")
        return acceptance

    def select(self, **criteria: Any) -> list[Acceptance]:
        found = [a for a in self.index.select(Acceptance, **criteria) if isinstance(a, Acceptance)]
        return sorted(found, key=lambda a: (a.year, a.department, a.branch, a.title))

    def readable(self, who: Principal, **criteria: Any) -> list[Acceptance]:
        return [a for a in self.select(**criteria) if self.refusal(who, a) is None]

    def names(self) -> dict[str, Roster]:
        """Each department's roster by department code: names of departments and branches."""
        return {r.department: r for r in self.index.select(Roster) if isinstance(r, Roster)}

    # -- mechanics ----------------------------------------------------------------------------

    def _organiser(self, who: Principal) -> Callable[[Acceptance], None]:
        """A panel organiser: an admin, or a panelist whose subject is configured (VANGUARD_ORGANISERS)."""

        def authorise(_: Acceptance) -> None:
            who.require_role(Role.PANELIST, Role.ADMIN)
            if who.role == Role.PANELIST and who.subject not in self.organisers:
                raise Forbidden(
                    f"only a panel organiser may do this; {who.subject} is a panelist but not an "
                    "organiser (organisers: admins, and the panelists named in VANGUARD_ORGANISERS)"
                )

        return authorise

    def _rubric(self, acceptance: Acceptance) -> Rubric:
        return self.rubrics.get(acceptance.rubric or self.rubrics.current)

    @staticmethod
    def _approved(acceptance: Acceptance) -> bool:
        if acceptance.state == AcceptanceState.FILED:
            raise Awaiting(f"approval:{acceptance.project_id}")
        return True

    def _roster(self, department: str, actor: dict[str, str]) -> Roster:
        roster = self.find(Roster, roster_id(department))
        if roster is None:
            self.register_department(department, department, actor, f"start:{department}")
            roster = self.get(Roster, roster_id(department))
        return roster

    def _affiliated(self, member: dict[str, Any]) -> dict[str, str]:
        """A panelist with their department and branch: the registry's, if it knows them."""
        given_department, given_branch = member.get("department") or "", member.get("branch") or ""
        for roster in self.names().values():
            found = roster.affiliation(member["id"])
            if found is None:
                continue
            branch, name = found
            if (given_department, given_branch) not in (("", ""), (roster.department, branch)):
                raise InvalidInput(
                    f"{member['id']} is registered in branch {branch} of {roster.department}, "
                    f"not {given_branch or '-'} of {given_department or '-'}"
                )
            return {
                "id": member["id"],
                "name": member.get("name") or name,
                "department": roster.department,
                "branch": branch,
            }
        return {"id": member["id"], "name": member["name"], "department": given_department, "branch": given_branch}

    def _system(
        self, project_id: str, request_id: str | None, act: Callable[[Acceptance], bool], *, seal: bool = True
    ) -> int:
        """A command no person sent: no expected version; a concurrent write is simply retried."""
        for _ in range(_RETRIES):
            acceptance = self.find(Acceptance, acceptance_id(project_id))
            if acceptance is None:
                raise Awaiting(f"project:{project_id}")
            if acceptance.answered(request_id):
                return 0
            if seal:  # a notice past its period is sealed before anything else reaches it
                acceptance.close_notice(self.now(), SEALER, f"seal:{project_id}")
            if not act(acceptance) and not acceptance.pending_events:
                return 0
            try:
                self.record(acceptance)
            except IntegrityError:
                continue
            return 1
        raise StaleVersion(f"the acceptance of project {project_id} kept changing; gave up after {_RETRIES} tries")

    def _command(
        self,
        project_id: UUID,
        expected_version: int | None,
        request_id: str | None,
        authorise: Callable[[Acceptance], None],
        act: Callable[[Acceptance, dt.datetime], object],
    ) -> Acceptance:
        """Load, authorise, check the expected version, seal a notice past its period, act, save.

        The seal is saved with the command, or alone when the command is refused. Commands without
        an expected version (feedback, scores) add to the record and are retried on a concurrent write.
        """
        for _ in range(_RETRIES):
            acceptance = self.acceptance(project_id)
            authorise(acceptance)
            if acceptance.answered(request_id):
                return acceptance
            if expected_version is not None and acceptance.version != expected_version:
                raise stale(expected_version, acceptance.version)
            now = self.now()
            sealed = acceptance.close_notice(now, SEALER, f"seal:{project_id}")
            try:
                act(acceptance, now)
            except VanguardError:
                if sealed:
                    self._record_quietly(acceptance)
                raise
            try:
                self.record(acceptance)
            except IntegrityError:
                if expected_version is None:
                    continue
                fresh = self.acceptance(project_id)
                if fresh.answered(request_id):
                    return fresh
                raise stale(expected_version, fresh.version) from None
            return acceptance
        raise StaleVersion(f"the acceptance of project {project_id} is too busy; try again")

    def _record_quietly(self, acceptance: Acceptance) -> None:
        with contextlib.suppress(IntegrityError):  # someone else saved first (and sealed it too)
            self.record(acceptance)
