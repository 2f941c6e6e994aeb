"""Integer parameters bounded by the programme and by PostgreSQL's integers: past them a 422, not a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

FIRST_YEAR, LAST_YEAR = 2000, 2100  # a topic's year is one of these (services/filing/schemas.py)
LAST_POSITION = 2**63 - 1  # notification ids are bigints
MAX_FEED_PAGE = 1000

_YEAR = f"a programme year, {FIRST_YEAR}–{LAST_YEAR}"

YearFilter = Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR, description=_YEAR)]
YearInPath = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR, description=_YEAR)]
After = Annotated[
    int, Query(ge=0, le=LAST_POSITION, description="the position of the last event you read (next_after); 0 first")
]
FeedPage = Annotated[int, Query(ge=1, le=MAX_FEED_PAGE, description=f"at most this many events, 1–{MAX_FEED_PAGE}")]
