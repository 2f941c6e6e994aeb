"""公开验收: a project's public acceptance — its application, the public notice (公示) and the public's
feedback, the panel's scores against a rubric, the grade, the casebook, brand and commendations.

Pure domain: no I/O and no clock. Commands take `now` (an aware datetime in the programme's
timezone), check the rules, then trigger events whose methods only change state. What other
services report (approval, the milestone plan, milestones met, rectifications) arrives as
commands that answer False when they no longer apply, instead of failing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from services.acceptance.rubric import Rubric
from services.acceptance.vocabulary import GRADE_LABELS, AcceptanceState, CommendationLevel, FeedbackKind, Grade
from shared.domain import VanguardAggregate, check, derived_id, iso_date, require, text
from shared.errors import InvalidInput, NotFound

MAX_TITLE = 200
MAX_TEXT = 5_000
MAX_FEEDBACK = 500
MAX_NAME = 50
MAX_ITEMS = 50
MIN_PANEL = 3
MAX_PANEL = 15
S = AcceptanceState
_BEFORE_NOTICE = (S.FILED, S.APPROVED, S.APPLIED)


def acceptance_id(project_id: UUID | str) -> UUID:
    return derived_id("acceptance", "acceptance", str(project_id))


def _text(value: Any, what: str, limit: int = MAX_TEXT, *, required: bool = True) -> str:
    return text(value, what, limit, required=required)


def _date(value: Any, what: str) -> str:
    return iso_date(value, what)


def _awarded(value: Any, today: dt.date | None) -> str:
    awarded = _date(value, "awarded_on")
    check(
        today is None or awarded <= today.isoformat(),
        f"awarded_on {awarded} is after the programme's today ({today}); record a commendation once awarded",
    )
    return awarded


def _aware(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None:
        raise ValueError("the acceptance domain needs aware datetimes")
    return now


def notice_closes_at(opened_at: dt.datetime, working_days: int, holidays: Iterable[dt.date] = ()) -> dt.datetime:
    """公示期: the notice runs for `working_days` full working days after the day it opens (weekends
    and `holidays` excluded) and closes at midnight, in the opening's timezone, after the last."""
    check(1 <= working_days <= 30, f"a public notice runs 1–30 working days, not {working_days}")
    off = set(holidays)
    day, left = _aware(opened_at).date(), working_days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            left -= 1
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=opened_at.tzinfo)


