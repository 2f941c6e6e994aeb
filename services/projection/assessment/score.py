"""Scores of branches, secretaries and departments by a scheme, explained line by line; stars and ranks.

Pure: facts in, a Score out. Every line of the scheme appears in scheme order (nothing counted is
zero points, and says so), then each approved adjustment as its own line. total = base + the sum
of the lines. `as_of` is the programme date scores are taken at (live scores: today; the default
and the latest is the period's last day): a deadline passed by then without the deed is overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.projection.assessment.facts import (
    Adjustment,
    BranchFacts,
    DepartmentFacts,
    EventIds,
    Rectification,
    SecretaryFacts,
    period_last_day,
)
from services.projection.assessment.scheme import Line, Scheme, Section

NOT_FILED = "未立项"
ADJUSTMENT = "adjustment"
_CENT = Decimal("0.01")


def two_places(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ScoreLine:
    code: str
    label: str
    count: int  # occurrences counted (for shares: the branches counted)
    points: Decimal
    event_ids: EventIds


@dataclass(frozen=True)
class Score:
    subject_type: str  # branch, secretary, department
    subject_id: str
    department: str
    period: int
    base: Decimal
    lines: tuple[ScoreLine, ...]
    total: Decimal
    flags: tuple[str, ...]
    scheme_version: str
    scheme_hash: str
    unit: str = ""  # a secretary's branch: one person may lead two

    @property
    def key(self) -> tuple[str, str, str]:
        """What tells subjects apart: codes are unique only within their department."""
        return (self.department, self.unit, self.subject_id)

    def line(self, code: str) -> ScoreLine:
        return next(line for line in self.lines if line.code == code)

    @property
    def event_ids(self) -> EventIds:
        return _ids(line.event_ids for line in self.lines)


def _ids(groups: Iterable[EventIds]) -> EventIds:
    return tuple(dict.fromkeys(event_id for group in groups for event_id in group))


def _each(line: Line, counted: Sequence[EventIds]) -> ScoreLine:
    return ScoreLine(line.code, line.label, len(counted), line.points * len(counted), _ids(counted))


def _by(line: Line, counted: Sequence[tuple[str, EventIds]]) -> ScoreLine:
    points = sum((line.points_for(key) for key, _ in counted), Decimal(0))
    return ScoreLine(line.code, line.label, len(counted), points, _ids(ids for _, ids in counted))


def _adjustments(scheme: Scheme, adjustments: Sequence[Adjustment]) -> list[ScoreLine]:
    return [
        ScoreLine(ADJUSTMENT, f"{scheme.adjustment_label}:{a.reason}", 1, a.points, a.event_ids) for a in adjustments
    ]


def adjustment_room(scheme: Scheme, adjustments: Sequence[Adjustment]) -> tuple[Decimal, Decimal]:
    """What a subject may still be added and deducted in the period, within the scheme's limits."""
    added = sum((a.points for a in adjustments if a.points > 0), Decimal(0))
    deducted = -sum((a.points for a in adjustments if a.points < 0), Decimal(0))
    return scheme.max_add - added, scheme.max_deduct - deducted


def _score(
    scheme: Scheme,
    section: Section,
    kind: str,
    subject: tuple[str, str, int],
    lines: list[ScoreLine],
    flags: tuple[str, ...] = (),
    unit: str = "",
) -> Score:
    subject_id, department, period = subject
    total = section.base + sum((line.points for line in lines), Decimal(0))
    return Score(
        kind,
        subject_id,
        department,
        period,
        section.base,
        tuple(lines),
        total,
        tuple(flags),
        scheme.version,
        scheme.content_hash,
        unit,
    )


def _as_of(period: int, as_of: dt.date | None) -> dt.date:
    return min(as_of or period_last_day(period), period_last_day(period))


def _late(done: dt.date | None, due: dt.date, as_of: dt.date) -> bool:
    return done > due if done is not None else as_of > due


