"""The programme's clock: the system's, or a manual one kept in a database.

The manual clock lets a rehearsal or a test move time forward ("it is now 1 July") for every
service at once: all of them read it from one table, in the database named by VANGUARD_CLOCK_DSN
(`./vanguard up` makes one). A service started without that DSN keeps a clock of its own in its
event store's database.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from shared.auth import Principal, Role
from shared.errors import InvalidInput, InvalidTransition

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

    def __init__(self, datastore: AsyncpgDatastore, *, own: bool = False) -> None:
        self.datastore = datastore
        self.own = own  # a datastore of the clock's own (the shared clock database), not the event store's
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


def make_clock(kind: str, recorder: object, dsn: str = "") -> Clock:
    """The clock a service is configured with: "system", or "manual" (kept in the database at `dsn`,
    shared by every service; without one, in the service's own event store's database)."""
    if kind == "system":
        return SystemClock()
    if kind == "manual" and dsn:
        from shared.persistence.asyncpg_store import AsyncpgDatastore

        return ManualClock(AsyncpgDatastore(dsn, pool_size=2), own=True)
    if kind == "manual":
        datastore = getattr(recorder, "datastore", None)
        if datastore is None:
            raise InvalidInput("the manual clock needs the asyncpg event store")
        return ManualClock(datastore)
    raise InvalidInput(f"unknown clock '{kind}'; use system or manual")


class ProgrammeClock:
    """The clock with the programme's timezone: what a service tells and moves (GET/POST /clock)."""

    def __init__(self, clock: Clock, timezone: str = "Asia/Shanghai") -> None:
        self.clock = clock
        self.tz = ZoneInfo(timezone)

    def now(self) -> dt.datetime:
        """The programme's time, in its timezone (the manual clock's, in rehearsals)."""
        return self.clock.now().astimezone(self.tz)

    def set(self, who: Principal, now: dt.datetime) -> dt.datetime:
        """Move the manual clock (admin); the system clock cannot be moved."""
        who.require_role(Role.ADMIN)
        if not isinstance(self.clock, ManualClock):
            raise InvalidTransition(
                f"this instance runs on the {self.clock.kind} clock, which cannot be set; "
                "start it with VANGUARD_CLOCK=manual to move time by hand"
            )
        self.clock.set(now if now.tzinfo else now.replace(tzinfo=self.tz))
        return self.now()

    @property
    def datastore(self) -> AsyncpgDatastore | None:
        """The shared clock's own connection pool, if it has one (to attach to the server's loop)."""
        return self.clock.datastore if isinstance(self.clock, ManualClock) and self.clock.own else None
