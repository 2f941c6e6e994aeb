"""The projection's query API: project overviews and audit trails."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import Query, Response

from services.projection import queries, time_travel
from services.projection import responses as r
from services.projection.as_of import AsOf
from services.projection.vocabulary import Grade
from shared.api import CurrentPrincipal, app_state
from shared.api.bounds import LAST_POSITION, YearFilter
from shared.api.routes import service_router
from shared.auth import Principal, Role
from shared.auth.principal import CROSS_DEPARTMENT_READERS
from shared.errors import Forbidden, InvalidInput, NotFound

Pool = Annotated[asyncpg.Pool, app_state("pool")]
router = service_router()


def _uuid(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise InvalidInput(f"'{value}' is not a valid project id (a UUID)") from None


TOTAL_COUNT = "X-Total-Count"
_COUNTED = {200: {"headers": {TOTAL_COUNT: {"description": "how many match in all", "schema": {"type": "integer"}}}}}


@router.get("/projects", response_model=list[r.ProjectOverview], tags=["overview"], responses=_COUNTED)
async def list_projects(
    pool: Pool,
    who: CurrentPrincipal,
    as_of: AsOf,
    response: Response,
    department: str | None = None,
    branch: str | None = None,
    direction: str | None = None,
    year: YearFilter = None,
    state: str | None = None,
    grade: Grade | None = None,
    in_casebook: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many, 1–1000")] = 1000,
    offset: Annotated[int, Query(ge=0, le=LAST_POSITION, description="skip this many first")] = 0,
) -> list[dict[str, Any]]:
    """Project overviews you may read, filtered (state: filing's, or the acceptance stage; grade: 验收等次),
    a page at a time in the order they were drafted; X-Total-Count tells how many match. as_of: as they were then."""
    async with time_travel.reading(pool, as_of) as conn:
        total, rows = await queries.projects(
            conn,
            _readable(who),
            limit=limit,
            offset=offset,
            department=department,
            branch=branch,
            direction=direction,
            year=year,
            state=state,
            grade=grade and grade.value,
            in_casebook=in_casebook,
        )
    response.headers[TOTAL_COUNT] = str(total)
    return rows


def _readable(who: Principal) -> dict[str, str | None]:
    """The projects the caller may read (who.may_read), as conditions on their columns."""
    if who.role in CROSS_DEPARTMENT_READERS:
        return {}
    if who.role == Role.COMMITTEE:
        return {"department": who.department}
    return {"department": who.department, "branch": who.branch}


@router.get("/projects/{project_id}", response_model=r.ProjectDetail, tags=["overview"])
async def get_project(project_id: str, pool: Pool, who: CurrentPrincipal, as_of: AsOf) -> dict[str, Any]:
    """One project's overview: state, milestones with progress, tasks, colours, inspections, acceptance;
    as_of: as it was then."""
    found = _uuid(project_id)
    async with time_travel.reading(pool, as_of, project_id=found) as conn:
        row = await queries.project_detail(conn, found)
    if row is None:
        then = f"as of {as_of.isoformat()} (not drafted by then, or unknown)" if as_of else "(yet)"
        raise NotFound(f"no project {project_id} in the projection {then}")
    if not who.may_read(row["department"], row["branch"]):
        raise Forbidden("you may not read this project")
    return row


@router.get("/projects/{project_id}/audit-trail", response_model=list[r.AuditEntry], tags=["audit"])
async def project_audit_trail(project_id: str, pool: Pool, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every event of a project, in order, with actor, time and source."""
    async with pool.acquire() as conn:
        row = await queries.project(conn, _uuid(project_id))
        if row is None:
            raise NotFound(f"no project {project_id} in the projection (yet)")
        if not who.may_read(row["department"], row["branch"]):
            raise Forbidden("you may not read this project")
        return await queries.audit_trail(conn, project_id=_uuid(project_id))


@router.get("/departments/{department}/audit-trail", response_model=list[r.AuditEntry], tags=["audit"])
async def department_audit_trail(
    department: str,
    pool: Pool,
    who: CurrentPrincipal,
    branch: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Every event of a department, or of one of its branches, in order."""
    if not who.may_read(department, branch):
        raise Forbidden(f"you may not read the audit trail of {department}/{branch or '*'}")
    async with pool.acquire() as conn:
        return await queries.audit_trail(
            conn,
            department=department,
            branch=branch,
            readers_branch=who.branch,
            branch_scoped=not _reads_every_branch(who),
            limit=limit,
        )


def _reads_every_branch(who: Principal) -> bool:
    """Committees read their whole department, cross-department roles every department; a secretary
    or a member reads their own branch's records and the department-wide ones only."""
    return who.role == Role.COMMITTEE or who.role in CROSS_DEPARTMENT_READERS
