"""Public pages (no sign-in): a project's record once its acceptance notice (公示) is published.

The acceptance service's casebook links here; these pages link only to public pages.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.projection import public_responses as r
from services.projection.provenance import public_record
from shared.api import app_state
from shared.api.routes import service_router
from shared.errors import InvalidInput, NotFound

Pool = Annotated[asyncpg.Pool, app_state("pool")]
Timezone = Annotated[dt.tzinfo, app_state("timezone")]
router = service_router()
PUBLIC = "公开 public (no account)"
TEMPLATES = Path(__file__).resolve().parent / "templates"
# What branches wrote is text on these pages, never markup; and nothing on them may run.
SAFE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


async def _record(pool: asyncpg.Pool, project_id: str, tz: dt.tzinfo) -> dict[str, Any]:
    try:
        pid = str(UUID(project_id))
    except ValueError:
        raise InvalidInput(f"'{project_id}' is not a valid project id (a UUID)") from None
    async with pool.acquire() as conn:
        record = await public_record(conn, pid, tz)
    if record is None:
        raise NotFound(f"project {pid} has no published acceptance notice (公示); its record is not public yet")
    return record


@functools.cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)


# Declared before the JSON route: its path parameter would match "<id>.html" too.
@router.get("/public/projects/{project_id}.html", tags=[PUBLIC], response_class=Response, responses=r.HTML_PAGE)
async def public_project_page(project_id: str, pool: Pool, tz: Timezone) -> Response:
    """A project's public record as a web page (from its acceptance notice on)."""
    record = await _record(pool, project_id, tz)
    html = _environment().get_template("public_project.html").render(p=record)
    return Response(html, media_type="text/html; charset=utf-8", headers=SAFE_HEADERS)


@router.get("/public/projects/{project_id}", tags=[PUBLIC], response_model=r.PublicRecord)
async def public_project(project_id: str, pool: Pool, tz: Timezone) -> dict[str, Any]:
    """A project's public record: its key events with their dates (from its acceptance notice on)."""
    return await _record(pool, project_id, tz)