def score_branch(scheme: Scheme, facts: BranchFacts, as_of: dt.date | None = None) -> Score:
    """A branch's score; without an approved project in the period it is 未立项 and no project line counts."""
    today, section, f = _as_of(facts.period, as_of), scheme.branch, facts
    counted: dict[str, list[Any]] = {line.code: [] for line in section.lines}
    if f.project is None:
        counted["not_filed"].append(())
    else:
        deadline = section.line("project_approved").deadline_in(f.period)
        on_time = f.project.approved_on <= deadline
        counted["project_approved" if on_time else "project_approved_late"].append(f.project.event_ids)
        milestones = _sorted((_timely(m.met_on, m.due_on, today), m.event_ids) for m in f.milestones)
        counted["milestone_on_time"], counted["milestone_late"] = milestones["on_time"], milestones["late"]
        counted["inspection_rated"] = [(i.rating.value, i.event_ids) for i in f.inspections]
        colours = dict(section.line("warning").points_by)
        counted["warning"] = [(c.colour.value, c.event_ids) for c in f.colour_changes if c.colour.value in colours]
        for r in f.rectifications:
            verdict = _rectified(r, today)
            if verdict is not None:
                counted[f"rectification_{verdict}"].append(r.event_ids)
        if f.acceptance is not None:
            counted["acceptance_grade"].append((f.acceptance.grade.value, f.acceptance.event_ids))
        counted["objection_answered"] = [o.event_ids for o in f.objections if o.answered_on is not None]
        counted["commendation"] = [(c.level.value, c.event_ids) for c in f.commendations]
        if f.brand is not None:
            counted["brand"].append(f.brand.event_ids)
    lines = [
        _by(line, counted[line.code]) if line.points_by else _each(line, counted[line.code]) for line in section.lines
    ]
    flags = (NOT_FILED,) if f.project is None else ()
    subject = (f.branch_id, f.department, f.period)
    return _score(scheme, section, "branch", subject, lines + _adjustments(scheme, f.adjustments), flags)


def _rectified(r: Rectification, today: dt.date) -> str | None:
    """on_time: answered and verified by the deadline; overdue: either later, or still open past it."""
    if r.answered_on is not None and r.verified_on is not None and max(r.answered_on, r.verified_on) <= r.deadline:
        return "on_time"
    if r.verified_on is not None or _late(r.answered_on, r.deadline, today) or today > r.deadline:
        return "overdue"
    return None


def _timely(done: dt.date | None, due: dt.date, today: dt.date) -> str | None:
    """on_time: done by the due date; late: done after it, or not done and past it; None: not yet due."""
    if done is not None and done <= due:
        return "on_time"
    return "late" if _late(done, due, today) else None


def _sorted(verdicts: Iterable[tuple[str | None, EventIds]]) -> dict[str, list[EventIds]]:
    found: dict[str, list[EventIds]] = {"on_time": [], "late": []}
    for verdict, event_ids in verdicts:
        if verdict is not None:
            found[verdict].append(event_ids)
    return found


def score_secretary(scheme: Scheme, facts: SecretaryFacts, branch: Score, as_of: dt.date | None = None) -> Score:
    """Their branch's result (times the scheme's share) plus their own timeliness."""
    scored_on = (branch.subject_type, branch.subject_id, branch.department, branch.period)
    if scored_on != ("branch", facts.branch_id, facts.department, facts.period):
        raise ValueError(f"secretary {facts.secretary_id} is scored on branch {facts.branch_id} in {facts.period}")
    today, section, f = _as_of(facts.period, as_of), scheme.secretary, facts
    result = section.line("branch_result")
    share = result.share if result.share is not None else Decimal(1)
    within = dt.timedelta(days=section.line("revision_on_time").within_days or 0)
    revisions = _sorted((_timely(r.revised_on, r.returned_on + within, today), r.event_ids) for r in f.revisions)
    answers = _sorted((_timely(r.answered_on, r.deadline, today), r.event_ids) for r in f.rectifications)
    lines = [
        ScoreLine(result.code, result.label, 1, two_places(share * branch.total), branch.event_ids),
        _each(section.line("revision_on_time"), revisions["on_time"]),
        _each(section.line("revision_late"), revisions["late"]),
        _each(section.line("rectification_answered_on_time"), answers["on_time"]),
        _each(section.line("rectification_answered_late"), answers["late"]),
    ]
    subject = (f.secretary_id, f.department, f.period)
    adjusted = lines + _adjustments(scheme, f.adjustments)
    return _score(scheme, section, "secretary", subject, adjusted, branch.flags, unit=f.branch_id)


