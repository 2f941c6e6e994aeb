"""What the acceptance API answers the public (no account): notices, accepted projects, the casebook,
commendations and rubrics. They leave out who wrote what. Views are built in schemas.py and casebook.py."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from services.acceptance.responses import CommendationView, EvidenceLink, Labelled, Notice, OutcomeView
from services.acceptance.vocabulary import FeedbackKind, Grade
from shared.views import Moment, View
from shared.vocabulary import Direction


class AnsweredObjection(View):
    feedback_id: str = Field(examples=["f2"])
    text: str
    answer: str


class PublicView(Labelled):
    """What the public sees of a notice or an accepted project (no account)."""

    project_id: str
    department: str = Field(examples=["fgw"])
    branch: str = Field(examples=["fgw-b1"])
    year: int = Field(examples=[2026])
    title: str
    record_no: str | None
    goal: str
    summary: str | None
    outcomes: list[OutcomeView]
    evidence: list[EvidenceLink]
    notice: Notice | None
    answered_objections: list[AnsweredObjection]
    score: float | None
    in_casebook: bool
    brand: str | None
    commendations: list[CommendationView]


class FeedbackReceipt(View):
    feedback_id: str = Field(examples=["f1"])
    kind: FeedbackKind
    at: Moment
    notice_closes_at: Moment | None


class Case(View):
    """优秀案例: one case of the casebook."""

    project_id: str
    title: str
    year: int = Field(examples=[2026])
    direction: Direction
    record_no: str
    department: str = Field(examples=["fgw"])
    department_name: str = Field(examples=["市发改委"])
    branch: str = Field(examples=["fgw-b1"])
    branch_name: str = Field(examples=["第一党支部"])
    goal: str
    summary: str
    outcomes: list[OutcomeView]
    grade: Grade | None
    grade_label: str = Field(examples=["优秀"])
    score: float | None
    rubric: str
    brand: str = Field(description="党建品牌, or empty")
    commendations: list[CommendationView]
    provenance: str | None = Field(description="the case's public record (no sign-in), if the projection is known")


class CasebookDirection(View):
    direction: Direction
    label: str = Field(examples=["优化营商环境建设"])
    entries: list[Case]


class Casebook(View):
    """优秀案例汇编: the year's selected cases, grouped by direction."""

    year: int = Field(examples=[2026])
    count: int
    directions: list[CasebookDirection]


class Commended(CommendationView):
    project_id: str
    project_title: str
    year: int = Field(examples=[2026])
    department: str = Field(examples=["fgw"])
    department_name: str = Field(examples=["市发改委"])
    branch: str = Field(examples=["fgw-b1"])


class CommendationCount(View):
    department: str = Field(examples=["fgw"])
    department_name: str = Field(examples=["市发改委"])
    municipal: int
    provincial: int
    central: int
    central_or_provincial: int


class Commendations(View):
    """表彰: commendations with their issuers, and their count per department and level."""

    commendations: list[Commended]
    by_department: list[CommendationCount]


class Scale(View):
    min: int = Field(examples=[0])
    max: int = Field(examples=[100])


class Criterion(View):
    code: str = Field(examples=["target_achievement"])
    label: str = Field(examples=["目标任务完成情况"])
    weight: int = Field(examples=[30])


class Threshold(View):
    code: Grade
    label: str = Field(examples=["优秀"])
    min: float = Field(examples=[90.0])


class RubricView(View):
    """评分细则: a rubric version's criteria, weights and grade thresholds."""

    version: str = Field(examples=["2026-v1"])
    title: str
    scale: Scale
    criteria: list[Criterion]
    grades: list[Threshold]
    current: bool = Field(description="new panels score under this version")


HTML_PAGE: dict[int | str, dict[str, Any]] = {
    200: {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}}
}
PDF_FILE: dict[int | str, dict[str, Any]] = {
    200: {"description": "the PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
}
