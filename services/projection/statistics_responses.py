"""What the statistics (统计) answer: counts for committees and the organisation department (组织部).

Counts per code come as tallies: every code of the vocabulary in its order (zeros included), with
its Chinese label, then any code new to the vocabulary.
"""

from __future__ import annotations

from pydantic import Field

from services.projection.responses import Code
from shared.views import Moment, View

Rate = float | None


class Tally(View):
    code: Code = Field(examples=["approved"])
    label: str | None = Field(examples=["已立项备案"])
    count: int


class Figures(View):
    """One department's projects under one direction, or summed over directions (direction null), or over
    every department in scope (department null too)."""

    department: str | None = Field(examples=["fgw"])
    department_name: str | None = Field(examples=["市发改委"])
    direction: Code | None = Field(examples=["business_environment"])
    direction_label: str | None = Field(examples=["优化营商环境建设"])
    projects: int = Field(description="the year's projects in any state, withdrawn ones too")
    by_state: list[Tally] = Field(description="projects by state (filing's, then the acceptance stage)")
    approved: int = Field(description="立项备案: projects with a record number, not withdrawn")
    graded: int = Field(description="approved projects with an acceptance grade (验收等次)")
    by_grade: list[Tally]
    colours: list[Tally] = Field(description="三色预警 of the approved projects now")
    milestones: int = Field(description="milestones of the approved projects")
    milestones_met: int
    overdue_milestones: int = Field(description="milestones past their date and not met")
    open_rectifications: int = Field(description="整改 ordered and not verified")
    completion_rate: Rate = Field(description="milestones met / milestones, 0–1; null without milestones")
    branches: int = Field(description="branches registered in the department(s)")
    branches_with_project: int = Field(description="registered branches with an approved project here")
    coverage_rate: Rate = Field(description="branches with an approved project / branches, 0–1; null without")


class Statistics(View):
    """A year's figures: per department and direction, per department, and in all."""

    year: int = Field(examples=[2026])
    department: str | None = Field(description="the department read; null: every department")
    direction: Code | None = Field(description="the direction read; null: every direction")
    rows: list[Figures] = Field(description="per (department, direction) with projects, by code")
    departments: list[Figures] = Field(description="per department with projects or registered branches")
    total: Figures


class Month(View):
    month: int = Field(ge=1, le=12, examples=[3])
    projects_approved: int = Field(description="立项备案 in the month")
    milestones_met: int
    inspections: int = Field(description="节点督查 recorded")
    rectifications_ordered: int
    projects_graded: int = Field(description="验收 concluded with a grade")


class MonthlyStatistics(View):
    """What happened in each month of a calendar year (the programme's timezone)."""

    year: int = Field(examples=[2026])
    department: str | None = Field(description="the department read; null: every department")
    months: list[Month]


class UncoveredBranch(View):
    """A registered branch without an approved project for the year (未立项支部)."""

    department: str = Field(examples=["fgw"])
    department_name: str | None = Field(examples=["市发改委"])
    branch: str = Field(examples=["fgw-b3"])
    name: str = Field(examples=["第三党支部"])
    secretary_id: str | None = Field(examples=["s-fgw-3"])
    secretary_name: str | None = Field(examples=["王强"])
    registered_at: Moment
    projects_under_way: int = Field(description="its projects for the year filed but not approved (nor withdrawn)")


class Coverage(View):
    """A page of the branches without an approved project, and how many there are in all."""

    year: int = Field(examples=[2026])
    total: int
    limit: int
    offset: int
    items: list[UncoveredBranch]