def score_department(
    scheme: Scheme,
    facts: DepartmentFacts,
    branches: Sequence[tuple[BranchFacts, Score]],
    as_of: dt.date | None = None,
) -> Score:
    """Its branches' mean score, the shares with an approved and an accepted project, its committee's timeliness."""
    for branch, score in branches:
        if (branch.department, branch.period, score.subject_id) != (facts.department, facts.period, branch.branch_id):
            raise ValueError(f"branch {branch.branch_id} is not one of {facts.department}'s in {facts.period}")
    today, section, f, n = _as_of(facts.period, as_of), scheme.department, facts, len(branches)
    mean_line, approved_line, accepted_line = (
        section.line(c) for c in ("branch_mean", "approved_share", "accepted_share")
    )
    mean = sum((s.total for _, s in branches), Decimal(0)) / n if n else Decimal(0)
    approved = [b.project.event_ids for b, _ in branches if b.project is not None]
    accepted = [
        b.acceptance.event_ids
        for b, _ in branches
        if b.project is not None and b.acceptance is not None and b.acceptance.grade.value in accepted_line.grades
    ]

    def share(line: Line, counted: list[EventIds]) -> ScoreLine:
        points = two_places(line.points * len(counted) / n) if n else Decimal(0)
        return ScoreLine(line.code, line.label, len(counted), points, _ids(counted))

    first = min(f.topics, key=lambda t: t.posed_on, default=None)
    deadline = section.line("topics_posed_on_time").deadline_in(f.period)
    topics = _sorted([(_timely(first and first.posed_on, deadline, today), first.event_ids if first else ())])
    within = dt.timedelta(days=section.line("review_on_time").within_days or 0)
    reviews = _sorted((_timely(r.answered_on, r.submitted_on + within, today), r.event_ids) for r in f.reviews)
    lines = [
        ScoreLine(
            mean_line.code,
            mean_line.label,
            n,
            two_places((mean_line.share or Decimal(1)) * mean),
            _ids(s.event_ids for _, s in branches),
        ),
        share(approved_line, approved),
        share(accepted_line, accepted),
        _each(section.line("topics_posed_on_time"), topics["on_time"]),
        _each(section.line("topics_posed_late"), topics["late"]),
        _each(section.line("review_on_time"), reviews["on_time"]),
        _each(section.line("review_late"), reviews["late"]),
    ]
    subject = (f.department, f.department, f.period)
    return _score(scheme, section, "department", subject, lines + _adjustments(scheme, f.adjustments))


def stars(scheme: Scheme, score: Score) -> int:
    """星级: the highest band whose minimum the branch's total reaches."""
    if score.subject_type != "branch":
        raise ValueError(f"stars are for branches, not a {score.subject_type}")
    return next(band.stars for band in scheme.stars if band.min is None or score.total >= band.min)


@dataclass(frozen=True)
class Rank:
    subject_id: str
    department: str
    total: Decimal
    city: int
    in_department: int
    unit: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.department, self.unit, self.subject_id)


def _places(scheme: Scheme, ordered: Sequence[Score]) -> dict[tuple[str, str, str], int]:
    places: dict[tuple[str, str, str], int] = {}
    for index, score in enumerate(ordered):
        previous = ordered[index - 1] if index else None
        if previous is not None and previous.total == score.total:
            places[score.key] = places[previous.key]
        elif scheme.ties == "dense":
            places[score.key] = (places[previous.key] + 1) if previous is not None else 1
        else:
            places[score.key] = index + 1
    return places


def rank(scheme: Scheme, scores: Sequence[Score]) -> tuple[Rank, ...]:
    """Ranks within the city and within each department, by the scheme's tie rule; listed by rank, then code."""
    kinds = {(s.subject_type, s.period) for s in scores}
    if len(kinds) > 1:
        raise ValueError(f"rank one subject type in one period at a time, not {sorted(kinds)}")
    ordered = sorted(scores, key=lambda s: (-s.total, s.subject_id, s.department, s.unit))
    city = _places(scheme, ordered)
    local: dict[tuple[str, str, str], int] = {}
    for department in {s.department for s in ordered}:
        local.update(_places(scheme, [s for s in ordered if s.department == department]))
    return tuple(Rank(s.subject_id, s.department, s.total, city[s.key], local[s.key], s.unit) for s in ordered)
