"""What the assessment answers: schemes, scores explained line by line, publications, 加减分, what-if."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from shared.views import Day, Moment, View

Points = Annotated[str, Field(description="exact decimal points, as text", examples=["12.5"])]
SubjectType = Annotated[
    str, Field(description="branch (党支部), secretary (支部书记) or department", examples=["branch"])
]


class SchemeSummary(View):
    version: str = Field(examples=["2026-v1"])
    title: str
    content_hash: str = Field(description="SHA-256 of the scheme's canonical content")
    current: bool = Field(description="the scheme live scores and publications use")
    source: str


class SchemeLine(View):
    code: str
    label: str
    points: Points
    points_by: dict[str, Points]
    deadline: str | None = Field(description="month-day within the period's year", examples=["03-31"])
    within_days: int | None
    share: Points | None
    grades: list[str]


class SchemeSection(View):
    base: Points
    lines: list[SchemeLine]


class StarBand(View):
    stars: int
    min: Points | None


class SchemeDetail(SchemeSummary):
    branch: SchemeSection
    secretary: SchemeSection
    department: SchemeSection
    stars: list[StarBand]
    ties: str = Field(description="competition (1, 2, 2, 4) or dense (1, 2, 2, 3)")
    tie_label: str
    adjustment_label: str
    max_add: Points
    max_deduct: Points


class PeriodSummary(View):
    period: int = Field(examples=[2026])
    publications: int
    last_published_at: Moment | None


class EventRef(View):
    """An event behind a point, with the audit trail it is in."""

    id: str
    type: str = Field(examples=["inspection.Supervision.ColourChanged"])
    at: Moment = Field(description="the programme time of the event")
    service: str
    project_id: str | None
    audit_trail: str = Field(examples=["/projects/6f1c…/audit-trail"])


class SubjectRef(View):
    subject_type: SubjectType
    subject_id: str


class ScoreLineView(View):
    code: str = Field(examples=["warning"])
    label: str = Field(examples=["预警亮灯(每次,黄灯扣1分、红灯扣2分)"])
    count: int = Field(description="occurrences counted (for shares: branches counted)")
    points: Points
    event_ids: list[str]
    subjects: list[SubjectRef] = Field(description="the scores this line is made of (a branch's result, a mean)")
    events: list[EventRef] | None = Field(default=None, description="the events behind it (explained views only)")


class AdjustmentView(View):
    adjustment_id: str
    period: int
    subject_type: SubjectType
    department: str
    subject_id: str
    points: Points
    reason: str
    evidence: list[str]
    state: str = Field(description="pending, approved or rejected", examples=["approved"])
    proposed_by: dict[str, Any]
    proposed_at: Moment
    decided_by: dict[str, Any] | None
    decided_at: Moment | None
    decision_reason: str | None


class ScoreView(View):
    subject_type: SubjectType
    subject_id: str
    name: str
    department: str
    branch: str | None
    period: int
    base: Points
    total: Points
    stars: int | None = Field(description="星级 1–5 (branches only)")
    city_rank: int
    department_rank: int
    flags: list[str] = Field(examples=[["未立项"]])
    scheme_version: str
    scheme_hash: str
    lines: list[ScoreLineView]


class ExplainedScore(ScoreView):
    provisional: bool = Field(description="live scores change as events arrive; published ones never")
    publication: int | None = Field(description="the publication this is from, if any")
    as_of: Day
    adjustments: list[AdjustmentView]


class ScorePage(View):
    period: int
    subject_type: SubjectType
    subject_label: str
    scheme_version: str
    scheme_hash: str
    provisional: bool
    publication: int | None
    as_of: Day
    total: int = Field(description="subjects matching, before paging")
    limit: int
    offset: int
    items: list[ScoreView]


class PublicationView(View):
    period: int
    number: int
    scheme_version: str
    scheme_hash: str
    as_of: Day
    counts: dict[str, int]
    reason: str | None = Field(description="why a correction was published (none for the first)")
    at: Moment
    by: dict[str, Any]


class WhatIfRow(View):
    subject_id: str
    name: str
    department: str
    baseline_total: Points
    baseline_stars: int | None
    baseline_rank: int
    what_if_total: Points
    what_if_stars: int | None
    what_if_rank: int
    difference: Points


class WhatIf(View):
    period: int
    subject_type: SubjectType
    baseline: str = Field(description="'publication N' or 'live'", examples=["publication 1"])
    baseline_scheme: str
    what_if_scheme: str
    what_if_hash: str
    total: int
    limit: int
    offset: int
    items: list[WhatIfRow]
