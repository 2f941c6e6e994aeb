"""统计: the year's figures for committees and the organisation department (组织部).

Cross-department readers read every department, or the one they name; a committee reads its own
(naming another is refused). The scope is a condition of the queries (services/projection/statistics.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import Query

from services.projection import statistics, time_travel
from services.projection import statistics_responses as r
from services.projection.as_of import AsOf
from services.projection.vocabulary import DIRECTION_LABELS, GRADE_LABELS, STATE_LABELS, ProjectState, label
from shared.api import CurrentPrincipal, app_state
from shared.api.bounds import FIRST_YEAR, LAST_POSITION, LAST_YEAR
from shared.api.routes import service_router
from shared.auth import Principal, Role
from shared.errors import Forbidden
from shared.vocabulary import COLOUR_LABELS, Colour, Direction, Grade

Pool = Annotated[asyncpg.Pool, app_state("pool")]
Timezone = Annotated[ZoneInfo, app_state("timezone")]
router = service_router()
READERS = (Role.ORGANISER, Role.AUDITOR, Role.INSPECTOR, Role.ADMIN, Role.COMMITTEE)
MAX_PAGE = 500

Year = Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR, description=f"the programme year, {FIRST_YEAR}–{LAST_YEAR}")]
Department = Annotated[str | None, Query(description="a department's code; none: every one you may read")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most this many branches, 1–{MAX_PAGE}")]
Offset = Annotated[int, Query(ge=0, le=LAST_POSITION, description="skip this many branches first")]


def scope(who: Principal, department: str | None) -> str | None:
    """The department the caller reads (None: every one): a committee its own, others what they ask."""
    who.require_role(*READERS)
    if who.role != Role.COMMITTEE:
        return department
    if who.department is None:
        raise Forbidden("your committee token names no department")
    if department is not None:
        who.require_department(department)
    return who.department


@router.get("/statistics", response_model=r.Statistics, tags=["statistics"])
async def year_statistics(
    pool: Pool,
    who: CurrentPrincipal,
    as_of: AsOf,
    year: Year,
    department: Department = None,
    direction: Direction | None = None,
) -> dict[str, Any]:
    """A year's projects per department and direction: states, approvals, grades, colours, milestones, coverage
    (as_of: as they were then)."""
    department, code = scope(who, department), direction and direction.value
    async with time_travel.reading(pool, as_of) as conn:
        found = await statistics.figures(conn, year, department, code)
        names = await statistics.department_names(conn)
    shown = {key: _figures(row, names) for key, row in found.items()}
    return {
        "year": year,
        "department": department,
        "direction": code,
        "rows": [shown[k] for k in sorted(k for k in shown if k[1] is not None)],
        "departments": [shown[k] for k in sorted(k for k in shown if k[0] is not None and k[1] is None)],
        "total": shown[(None, None)],
    }


@router.get("/statistics/monthly", response_model=r.MonthlyStatistics, tags=["statistics"])
async def monthly_statistics(
    pool: Pool, tz: Timezone, who: CurrentPrincipal, as_of: AsOf, year: Year, department: Department = None
) -> dict[str, Any]:
    """Per month of the year: projects approved, milestones met, inspections, rectifications ordered, grades
    (as_of: as counted then)."""
    department = scope(who, department)
    async with time_travel.reading(pool, as_of) as conn:
        months = await statistics.monthly(conn, year, department, tz.key)
    return {"year": year, "department": department, "months": months}


@router.get("/statistics/coverage", response_model=r.Coverage, tags=["statistics"])
async def coverage(
    pool: Pool,
    who: CurrentPrincipal,
    as_of: AsOf,
    year: Year,
    department: Department = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Registered branches without an approved project for the year (未立项支部), a page at a time (as_of:
    those registered then, without one approved by then)."""
    department = scope(who, department)
    async with time_travel.reading(pool, as_of) as conn:
        total, items = await statistics.uncovered_branches(conn, year, department, limit, offset)
    return {"year": year, "total": total, "limit": limit, "offset": offset, "items": items}


def _figures(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    tallies, department, direction = row["tallies"], row["department"], row["direction"]
    return {
        "department": department,
        "department_name": names.get(department) if department else None,
        "direction": direction,
        "direction_label": label(DIRECTION_LABELS, direction),
        **{count: row[count] for count in (*statistics.COUNTS, "branches")},
        "by_state": _tally(STATE_LABELS, list(ProjectState), tallies.get("state", {})),
        "by_grade": _tally(GRADE_LABELS, list(Grade), tallies.get("grade", {})),
        "colours": _tally(COLOUR_LABELS, list(Colour), tallies.get("colour", {})),
        "completion_rate": _rate(row["milestones_met"], row["milestones"]),
        "coverage_rate": _rate(row["branches_with_project"], row["branches"]),
    }


def _tally(labels: dict[Any, str], codes: list[Any], counts: dict[str, int]) -> list[dict[str, Any]]:
    """Every code of the vocabulary, in its order, then any new to it."""
    ordered = [str(c) for c in codes] + sorted(set(counts) - {str(c) for c in codes})
    return [{"code": c, "label": label(labels, c), "count": counts.get(c, 0)} for c in ordered]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
