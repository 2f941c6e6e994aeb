"""From the programme's events to the facts of every branch, secretary and department in a period.

Pure: a list of events (as the audit trail holds them) and the registry in; facts out. A project's
events count in its year's period, a topic's in its year's. Times are the programme's: the time
an event carries (`at`, stamped by its service's clock), else when it was recorded.

The rules, each also said by the scheme line it feeds:
- a branch's project is its first approved one of the year not withdrawn within the year; none: 未立项;
- milestones are judged on the last approved plan and the date they were met; one declared met
  only after its due date is late, whatever date it gives (no back-dating);
- a warning counts when the colour rises to yellow or red (a fall from red to yellow is none);
- a rejected rectification answer is no answer: the branch must answer again;
- a revision is the secretary's resubmission after the committee returned the project; a review
  is the committee's answer (approval or return) to a submission, and none is owed for one the
  branch withdrew first;
- subjects are told apart by department: a branch is (department, code), a secretary (department,
  branch, id), since codes are unique only within their department.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.projection.assessment.facts import (
    Acceptance,
    Adjustment,
    BranchFacts,
    Brand,
    ColourChange,
    Commendation,
    DepartmentFacts,
    Inspection,
    Milestone,
    Objection,
    ProjectApproval,
    Rectification,
    Review,
    Revision,
    SecretaryFacts,
    TopicPosed,
)
from shared.vocabulary import Colour, CommendationLevel, Grade, Rating

SEVERITY = {Colour.GREEN: 0, Colour.BLUE: 1, Colour.YELLOW: 2, Colour.RED: 3}

# The event types the scheme reads; every other event leaves the scores alone.
TYPES = (
    "filing.Topic.Posed",
    "filing.Project.Drafted",
    "filing.Project.Submitted",
    "filing.Project.Returned",
    "filing.Project.Approved",
    "filing.Project.MilestoneChangeApproved",
    "filing.Project.Withdrawn",
    "tasking.TaskBoard.MilestoneMet",
    "inspection.Supervision.InspectionRecorded",
    "inspection.Supervision.ColourChanged",
    "inspection.Supervision.RectificationOrdered",
    "inspection.Supervision.RectificationAnswered",
    "inspection.Supervision.RectificationVerified",
    "inspection.Supervision.RectificationRejected",
    "acceptance.Acceptance.FeedbackReceived",
    "acceptance.Acceptance.ObjectionAnswered",
    "acceptance.Acceptance.Concluded",
    "acceptance.Acceptance.CommendationRecorded",
    "acceptance.Acceptance.BrandDesignated",
)


@dataclass(slots=True)
class Event:
    """An event as the audit trail keeps it, with its programme time. Never changed once read (not
    frozen only because a city's year is 40,000 of them, and a frozen one costs ten times as much
    to make)."""

    id: str
    type: str
    at: dt.datetime
    service: str
    department: str
    branch: str | None
    aggregate_id: str
    project_id: str | None
    payload: Mapping[str, Any]
    actor: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BranchEntry:
    """A registered branch (党支部) and its secretary."""

    department: str
    branch: str
    name: str = ""
    secretary_id: str | None = None
    secretary_name: str = ""


@dataclass(frozen=True)
class SubjectAdjustment:
    """An approved 加减分 of one subject (of a department) in one period."""

    subject_type: str
    department: str
    subject_id: str
    period: int
    adjustment: Adjustment


@dataclass(frozen=True)
class PeriodFacts:
    period: int
    branches: tuple[BranchFacts, ...]
    secretaries: tuple[tuple[SecretaryFacts, str], ...]  # with the secretary's name
    departments: tuple[DepartmentFacts, ...]
    names: Mapping[tuple[str, str, str], str]  # (subject type, department, id) → name
    events: Mapping[str, Event]  # every event a fact cites


def _day(event: Event) -> dt.date:
    return event.at.date()


def _date(value: Any, fallback: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return fallback


@dataclass
class _Project:
    id: str
    department: str
    branch: str
    year: int
    drafted: str
    approved: tuple[dt.date, tuple[str, ...]] | None = None
    withdrawn: dt.date | None = None
    plan: dict[str, tuple[dt.date, str]] = field(default_factory=dict)
    met: dict[str, tuple[dt.date, str]] = field(default_factory=dict)
    inspections: list[Inspection] = field(default_factory=list)
    colours: list[ColourChange] = field(default_factory=list)
    colour: Colour = Colour.GREEN
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    reviewed: list[tuple[str, dt.date, str]] = field(default_factory=list)  # (submitted|returned|approved, on, event)
    grade: Acceptance | None = None
    objections: dict[str, dict[str, Any]] = field(default_factory=dict)
    commendations: list[Commendation] = field(default_factory=list)
    brand: Brand | None = None
    submitter: str | None = None


class _Folder:
    def __init__(self) -> None:
        self.projects: dict[str, _Project] = {}
        self.topics: list[tuple[str, int, TopicPosed]] = []
        self.cited: dict[str, Event] = {}

    def cite(self, event: Event) -> str:
        self.cited[event.id] = event
        return event.id

    def apply(self, e: Event) -> None:
        p = e.payload
        if e.type == "filing.Topic.Posed":
            year = p.get("year")
            if isinstance(year, int):
                self.topics.append((e.department, year, TopicPosed(e.aggregate_id, _day(e), (self.cite(e),))))
            return
        if e.type == "filing.Project.Drafted":
            year = p.get("year")
            if isinstance(year, int) and e.branch:
                self.projects[e.aggregate_id] = _Project(e.aggregate_id, e.department, e.branch, year, e.id)
            return
        project = self.projects.get(e.project_id or "")
        if project is None:
            return  # a project drafted before the history read here, or not a project's event
        handler = getattr(self, "_" + e.type.rsplit(".", 1)[1], None)
        if handler is not None:
            handler(project, e)

    # -- filing -----------------------------------------------------------------------------------
    def _Submitted(self, project: _Project, e: Event) -> None:
        project.reviewed.append(("submitted", _day(e), self.cite(e)))
        project.submitter = project.submitter or str(e.actor.get("id") or "") or None

    def _Returned(self, project: _Project, e: Event) -> None:
        project.reviewed.append(("returned", _day(e), self.cite(e)))

    def _Approved(self, project: _Project, e: Event) -> None:
        if project.approved is None:  # a milestone change's approval is no review of a submission
            project.reviewed.append(("approved", _day(e), self.cite(e)))
        if project.approved is None:
            project.approved = (_day(e), (self.cite(e),))
        self._plan(project, e)

    def _MilestoneChangeApproved(self, project: _Project, e: Event) -> None:
        self._plan(project, e)

    def _plan(self, project: _Project, e: Event) -> None:
        plan = {}
        for m in e.payload.get("milestones", []):
            if isinstance(m, dict) and "id" in m:
                plan[str(m["id"])] = (_date(m.get("due"), _day(e)), self.cite(e))
        project.plan = plan

    def _Withdrawn(self, project: _Project, e: Event) -> None:
        project.withdrawn = _day(e)
        project.reviewed.append(("withdrawn", _day(e), self.cite(e)))

    # -- tasking ----------------------------------------------------------------------------------
    def _MilestoneMet(self, project: _Project, e: Event) -> None:
        milestone = str(e.payload.get("milestone_id"))
        if milestone in project.met:
            return
        met_on = _date(e.payload.get("met_on"), _day(e))
        due = project.plan.get(milestone)
        if e.payload.get("at") and due is not None and _day(e) > due[0]:
            met_on = max(met_on, _day(e))  # declared after its due date: late, whatever it says
        project.met[milestone] = (met_on, self.cite(e))

    # -- inspection -------------------------------------------------------------------------------
    def _InspectionRecorded(self, project: _Project, e: Event) -> None:
        try:
            rating = Rating(e.payload.get("rating"))
        except ValueError:
            return
        project.inspections.append(Inspection(rating, _day(e), (self.cite(e),)))

    def _ColourChanged(self, project: _Project, e: Event) -> None:
        try:
            colour = Colour(e.payload.get("colour"))
        except ValueError:
            return
        if SEVERITY[colour] > SEVERITY[project.colour] and colour in (Colour.YELLOW, Colour.RED):
            project.colours.append(ColourChange(colour, e.at, (self.cite(e),)))
        project.colour = colour

    def _RectificationOrdered(self, project: _Project, e: Event) -> None:
        order = str(e.payload.get("order_id"))
        deadline = _date(e.payload.get("deadline"), _day(e))
        project.orders[order] = {"deadline": deadline, "answered": None, "verified": None, "ids": [self.cite(e)]}

    def _order(self, project: _Project, e: Event) -> dict[str, Any] | None:
        order = project.orders.get(str(e.payload.get("order_id")))
        if order is not None:
            order["ids"].append(self.cite(e))
        return order

    def _RectificationAnswered(self, project: _Project, e: Event) -> None:
        if (order := self._order(project, e)) is not None:
            order["answered"] = _day(e)

    def _RectificationVerified(self, project: _Project, e: Event) -> None:
        if (order := self._order(project, e)) is not None:
            order["verified"] = _day(e)

    def _RectificationRejected(self, project: _Project, e: Event) -> None:
        if (order := self._order(project, e)) is not None:
            order["answered"] = None

    # -- acceptance -------------------------------------------------------------------------------
    def _FeedbackReceived(self, project: _Project, e: Event) -> None:
        if e.payload.get("kind") == "objection":
            feedback = str(e.payload.get("feedback_id"))
            project.objections[feedback] = {"raised": _day(e), "answered": None, "ids": [self.cite(e)]}

    def _ObjectionAnswered(self, project: _Project, e: Event) -> None:
        objection = project.objections.get(str(e.payload.get("feedback_id")))
        if objection is not None and objection["answered"] is None:
            objection["answered"] = _day(e)
            objection["ids"].append(self.cite(e))

    def _Concluded(self, project: _Project, e: Event) -> None:
        try:
            project.grade = Acceptance(Grade(e.payload.get("grade")), (self.cite(e),))
        except ValueError:
            return

    def _CommendationRecorded(self, project: _Project, e: Event) -> None:
        try:
            level = CommendationLevel(e.payload.get("level"))
        except ValueError:
            return
        awarded = _date(e.payload.get("awarded_on"), _day(e))
        project.commendations.append(Commendation(level, awarded, (self.cite(e),)))

    def _BrandDesignated(self, project: _Project, e: Event) -> None:
        project.brand = Brand(str(e.payload.get("name", "")), (self.cite(e),))


def _counted(project: _Project, period: int) -> bool:
    """Approved, and not withdrawn within the period (a withdrawal after it changes nothing of it)."""
    withdrawn = project.withdrawn is not None and project.withdrawn <= dt.date(period, 12, 31)
    return project.approved is not None and not withdrawn


def _chosen(projects: Sequence[_Project], period: int) -> _Project | None:
    """The project a branch is scored on: its first approved of the period that counts."""
    counted = [p for p in projects if _counted(p, period)]
    return min(counted, key=lambda p: (p.approved[0], p.id), default=None)  # type: ignore[index]


def _branch_facts(key: tuple[str, str], period: int, projects: Sequence[_Project], adjustments: Any) -> BranchFacts:
    department, branch = key
    p = _chosen(projects, period)
    if p is None:
        return BranchFacts(branch, department, period, None, adjustments=adjustments)
    assert p.approved is not None
    milestones = tuple(
        Milestone(
            mid, due, p.met[mid][0] if mid in p.met else None, (plan_event, *([p.met[mid][1]] if mid in p.met else []))
        )
        for mid, (due, plan_event) in sorted(p.plan.items(), key=lambda item: (item[1][0], item[0]))
    )
    return BranchFacts(
        branch,
        department,
        period,
        ProjectApproval(p.id, p.approved[0], p.approved[1]),
        milestones=milestones,
        inspections=tuple(p.inspections),
        colour_changes=tuple(p.colours),
        rectifications=_rectifications(p),
        acceptance=p.grade,
        objections=tuple(Objection(o["raised"], o["answered"], tuple(o["ids"])) for o in p.objections.values()),
        commendations=tuple(p.commendations),
        brand=p.brand,
        adjustments=adjustments,
    )


def _rectifications(p: _Project) -> tuple[Rectification, ...]:
    return tuple(
        Rectification(order_id, o["deadline"], o["answered"], o["verified"], tuple(o["ids"]))
        for order_id, o in sorted(p.orders.items())
    )


def _answers(p: _Project, first: str, then: tuple[str, ...]) -> list[tuple[dt.date, str, tuple[dt.date, str] | None]]:
    """Each `first` step of the project's review history, with the next of the `then` steps after it;
    one the branch withdrew before that step came is left out (nothing was owed any more)."""
    found = []
    for index, (kind, on, event_id) in enumerate(p.reviewed):
        if kind == first:
            following = next(((k, o, i) for k, o, i in p.reviewed[index + 1 :] if k in (*then, "withdrawn")), None)
            if following is not None and following[0] == "withdrawn":
                continue
            found.append((on, event_id, following[1:] if following else None))
    return found


def _revisions(projects: Iterable[_Project]) -> tuple[Revision, ...]:
    """Each return by the committee, and the secretary's resubmission after it (or none yet)."""
    return tuple(
        Revision(on, answer[0] if answer else None, (event_id, answer[1]) if answer else (event_id,))
        for p in projects
        for on, event_id, answer in _answers(p, "returned", ("submitted",))
    )


