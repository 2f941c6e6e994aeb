"""Aggregates this process saved last, kept to spare the next command reading them back.

An entry is a true state of its aggregate at its version (events are never changed), but maybe
not the latest: another worker or instance may have saved since. So it is used only for a command
that expects exactly that version, and it is checked out while the command runs (two commands of
one process never share an object). If the aggregate did move on, the command's save conflicts on
(originator_id, originator_version) and falls back to reading the store, as without the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar
from uuid import UUID

from shared.domain import VanguardAggregate

A = TypeVar("A", bound=VanguardAggregate)

SAVED_AGGREGATES = 4096  # entries per application (the least recently saved go first)


class SavedAggregates:
    def __init__(self, size: int = SAVED_AGGREGATES) -> None:
        self._size = size
        self._entries: OrderedDict[UUID, VanguardAggregate] = OrderedDict()

    def check_out(self, cls: type[A], aggregate_id: UUID, version: int) -> A | None:
        """The saved aggregate if it is a `cls` at `version`, removed until checked in again."""
        aggregate = self._entries.pop(aggregate_id, None)
        if isinstance(aggregate, cls) and aggregate.version == version:
            return aggregate
        return None

    def check_in(self, aggregate: VanguardAggregate) -> None:
        """`aggregate` was just saved (nothing pending)."""
        if self._size <= 0:
            return
        self._entries[aggregate.id] = aggregate
        self._entries.move_to_end(aggregate.id)
        while len(self._entries) > self._size:
            try:
                self._entries.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break
