"""NOTIFY listeners that a table has new rows, after the writes and coalesced.

A NOTIFY inside each write would serialise every writer through its commit (PostgreSQL holds a
global lock from a NOTIFYing transaction's pre-commit until it has committed). Instead a writer
calls `poke()` once committed: the first poke NOTIFYs at once from a pool connection, and pokes
during the following `interval` are answered by one more NOTIFY at its end. A listener so hears
of every write within about `interval`, and a busy store sends at most one NOTIFY per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from shared.persistence.asyncpg_store.pool import ConnectionPool

log = logging.getLogger(__name__)

ANNOUNCE_INTERVAL = 0.001  # seconds


class Announcer:
    def __init__(self, pool: ConnectionPool, channel: str, interval: float = ANNOUNCE_INTERVAL) -> None:
        self._pool = pool
        self._channel = channel
        self._interval = interval
        self._pending = False
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        """Rows were committed (call on the pool's loop)."""
        self._pending = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self._pending:
                self._pending = False
                try:
                    async with self._pool.lease() as conn:
                        await conn.execute("SELECT pg_notify($1, '')", self._channel)
                except Exception as error:  # listeners also poll now and then: log, carry on
                    log.warning("NOTIFY %s failed: %s", self._channel, error)
                await asyncio.sleep(self._interval)
        finally:
            self._task = None

    async def close(self) -> None:
        task, self._task = self._task, None
        self._pending = False
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
