"""A live, in-process index of a service's aggregates for list queries.

Before answering, it reads the event store's notification log from where it left off (usually
nothing new: one cheap query), so a list always includes the caller's own writes.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.domain import VanguardAggregate

if TYPE_CHECKING:
    from eventsourcing.application import Application

_PAGE = 1000


class LiveIndex:
    def __init__(self, app: Application[UUID]) -> None:
        self._app = app
        self._position = 0
        self._aggregates: dict[UUID, VanguardAggregate] = {}
        self._lock = threading.Lock()

    def catch_up(self) -> None:
        # No lock is held while reading: two requests on one event loop (bridge greenlets on
        # one thread) would deadlock on it. Concurrent readers may read the same page; the
        # lock around applying it makes each notification count once, whoever applies it.
        while True:
            page = self._app.recorder.select_notifications(start=self._position, limit=_PAGE, inclusive_of_start=False)
            with self._lock:
                for notification in page:
                    if notification.id <= self._position:
                        continue
                    domain_event = self._app.mapper.to_domain_event(notification)
                    current = self._aggregates.get(domain_event.originator_id)
                    self._aggregates[domain_event.originator_id] = domain_event.mutate(current)
                    self._position = notification.id
            if len(page) < _PAGE:
                return

    def select(self, kind: type[VanguardAggregate], **criteria: Any) -> list[VanguardAggregate]:
        """Aggregates of a kind whose attributes equal every criterion that is not None."""
        self.catch_up()
        wanted = {k: v for k, v in criteria.items() if v is not None}
        return [
            a
            for a in list(self._aggregates.values())
            if isinstance(a, kind) and all(getattr(a, k, None) == v for k, v in wanted.items())
        ]
