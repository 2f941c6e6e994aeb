"""The event feed auditors read: every event of a service instance, in recorded order."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.api.bounds import LAST_POSITION, MAX_FEED_PAGE
from shared.errors import InvalidInput

if TYPE_CHECKING:
    from eventsourcing.application import Application

    from shared.messaging.envelopes import EnvelopeFactory


def event_feed(app: Application[UUID], envelopes: EnvelopeFactory, after: int, limit: int) -> dict[str, Any]:
    """A page of envelopes after a position; positions are bigints, so one past them is refused, not sent."""
    if not 0 <= after <= LAST_POSITION:
        raise InvalidInput(f"after: a position from 0 to {LAST_POSITION}")
    if not 1 <= limit <= MAX_FEED_PAGE:
        raise InvalidInput(f"limit: from 1 to {MAX_FEED_PAGE} events")
    page = app.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)
    events = [asdict(envelopes.envelope(n)) for n in page]
    last = page[-1].id if page else after
    return {"events": events, "next_after": last, "more": len(page) == limit}
