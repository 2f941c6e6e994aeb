"""What the acceptance API answers to those who may read a project's acceptance (codes with their
Chinese labels beside). Views are built in schemas.py; the public's are in public_responses.py."""

from __future__ import annotations

from pydantic import Field

from services.acceptance.vocabulary import AcceptanceState, CommendationLevel, FeedbackKind, Grade
from shared.views import Actor, Day, Moment, Version, View, absent
from shared.vocabulary import Direction


class Person(View):
    id: str = Field(examples=["m-001"])
    name: str = Field(examples=["李扬"])


class OutcomeView(View):
    target: str = Field(examples=["办理时限压缩至1个工作日"])
    result: str = Field(examples=["已压缩至1个工作日"])


class EvidenceLink(View):
    url: str = Field(examples=["https://example.org/report.pdf"])
    title: str = Field(examples=["总结报告"])


class Deliverable(View):
    title: str = Field(examples=["调研报告"])
    link: str = absent(examples=["https://example.org/m1"])


class Met(View):
    met_on: Day
    deliverable: Deliverable


class Milestone(View):
    id: str = Field(examples=["m1"])
    title: str = Field(examples=["调研摸底"])
    due: Day
    deliverable: str = Field(description="the deliverable the plan promised", examples=["调研报告"])
    met: Met | None


class Rectification(View):
    order_id: str = Field(examples=["r1"])
    milestone_id: str = Field(examples=["m1"])
    deadline: Day
    verified: bool


class Application(View):
    """申请验收: the branch's summary, an outcome against every target, and evidence."""

    summary: str
    outcomes: list[OutcomeView]
    evidence: list[EvidenceLink]
    at: Moment
    by: Actor


class Notice(View):
    """公示: the public notice's period and what the public said (counts)."""

    opened_at: Moment
    closes_at: Moment
    working_days: int = Field(examples=[5])
    closed_at: Moment | None
    ledger_sha256: str | None = Field(default=None, description="the sealed feedback ledger's digest, once closed")
    running: bool
    support: int
    objections: int
    unanswered_objections: int


class ObjectionAnswer(View):
    answer: str
    at: Moment
    by: Actor


class FeedbackView(View):
    feedback_id: str = Field(examples=["f1"])
    kind: FeedbackKind
    kind_label: str = Field(examples=["异议"])
    text: str
    name: str = Field(description="as the person gave it; may be empty")
    at: Moment
    request_id: str | None
    answer: ObjectionAnswer | None


class PanelMember(View):
    id: str = Field(examples=["p-1"])
    name: str = Field(examples=["张教授"])
    department: str | None = absent(examples=["jggw"])
    branch: str | None = absent(examples=["jggw-b2"])


class ScoreSheet(View):
    """A panelist's scores (0–100 per criterion of the rubric) and their weighted total."""

    panelist: str = Field(examples=["p-1"])
    name: str = Field(examples=["张教授"])
    rubric: str = Field(examples=["2026-v1"])
    scores: dict[str, int] = Field(examples=[{"target_achievement": 92, "innovation": 88}])
    weighted: float = Field(examples=[90.4])
    comment: str
    at: Moment


class PanelScore(View):
    id: str = Field(examples=["p-1"])
    name: str = Field(examples=["张教授"])
    weighted: float | None = absent(description="left out for a panelist of the project's own branch (回避)")


class Result(View):
    """验收结论: the grade from the panel's mean weighted score by the rubric's thresholds."""

    grade: Grade
    grade_label: str = Field(examples=["优秀"])
    score: float = Field(examples=[93.67])
    rubric: str = Field(examples=["2026-v1"])
    thresholds: dict[str, float] = Field(examples=[{"excellent": 90, "good": 80, "pass": 60, "fail": 0}])
    panel: list[PanelScore]
    at: Moment


class CommendationView(View):
    """表彰: a commendation and its issuer."""

    commendation_id: str = Field(examples=["c1"])
    level: CommendationLevel
    level_label: str = Field(examples=["省级"])
    issuer: str = Field(examples=["中共江苏省委组织部"])
    title: str = Field(examples=["全省机关党建优秀品牌"])
    awarded_on: Day


class Labelled(View):
    state: AcceptanceState
    state_label: str = Field(examples=["公示中"])
    direction: Direction
    direction_label: str = Field(examples=["优化营商环境建设"])
    grade: Grade | None
    grade_label: str | None = Field(examples=["优秀"])


class AcceptanceView(Labelled):
    """公开验收: one project's acceptance, as those who may read it see it."""

    project_id: str
    version: Version
    department: str = Field(examples=["fgw"])
    branch: str = Field(examples=["fgw-b1"])
    year: int = Field(examples=[2026])
    title: str
    record_no: str | None
    goal: str
    targets: list[str]
    responsible: Person
    milestones: list[Milestone]
    rectifications: list[Rectification]
    blockers: list[str] = Field(description="what stands between the project and acceptance")
    application: Application | None
    notice: Notice | None
    feedback: list[FeedbackView]
    panel: list[PanelMember]
    rubric: str | None
    scores: list[ScoreSheet]
    result: Result | None
    in_casebook: bool
    brand: str | None = Field(description="党建品牌, if designated")
    commendations: list[CommendationView]
    modified_at: Moment
    scores_withheld: str | None = absent(description="why the scores are not shown to you (回避)")
