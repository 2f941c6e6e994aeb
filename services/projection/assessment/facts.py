"""The facts the projection feeds the scorer, per subject and period, each with the event ids behind it.

Plain values, no behaviour beyond the period helpers: a period is a calendar year in the
programme's timezone (Asia/Shanghai); dates are programme dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.vocabulary import Colour, CommendationLevel, Grade, Rating

TZ = ZoneInfo("Asia/Shanghai")
SUBJECT_TYPES = ("branch", "secretary", "department")  # what is scored: 党支部, 支部书记, 部门
EventIds = tuple[str, ...]


def period_of(at: dt.datetime) -> int:
    """The period (calendar year in Asia/Shanghai) of an aware moment; a naive one is refused."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no timezone: a period needs an aware moment")
    return at.astimezone(TZ).year


def period_last_day(period: int) -> dt.date:
    return dt.date(period, 12, 31)


@dataclass(frozen=True)
class ProjectApproval:
    project_id: str
    approved_on: dt.date
    event_ids: EventIds


@dataclass(frozen=True)
class Milestone:
    milestone_id: str
    due_on: dt.date
    met_on: dt.date | None
    event_ids: EventIds


@dataclass(frozen=True)
class Inspection:
    rating: Rating
    on: dt.date
    event_ids: EventIds


@dataclass(frozen=True)
class ColourChange:
    """The project's warning colour became `colour`: one occurrence."""

    colour: Colour
    at: dt.datetime
    event_ids: EventIds


@dataclass(frozen=True)
class Rectification:
    rectification_id: str
    deadline: dt.date
    answered_on: dt.date | None
    verified_on: dt.date | None
    event_ids: EventIds


@dataclass(frozen=True)
class Acceptance:
    grade: Grade
    event_ids: EventIds


@dataclass(frozen=True)
class Objection:
    """A comment on the public notice that asks for an answer (异议)."""

    raised_on: dt.date
    answered_on: dt.date | None
    event_ids: EventIds


@dataclass(frozen=True)
class Commendation:
    level: CommendationLevel
    awarded_on: dt.date
    event_ids: EventIds


@dataclass(frozen=True)
class Brand:
    name: str
    event_ids: EventIds


@dataclass(frozen=True)
class Adjustment:
    """加减分 approved by a second organiser: positive adds, negative deducts."""

    points: Decimal
    reason: str
    event_ids: EventIds


@dataclass(frozen=True)
class BranchFacts:
    branch_id: str
    department: str
    period: int
    project: ProjectApproval | None  # None: 未立项 in this period
    milestones: tuple[Milestone, ...] = ()
    inspections: tuple[Inspection, ...] = ()
    colour_changes: tuple[ColourChange, ...] = ()
    rectifications: tuple[Rectification, ...] = ()
    acceptance: Acceptance | None = None
    objections: tuple[Objection, ...] = ()
    commendations: tuple[Commendation, ...] = ()
    brand: Brand | None = None
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class Revision:
    """The committee returned the branch's project; the secretary revised (resubmitted) it, or not yet."""

    returned_on: dt.date
    revised_on: dt.date | None
    event_ids: EventIds


@dataclass(frozen=True)
class SecretaryFacts:
    secretary_id: str
    branch_id: str
    department: str
    period: int
    revisions: tuple[Revision, ...] = ()
    rectifications: tuple[Rectification, ...] = ()  # their branch's, judged on when they answered
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class TopicPosed:
    topic_id: str
    posed_on: dt.date
    event_ids: EventIds


@dataclass(frozen=True)
class Review:
    """A project submitted to the committee, and when the committee approved or returned it."""

    project_id: str
    submitted_on: dt.date
    answered_on: dt.date | None
    event_ids: EventIds


@dataclass(frozen=True)
class DepartmentFacts:
    department: str
    period: int
    topics: tuple[TopicPosed, ...] = ()
    reviews: tuple[Review, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
