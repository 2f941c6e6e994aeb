"""审计: one feed of every event of every service and department, in the order the projection
applied them, for auditors. Paged by cursor (`after`: the last `applied_seq` read), never by offset,
and filtered in SQL by department, branch, project, actor, type and a time range."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import Query
from pydantic import Field

from services.projection.queries import rows
from services.projection.responses import AuditEntry
from shared.api import CurrentPrincipal, app_state
from shared.api.bounds import LAST_POSITION
from shared.api.routes import service_router
from shared.auth import Role
from shared.errors import InvalidInput
from shared.views import View

Pool = Annotated[asyncpg.Pool, app_state("pool")]
Code = Annotated[str | None, Query(max_length=200)]
router = service_router()
MAX_PAGE = 1000

_FEED = """
SELECT * FROM audit_trail
WHERE applied_seq > $1
  AND ($2::text IS NULL OR department = $2)
  AND ($3::text IS NULL OR branch = $3)
  AND ($4::uuid IS NULL OR project_id = $4 OR aggregate_id = $4)
  AND ($5::text IS NULL OR actor->>'id' = $5)
  AND ($6::text IS NULL OR type = $6 OR type LIKE $6 || '.%')
  AND ($7::timestamptz IS NULL OR occurred_at >= $7)
  AND ($8::timestamptz IS NULL OR occurred_at < $8)
ORDER BY applied_seq
LIMIT $9
"""


class FeedPage(View):
    """A page of the auditors' feed; ask again with `after=next_after` for the next one."""

    items: list[AuditEntry]
    next_after: int = Field(description="the cursor to send as `after` next (the last event's applied_seq)")
    more: bool = Field(description="whether a full page came back: there may be more")


def _moment(value: str | None, what: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what} must be a time like 2026-06-30T18:00+08:00, not '{value}'") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{what} '{value}' has no offset; give one, such as +08:00")
    return moment


@router.get("/audit/events", response_model=FeedPage, tags=["audit"])
async def audit_feed(
    pool: Pool,
    who: CurrentPrincipal,
    after: Annotated[int, Query(ge=0, le=LAST_POSITION, description="the last applied_seq you read; 0 first")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 500,
    department: Code = None,
    branch: Code = None,
    project: Annotated[UUID | None, Query(description="a project's id: its own events and its aggregates'")] = None,
    actor: Code = None,
    type: Annotated[
        str | None, Query(max_length=200, description="a type, or its prefix: filing, filing.Project")
    ] = None,
    since: Annotated[
        str | None, Query(max_length=64, description="recorded at or after (ISO time with offset)")
    ] = None,
    until: Annotated[str | None, Query(max_length=64, description="recorded before (ISO time with offset)")] = None,
) -> dict[str, Any]:
    """Every event of every service and department in the order applied here, with its source
    instance and position, filtered; for auditors (and administrators)."""
    who.require_role(Role.AUDITOR, Role.ADMIN)
    start, end = _moment(since, "since"), _moment(until, "until")
    if start and end and end <= start:
        raise InvalidInput(f"until ({until}) must be after since ({since})")
    async with pool.acquire() as conn:
        found = rows(
            await conn.fetch(
                _FEED, after, department, branch, project, actor, type and type.rstrip("."), start, end, limit
            )
        )
    return {"items": found, "next_after": found[-1]["applied_seq"] if found else after, "more": len(found) == limit}
