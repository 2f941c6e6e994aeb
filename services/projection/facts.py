"""What the handlers read off an envelope, and what they wait for."""

from __future__ import annotations

import datetime as dt

import asyncpg

from shared.contracts import Envelope
from shared.messaging.inbox import NotReady


def recorded_at(e: Envelope) -> dt.datetime:
    """When the source recorded the event (its store's clock)."""
    return dt.datetime.fromisoformat(e.occurred_at)


def programme_time(e: Envelope, field: str = "at") -> dt.datetime:
    """The programme time the event carries (the manual clock's, in rehearsals), else when it was recorded."""
    value = e.payload.get(field)
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else recorded_at(e)


async def known_project(conn: asyncpg.Connection, project_id: str) -> None:
    """Inspection's and acceptance's events may overtake filing's: wait until the project is here."""
    if not await conn.fetchval("SELECT 1 FROM projects WHERE id = $1", project_id):
        raise NotReady(f"project:{project_id}")
