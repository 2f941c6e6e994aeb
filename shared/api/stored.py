"""`GET /audit/stored`: the instance's event store as it is kept, row for row (position, originator,
version, topic, state as base64), for the auditors' export and live verification. The hash chain is
over exactly these bytes, so a verifier needs them, not the envelopes of `GET /events`."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import Field

from shared.api.bounds import After
from shared.api.deps import CurrentPrincipal
from shared.api.routes import service_router
from shared.auth import Role
from shared.errors import NotFound
from shared.views import View

MAX_STORED_PAGE = 10_000
router = service_router()


class StoredRow(View):
    position: int = Field(description="the notification id")
    originator_id: str
    originator_version: int
    topic: str = Field(examples=["services.filing.domain:Project.Approved"])
    state: str = Field(description="the stored bytes, base64")


class StoredPage(View):
    events: list[StoredRow]
    next_after: int = Field(description="the position of the last event on this page")
    more: bool = Field(description="the page is full: there may be more after next_after")
    last: int = Field(description="the highest position recorded when this page was read")


@router.get("/audit/stored", response_model=StoredPage, tags=["audit"])
def stored(
    who: CurrentPrincipal,
    request: Request,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_STORED_PAGE, description=f"1–{MAX_STORED_PAGE} events")] = 1000,
) -> dict[str, Any]:
    """The stored events after a position, exactly as kept (auditor, admin)."""
    who.require_role(Role.AUDITOR, Role.ADMIN)
    recorder = getattr(request.app.state, "audited_recorder", None)
    if recorder is None:
        raise NotFound("this service keeps no event store of its own")
    last = recorder.max_notification_id() or 0
    page = recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)
    rows = [
        {
            "position": n.id,
            "originator_id": str(n.originator_id),
            "originator_version": n.originator_version,
            "topic": n.topic,
            "state": base64.b64encode(n.state).decode(),
        }
        for n in page
    ]
    return {
        "events": rows,
        "next_after": page[-1].id if page else after,
        "more": len(page) == limit,
        "last": max(last, page[-1].id if page else 0),
    }