def ledger_digest(feedback: list[dict[str, Any]]) -> str:
    """SHA-256 of the feedback ledger as sealed: the public's entries in order (answers come later)."""
    entries = [{k: f[k] for k in ("feedback_id", "kind", "text", "name", "at")} for f in feedback]
    return hashlib.sha256(json.dumps(entries, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class Acceptance(VanguardAggregate):
    """公开验收: one project's acceptance, from its filing to its grade and honours."""

    @event("Filed")
    def __init__(
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
        request_id: str | None,
    ) -> None:
        self.department = department
        self.branch = branch
        self.project_id = project_id
        self.topic_id = topic_id
        self.year = year
        self.direction = direction
        self.title = title
        self.goal = goal
        self.targets = targets
        self.responsible = responsible
        self.state = S.FILED.value
        self.record_no: str | None = None
        self.milestones: list[dict[str, Any]] = []
        self.known_milestones: list[str] = []  # ids are never reused: an unknown one is yet to arrive
        self.met: dict[str, dict[str, Any]] = {}
        self.rectifications: dict[str, dict[str, Any]] = {}
        self.application: dict[str, Any] | None = None
        self.notice: dict[str, Any] | None = None
        self.feedback: list[dict[str, Any]] = []
        self.panel: list[dict[str, str]] = []
        self.rubric: str | None = None
        self.scores: dict[str, dict[str, Any]] = {}
        self.grade: str | None = None
        self.result: dict[str, Any] | None = None
        self.in_casebook = False
        self.brand: str | None = None
        self.commendations: list[dict[str, Any]] = []
        self._remember(request_id)

    @classmethod
    def file(
        cls,
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
        request_id: str | None,
    ) -> Acceptance:
        """支部立项 seen: the project's dossier (goal, measurable targets) waits for its approval."""
        return cls._create(
            cls.Filed,
            id=acceptance_id(project_id),
            department=department,
            branch=branch,
            project_id=str(project_id),
            topic_id=str(topic_id),
            year=int(year),
            direction=direction,
            title=title,
            goal=goal,
            targets=list(targets),
            responsible=dict(responsible or {}),
            actor=actor,
            request_id=request_id,
        )

    # -- what filing, tasking and inspection report --------------------------------------------

    def revise_dossier(self, changes: dict[str, Any], actor: dict[str, str], request_id: str | None) -> bool:
        wanted = {k: v for k, v in changes.items() if k in ("title", "goal", "targets", "responsible")}
        if not wanted:
            return False
        self._dossier_revised(project_id=self.project_id, changes=wanted, actor=actor, request_id=request_id)
        return True

    @event("DossierRevised")
    def _dossier_revised(
        self, project_id: str, changes: dict[str, Any], actor: dict[str, str], request_id: str | None
    ) -> None:
        for key, value in changes.items():
            setattr(self, key, value)
        self._remember(request_id)

    def approve(
        self,
        record_no: str,
        title: str,
        milestones: list[dict[str, Any]],
        actor: dict[str, str],
        request_id: str | None,
    ) -> bool:
        if self.state != S.FILED:
            return False
        self._approved(
            project_id=self.project_id,
            record_no=record_no,
            title=title or self.title,
            milestones=_plan(milestones),
            actor=actor,
            request_id=request_id,
        )
        return True

    @event("ProjectApproved")
    def _approved(
        self,
        project_id: str,
        record_no: str,
        title: str,
        milestones: list[dict[str, Any]],
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.state = S.APPROVED.value
        self.record_no, self.title, self.milestones = record_no, title, milestones
        self.known_milestones = [m["id"] for m in milestones]
        self._remember(request_id)

    def replan(self, milestones: list[dict[str, Any]], actor: dict[str, str], request_id: str | None) -> bool:
        if self.state in (S.FILED, S.WITHDRAWN):
            return False
        self._replanned(project_id=self.project_id, milestones=_plan(milestones), actor=actor, request_id=request_id)
        return True

    @event("PlanChanged")
    def _replanned(
        self, project_id: str, milestones: list[dict[str, Any]], actor: dict[str, str], request_id: str | None
    ) -> None:
        self.milestones = milestones
        self.known_milestones += [m["id"] for m in milestones if m["id"] not in self.known_milestones]
        self._remember(request_id)

    def milestone_met(
        self, milestone_id: str, met_on: str, deliverable: dict[str, Any], actor: dict[str, str], request_id: str | None
    ) -> bool:
        if milestone_id in self.met:
            return False
        self._milestone_met(
            project_id=self.project_id,
            milestone_id=milestone_id,
            met_on=_date(met_on, "met_on"),
            deliverable=dict(deliverable or {}),
            actor=actor,
            request_id=request_id,
        )
        return True

    @event("MilestoneMet")
    def _milestone_met(
        self,
        project_id: str,
        milestone_id: str,
        met_on: str,
        deliverable: dict[str, Any],
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.met[milestone_id] = {"met_on": met_on, "deliverable": deliverable}
        self._remember(request_id)

    def rectification_ordered(
        self, order_id: str, milestone_id: str, deadline: str, actor: dict[str, str], request_id: str | None
    ) -> bool:
        if order_id in self.rectifications:
            return False
        self._rectification_ordered(
            project_id=self.project_id,
            order_id=order_id,
            milestone_id=milestone_id,
            deadline=str(deadline),
            actor=actor,
            request_id=request_id,
        )
        return True

    @event("RectificationOrdered")
    def _rectification_ordered(
        self,
        project_id: str,
        order_id: str,
        milestone_id: str,
        deadline: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.rectifications[order_id] = {
            "order_id": order_id,
            "milestone_id": milestone_id,
            "deadline": deadline,
            "verified": False,
        }
        self._remember(request_id)

    def rectification_verified(self, order_id: str, actor: dict[str, str], request_id: str | None) -> bool:
        order = self.rectifications.get(order_id)
        if order is None or order["verified"]:
            return False
        self._rectification_verified(project_id=self.project_id, order_id=order_id, actor=actor, request_id=request_id)
        return True

    @event("RectificationVerified")
    def _rectification_verified(
        self, project_id: str, order_id: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.rectifications[order_id]["verified"] = True
        self._remember(request_id)

    def withdraw(self, reason: str, actor: dict[str, str], request_id: str | None) -> bool:
        if self.state in (S.WITHDRAWN, S.GRADED):
            return False
        self._withdrawn(project_id=self.project_id, reason=str(reason), actor=actor, request_id=request_id)
        return True

    @event("ProjectWithdrawn")
    def _withdrawn(self, project_id: str, reason: str, actor: dict[str, str], request_id: str | None) -> None:
        self.state = S.WITHDRAWN.value
        self._remember(request_id)

    # -- 申请验收: the branch applies -----------------------------------------------------------

    def blockers(self) -> list[str]:
        """What stands between the project and acceptance: unmet milestones, open rectifications."""
        reasons = [
            f"milestone {m['id']} 「{m['title']}」 (due {m['due']}) is not met"
            for m in self.milestones
            if m["id"] not in self.met
        ]
        reasons += [
            f"rectification order {o['order_id']} (整改, deadline {o['deadline']}) is not verified"
            for o in self.rectifications.values()
            if not o["verified"]
        ]
        return reasons

    def _require_active(self) -> None:
        require(self.state != S.WITHDRAWN, "the project was withdrawn; there is nothing to accept")
        require(
            self.state != S.FILED,
            f"project {self.project_id} is not approved (立项备案) yet; only an approved project is accepted",
        )

    def _require_clear(self, doing: str) -> None:
        blockers = self.blockers()
        require(
            not blockers,
            f"{doing} is refused while milestones are unmet or rectifications open: " + "; ".join(blockers),
            blockers=blockers,
        )

    def apply(
        self,
        summary: str,
        outcomes: list[dict[str, str]],
        evidence: list[dict[str, str]],
        now: dt.datetime,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        """申请验收: outcomes against every measurable target, with evidence (links)."""
        self._require_active()
        require(
            self.state in (S.APPROVED, S.APPLIED),
            f"the application can only be made or changed before the public notice opens; it is {self.state}",
        )
        self._require_clear("applying for acceptance")
        given = {_text(o.get("target"), "outcome target", MAX_TITLE * 2): o for o in outcomes}
        check(len(given) == len(outcomes), "each target may have one outcome only")
        unknown = [t for t in given if t not in self.targets]
        check(
            not unknown,
            f"not a target of this project: {'; '.join(unknown)}; its targets are: " + "; ".join(self.targets),
        )
        missing = [f"{n} 「{t}」" for n, t in enumerate(self.targets, start=1) if t not in given]
        check(not missing, f"give the outcome against every measurable target; missing: {'; '.join(missing)}")
        check(0 < len(evidence) <= MAX_ITEMS, f"give 1–{MAX_ITEMS} pieces of evidence (links)")
        links = []
        for n, item in enumerate(evidence, start=1):
            url = _text(item.get("url"), f"evidence {n}: url", 1000)
            check(url.startswith(("https://", "http://")), f"evidence {n}: the url must start with http(s)://")
            links.append(
                {"url": url, "title": _text(item.get("title"), f"evidence {n}: title", MAX_TITLE, required=False)}
            )
        self._applied(
            project_id=self.project_id,
            summary=_text(summary, "summary"),
            outcomes=[
                {"target": t, "result": _text(given[t].get("result"), f"outcome of 「{t}」")} for t in self.targets
            ],
            evidence=links,
            at=_aware(now).isoformat(),
            actor=actor,
            request_id=request_id,
        )

    @event("Applied")
    def _applied(
        self,
        project_id: str,
        summary: str,
        outcomes: list[dict[str, str]],
        evidence: list[dict[str, str]],
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.state = S.APPLIED.value
        self.application = {"summary": summary, "outcomes": outcomes, "evidence": evidence, "at": at, "by": dict(actor)}
        self._remember(request_id)

    # -- 公示: the public notice and the public's feedback --------------------------------------

    def open_notice(
        self,
        now: dt.datetime,
        working_days: int,
        holidays: Iterable[dt.date],
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self._require_active()
        require(self.state != S.APPROVED, "the branch has not applied for acceptance yet; no notice without it")
        require(self.state == S.APPLIED, f"the public notice was already opened ({self.state})")
        self._require_clear("opening the public notice")
        closes_at = notice_closes_at(now, working_days, holidays)
        self._notice_opened(
            project_id=self.project_id,
            opened_at=now.isoformat(),
            closes_at=closes_at.isoformat(),
            working_days=working_days,
            actor=actor,
            request_id=request_id,
        )

    @event("NoticeOpened")
    def _notice_opened(
        self,
        project_id: str,
        opened_at: str,
        closes_at: str,
        working_days: int,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.state = S.IN_NOTICE.value
        self.notice = {
            "opened_at": opened_at,
            "closes_at": closes_at,
            "working_days": working_days,
            "closed_at": None,
            "ledger_sha256": None,
        }
        self._remember(request_id)

    def closes_at(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self.notice["closes_at"]) if self.notice else None

    def notice_running(self, now: dt.datetime) -> bool:
        closes_at = self.closes_at()
        return self.state == S.IN_NOTICE and closes_at is not None and _aware(now) < closes_at

    def close_notice(self, now: dt.datetime, actor: dict[str, str], request_id: str | None) -> bool:
        """Seal the feedback ledger once the period has ended; False while it runs (or if sealed)."""
        closes_at = self.closes_at()
        if self.state != S.IN_NOTICE or closes_at is None or _aware(now) < closes_at:
            return False
        kinds = [f["kind"] for f in self.feedback]
        self._notice_closed(
            project_id=self.project_id,
            closed_at=closes_at.isoformat(),
            at=now.isoformat(),
            support=kinds.count(FeedbackKind.SUPPORT),
            objections=kinds.count(FeedbackKind.OBJECTION),
            ledger_sha256=ledger_digest(self.feedback),
            actor=actor,
            request_id=request_id,
        )
        return True

    @event("NoticeClosed")
    def _notice_closed(
        self,
        project_id: str,
        closed_at: str,
        at: str,
        support: int,
        objections: int,
        ledger_sha256: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.state = S.NOTICE_CLOSED.value
        assert self.notice is not None
        self.notice.update(closed_at=closed_at, ledger_sha256=ledger_sha256)
        self._remember(request_id)

    def give_feedback(
        self, kind: str, text: str, name: str, now: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> dict[str, Any]:
        """The public's support or objection, during the notice period only."""
        require(
            self.state not in _BEFORE_NOTICE and self.state != S.WITHDRAWN,
            "no public notice is open for this project; feedback is taken during the notice period only",
        )
        require(
            self.notice_running(now),
            f"the public notice closed at {self.notice and self.notice['closes_at']}; "
            "its feedback ledger is sealed and nothing can be added",
        )
        try:
            kind = FeedbackKind(kind).value
        except ValueError:
            raise InvalidInput(f"feedback is 'support' or 'objection', not '{kind}'") from None
        feedback_id = f"f{len(self.feedback) + 1}"
        self._feedback(
            project_id=self.project_id,
            feedback_id=feedback_id,
            kind=kind,
            text=_text(text, "feedback text", MAX_FEEDBACK),
            name=_text(name, "name", MAX_NAME, required=False),
            at=now.isoformat(),
            actor=actor,
            request_id=request_id,
        )
        return self.feedback[-1]

    @event("FeedbackReceived")
    def _feedback(
        self,
        project_id: str,
        feedback_id: str,
        kind: str,
        text: str,
        name: str,
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.feedback.append(
            {
                "feedback_id": feedback_id,
                "kind": kind,
                "text": text,
                "name": name,
                "at": at,
                "request_id": request_id,
                "answer": None,
            }
        )
        self._remember(request_id)

    def feedback_for(self, request_id: str | None) -> dict[str, Any] | None:
        return next((f for f in self.feedback if request_id and f["request_id"] == request_id), None)

    def answer_objection(
        self, feedback_id: str, answer: str, now: dt.datetime, actor: dict[str, str], request_id: str | None
    ) -> None:
        """The branch answers an objection (异议答复); the grade waits for every answer."""
        item = next((f for f in self.feedback if f["feedback_id"] == feedback_id), None)
        if item is None:
            raise NotFound(f"the notice of project {self.project_id} has no feedback '{feedback_id}'")
        check(
            item["kind"] == FeedbackKind.OBJECTION,
            f"feedback {feedback_id} is support; only objections (异议) are answered",
        )
        require(item["answer"] is None, f"objection {feedback_id} is already answered")
        require(self.state != S.GRADED, "the grade is given; the acceptance is concluded")
        self._answered(
            project_id=self.project_id,
            feedback_id=feedback_id,
            answer=_text(answer, "answer"),
            at=_aware(now).isoformat(),
            actor=actor,
            request_id=request_id,
        )

    @event("ObjectionAnswered")
    def _answered(
        self, project_id: str, feedback_id: str, answer: str, at: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        item = next(f for f in self.feedback if f["feedback_id"] == feedback_id)
        item["answer"] = {"answer": answer, "at": at, "by": dict(actor)}
        self._remember(request_id)

    def unanswered_objections(self) -> list[dict[str, Any]]:
        return [f for f in self.feedback if f["kind"] == FeedbackKind.OBJECTION and f["answer"] is None]

    # -- the panel and its scores ----------------------------------------------------------------

    def appoint_panel(
        self, members: list[dict[str, str]], rubric: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        """验收评审组: at least three members, none from the project's own branch (回避)."""
        self._require_active()
        require(self.state != S.APPROVED, "the branch has not applied for acceptance yet")
        require(self.state != S.GRADED, "the grade is given; the panel cannot change")
        require(not self.scores, "panelists have already scored; the panel cannot be replaced")
        check(
            MIN_PANEL <= len(members) <= MAX_PANEL, f"a panel has {MIN_PANEL}–{MAX_PANEL} members, not {len(members)}"
        )
        ids = [m["id"] for m in members]
        check(len(set(ids)) == len(ids), "a panelist is named twice")
        conflicted = [
            f"{m['name']} ({m['id']})"
            for m in members
            if m.get("department") == self.department and m.get("branch") == self.branch
        ]
        require(
            not conflicted,
            f"conflict of interest (回避): {', '.join(conflicted)} belong(s) to branch "
            f"{self.branch} of {self.department}, the project's own branch; "
            "appoint panelists from elsewhere",
            conflicted=conflicted,
        )
        self._panel_appointed(
            project_id=self.project_id,
            members=[dict(m) for m in members],
            rubric=rubric,
            actor=actor,
            request_id=request_id,
        )

    @event("PanelAppointed")
    def _panel_appointed(
        self, project_id: str, members: list[dict[str, str]], rubric: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.panel, self.rubric = members, rubric
        self._remember(request_id)

    def panelist(self, subject: str) -> dict[str, str] | None:
        return next((m for m in self.panel if m["id"] == subject), None)

    def score(
        self,
        panelist: str,
        scores: dict[str, int],
        comment: str,
        rubric: Rubric,
        now: dt.datetime,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        """A panelist's score against the panel's rubric; a later score of theirs replaces the earlier."""
        member = self.panelist(panelist)
        check(member is not None, f"{panelist} is not on this project's panel")
        assert member is not None
        require(self.state != S.GRADED, "the grade is given; scores are final")
        require(self.state in (S.IN_NOTICE, S.NOTICE_CLOSED), "scoring starts when the public notice opens")
        check(rubric.version == self.rubric, f"the panel scores under rubric {self.rubric}, not {rubric.version}")
        weighted = rubric.weighted(scores)
        self._scored(
            project_id=self.project_id,
            panelist=panelist,
            panelist_name=member["name"],
            rubric=rubric.version,
            scores=dict(scores),
            weighted=float(weighted),
            comment=_text(comment, "comment", required=False),
            at=_aware(now).isoformat(),
            actor=actor,
            request_id=request_id,
        )

    @event("Scored")
    def _scored(
        self,
        project_id: str,
        panelist: str,
        panelist_name: str,
        rubric: str,
        scores: dict[str, int],
        weighted: float,
        comment: str,
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.scores[panelist] = {
            "panelist": panelist,
            "name": panelist_name,
            "rubric": rubric,
            "scores": scores,
            "weighted": weighted,
            "comment": comment,
            "at": at,
        }
        self._remember(request_id)

    # -- 验收结论: the grade ---------------------------------------------------------------------

    def conclude(self, rubric: Rubric, now: dt.datetime, actor: dict[str, str], request_id: str | None) -> None:
        """The grade follows from the mean weighted score, once everything it depends on is in."""
        self._require_active()
        require(self.state != S.GRADED, f"the acceptance is already concluded: graded {self.grade}")
        require(self.state not in (S.APPROVED, S.APPLIED), "no public notice has run yet; no grade without it")
        require(
            self.state == S.NOTICE_CLOSED,
            f"the public notice runs until {self.notice and self.notice['closes_at']}; "
            "no grade before it has run its period",
        )
        require(bool(self.panel), "no panel is appointed")
        missing = [f"{m['name']} ({m['id']})" for m in self.panel if m["id"] not in self.scores]
        require(not missing, f"not every panelist has scored; waiting for: {', '.join(missing)}", missing=missing)
        open_objections = [f"{f['feedback_id']} 「{f['text'][:40]}」" for f in self.unanswered_objections()]
        require(
            not open_objections,
            "objections (异议) must be answered by the branch before the grade: " + "; ".join(open_objections),
        )
        self._require_clear("the grade")
        check(rubric.version == self.rubric, f"the panel scored under rubric {self.rubric}, not {rubric.version}")
        weighted = [Decimal(str(self.scores[m["id"]]["weighted"])) for m in self.panel]
        mean = rubric.mean(weighted)
        threshold = rubric.grade(mean)
        self._concluded(
            project_id=self.project_id,
            grade=threshold.grade,
            grade_label=GRADE_LABELS[Grade(threshold.grade)],
            score=float(mean),
            rubric=rubric.version,
            thresholds={t.grade: float(t.min) for t in rubric.grades},
            panel=[
                {"id": m["id"], "name": m["name"], "weighted": self.scores[m["id"]]["weighted"]} for m in self.panel
            ],
            at=_aware(now).isoformat(),
            actor=actor,
            request_id=request_id,
        )

    @event("Concluded")
    def _concluded(
        self,
        project_id: str,
        grade: str,
        grade_label: str,
        score: float,
        rubric: str,
        thresholds: dict[str, float],
        panel: list[dict[str, Any]],
        at: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.state = S.GRADED.value
        self.grade = grade
        self.result = {
            "grade": grade,
            "grade_label": grade_label,
            "score": score,
            "rubric": rubric,
            "thresholds": thresholds,
            "panel": panel,
            "at": at,
        }
        self._remember(request_id)

    # -- honours: casebook, brand, commendations ------------------------------------------------

    def _require_excellent(self, what: str) -> None:
        require(self.state == S.GRADED, f"{what}: the acceptance is not concluded yet")
        require(
            self.grade == Grade.EXCELLENT,
            f"{what}: only projects graded 优秀 (excellent) qualify; this one is graded "
            f"{GRADE_LABELS[Grade(self.grade)]} ({self.grade})",
        )

    def select_for_casebook(self, actor: dict[str, str], request_id: str | None) -> None:
        """优秀案例汇编: into the year's casebook."""
        self._require_excellent("the casebook")
        require(not self.in_casebook, f"the project is already in the {self.year} casebook")
        self._selected(
            project_id=self.project_id, year=self.year, direction=self.direction, actor=actor, request_id=request_id
        )

    @event("SelectedForCasebook")
    def _selected(
        self, project_id: str, year: int, direction: str, actor: dict[str, str], request_id: str | None
    ) -> None:
        self.in_casebook = True
        self._remember(request_id)

    def designate_brand(self, name: str, actor: dict[str, str], request_id: str | None) -> None:
        """党建品牌: the project becomes a party-building brand."""
        self._require_excellent("a party-building brand")
        require(self.brand is None, f"the project is already the brand 「{self.brand}」")
        self._branded(
            project_id=self.project_id, name=_text(name, "brand name", MAX_TITLE), actor=actor, request_id=request_id
        )

    @event("BrandDesignated")
    def _branded(self, project_id: str, name: str, actor: dict[str, str], request_id: str | None) -> None:
        self.brand = name
        self._remember(request_id)

    def record_commendation(
        self,
        level: str,
        issuer: str,
        title: str,
        awarded_on: str,
        actor: dict[str, str],
        request_id: str | None,
        today: dt.date | None = None,
    ) -> None:
        """表彰: a municipal, provincial or central commendation, with the body that issued it.

        `today` is the programme's date: a commendation is recorded once awarded, not before."""
        require(self.state == S.GRADED, "commendations are recorded for accepted projects; it is not graded yet")
        require(self.grade != Grade.FAIL, "a project graded 不合格 (fail) is not commended")
        try:
            level = CommendationLevel(level).value
        except ValueError:
            codes = ", ".join(c.value for c in CommendationLevel)
            raise InvalidInput(f"unknown commendation level '{level}'; use one of: {codes}") from None
        self._commended(
            project_id=self.project_id,
            commendation_id=f"c{len(self.commendations) + 1}",
            level=level,
            issuer=_text(issuer, "issuer", MAX_TITLE),
            title=_text(title, "title", MAX_TITLE),
            awarded_on=_awarded(awarded_on, today),
            actor=actor,
            request_id=request_id,
        )

    @event("CommendationRecorded")
    def _commended(
        self,
        project_id: str,
        commendation_id: str,
        level: str,
        issuer: str,
        title: str,
        awarded_on: str,
        actor: dict[str, str],
        request_id: str | None,
    ) -> None:
        self.commendations.append(
            {
                "commendation_id": commendation_id,
                "level": level,
                "issuer": issuer,
                "title": title,
                "awarded_on": awarded_on,
            }
        )
        self._remember(request_id)


def _plan(milestones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(m["id"]),
            "title": str(m.get("title", "")),
            "due": str(m.get("due", "")),
            "deliverable": str(m.get("deliverable", "")),
        }
        for m in milestones
    ]