def _reviews(projects: Iterable[_Project]) -> tuple[Review, ...]:
    """Each submission, and the committee's approval or return of it (or none yet)."""
    return tuple(
        Review(p.id, on, answer[0] if answer else None, (event_id, answer[1]) if answer else (event_id,))
        for p in projects
        for on, event_id, answer in _answers(p, "submitted", ("returned", "approved"))
    )


def fold(
    period: int,
    events: Iterable[Event],
    roster: Iterable[BranchEntry] = (),
    departments: Mapping[str, str] | None = None,
    adjustments: Iterable[SubjectAdjustment] = (),
) -> PeriodFacts:
    """The facts of every subject in `period`: each registered branch (with a project or not), any
    branch that filed one without being registered, their secretaries, and every department."""
    folder = _Folder()
    for event in events:
        folder.apply(event)
    mine = [p for p in folder.projects.values() if p.year == period]
    entries = {(b.department, b.branch): b for b in roster}
    keys = sorted({*entries, *((p.department, p.branch) for p in mine)})
    by_key: dict[tuple[str, str], list[_Project]] = {key: [] for key in keys}
    for p in mine:
        by_key[(p.department, p.branch)].append(p)
    adjusted: dict[tuple[str, str, str], list[Adjustment]] = {}
    for a in adjustments:
        if a.period == period:
            adjusted.setdefault((a.subject_type, a.department, a.subject_id), []).append(a.adjustment)
    names: dict[tuple[str, str, str], str] = {
        ("department", code, code): name for code, name in (departments or {}).items()
    }
    branches, secretaries = [], []
    for key in keys:
        department, branch = key
        facts = _branch_facts(key, period, by_key[key], tuple(adjusted.get(("branch", *key), ())))
        branches.append(facts)
        entry = entries.get(key)
        names[("branch", *key)] = entry.name if entry else ""
        secretary = (entry.secretary_id if entry else None) or next(
            (p.submitter for p in by_key[key] if p.submitter), None
        )
        if secretary:
            names[("secretary", department, secretary)] = entry.secretary_name if entry else ""
            chosen = _chosen(by_key[key], period)
            secretaries.append(
                (
                    SecretaryFacts(
                        secretary,
                        branch,
                        department,
                        period,
                        revisions=_revisions(by_key[key]),
                        rectifications=_rectifications(chosen) if chosen else (),
                        adjustments=tuple(adjusted.get(("secretary", department, secretary), ())),
                    ),
                    names[("secretary", department, secretary)],
                )
            )
    codes = sorted({*(departments or {}), *(department for department, _ in keys)})
    topics: dict[str, list[TopicPosed]] = {}
    for department, year, topic in folder.topics:
        if year == period:
            topics.setdefault(department, []).append(topic)
    reviews: dict[str, list[Review]] = {}
    for p in mine:
        reviews.setdefault(p.department, []).extend(_reviews([p]))
    department_facts = tuple(
        DepartmentFacts(
            code,
            period,
            topics=tuple(topics.get(code, ())),
            reviews=tuple(reviews.get(code, ())),
            adjustments=tuple(adjusted.get(("department", code, code), ())),
        )
        for code in codes
    )
    for code in codes:
        names.setdefault(("department", code, code), "")
    return PeriodFacts(period, tuple(branches), tuple(secretaries), department_facts, names, folder.cited)


def adjustment(points: Decimal, reason: str, event_ids: Sequence[str]) -> Adjustment:
    return Adjustment(points, reason, tuple(event_ids))
