"""The auditors' event feed refuses positions and page sizes the event store cannot be asked for."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import InvalidInput
from shared.messaging.feed import event_feed

NO_STORE: Any = None  # refused before the store is asked


@pytest.mark.parametrize("after", [-1, 2**63, 10**20])
def test_a_position_outside_a_bigint_is_refused_before_the_store_is_asked(after: int) -> None:
    with pytest.raises(InvalidInput, match=r"^after: a position from 0 to 9223372036854775807$"):
        event_feed(NO_STORE, NO_STORE, after, 100)


@pytest.mark.parametrize("limit", [0, 1001, 10**20])
def test_a_page_size_outside_1_to_1000_is_refused(limit: int) -> None:
    with pytest.raises(InvalidInput, match=r"^limit: from 1 to 1000 events$"):
        event_feed(NO_STORE, NO_STORE, 0, limit)
