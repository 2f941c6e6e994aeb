"""How far a notification log is settled, and where a page read from it stops being safe.

Writers take notification ids from a sequence and commit in any order, so a reader can see id
n + 1 while n is still in flight. A missing id is either in flight (it will appear) or never
committed (its transaction rolled back, say on an optimistic-concurrency conflict). Until that
is known, nothing after it may be handed out: a reader that moved past it would never see it.

`settled` is the highest id at or below which every id is visible or never will be. It only
grows: from pages without gaps, and from a barrier (`sql.EventsSQL.barrier`) that waits for
the writers in flight and reports the highest id taken before it.

Pure bookkeeping, no I/O; the recorder does the reading and the waiting.
"""

from __future__ import annotations

from collections.abc import Sequence


class Horizon:
    def __init__(self) -> None:
        self.settled = 0

    def first_gap(self, after: int, ids: Sequence[int]) -> int | None:
        """The index in `ids` (ascending, all > `after`) of the first id past an unsettled gap."""
        expected = max(after, self.settled) + 1
        if not ids or ids[-1] < expected:
            return None
        if ids[0] == expected and ids[-1] == expected + len(ids) - 1:
            return None  # ascending and distinct: contiguous
        for index, notification_id in enumerate(ids):
            if notification_id < expected:
                continue  # at or below the settled mark
            if notification_id != expected:
                return index
            expected += 1
        return None

    def read(self, after: int, ids: Sequence[int]) -> None:
        """`ids` after `after` have no unsettled gap (a page, or the part of one before its first
        gap): when they join the settled part, extend it."""
        if ids and after <= self.settled:
            self.advance(ids[-1])

    def advance(self, notification_id: int) -> None:
        self.settled = max(self.settled, notification_id)
