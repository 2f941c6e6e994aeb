"""The programme's clock: the system's, or a manual one kept in the inspection database.

The manual clock lets a demonstration or a test move time forward ("it is now 1 July") for the
API and the consumer processes alike, since both read it from the same table.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol

from shared.errors import InvalidInput

if TYPE_CHECKING:
    from shared.persistence.asyncpg_store import AsyncpgDatastore

SCHEMA = """
CREATE TABLE IF NOT EXISTS manual_clock (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    now timestamptz NOT NULL
)
"""


class Clock(Protocol):
    kind: str

    def now(self) -> dt.datetime: ...


class SystemClock:
    kind = "system"

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """Stands still at the time last set; until it is set, it tells the system's time."""

    kind = "manual"

    def __init__(self, datastore: AsyncpgDatastore) -> None:
        self.datastore = datastore
        self.datastore.run(self._execute(SCHEMA))

    def now(self) -> dt.datetime:
        stored = self.datastore.run(self._fetchval("SELECT now FROM manual_clock"))
        return stored or dt.datetime.now(dt.UTC)

    def set(self, now: dt.datetime) -> None:
        self.datastore.run(
            self._execute(
                "INSERT INTO manual_clock (id, now) VALUES (true, $1) "
                "ON CONFLICT (id) DO UPDATE SET now = EXCLUDED.now",
                now,
            )
        )

    async def _execute(self, statement: str, *args: object) -> None:
        async with self.datastore.pool.lease() as conn:
            await conn.execute(statement, *args)

    async def _fetchval(self, statement: str) -> dt.datetime | None:
        async with self.datastore.pool.lease() as conn:
            return await conn.fetchval(statement)


def make_clock(kind: str, recorder: object) -> Clock:
    """The clock a service is configured with: "system", or "manual" (kept in its event store's database)."""
    if kind == "system":
        return SystemClock()
    if kind == "manual":
        datastore = getattr(recorder, "datastore", None)
        if datastore is None:
            raise InvalidInput("the manual clock needs the asyncpg event store")
        return ManualClock(datastore)
    raise InvalidInput(f"unknown clock '{kind}'; use system or manual")
