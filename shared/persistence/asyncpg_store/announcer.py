"""NOTIFY listeners that a table has new rows, after the writes and coalesced.

A NOTIFY inside each write would serialise every writer through its commit (PostgreSQL holds a
global lock from a NOTIFYing transaction's pre-commit until it has committed). Instead a writer
calls `poke()` once committed: the first poke NOTIFYs at once from a pool connection, and pokes
in the following window are answered by one more NOTIFY when it ends. The window is 1 ms while
writes are sparse (each is announced at once) and doubles, up to 10 ms, while they come in
bursts: then a listener (the relay) is busy reading anyway, and NOTIFYs would only cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from shared.persistence.asyncpg_store.pool import ConnectionPool

log = logging.getLogger(__name__)

MIN_WINDOW = 0.001  # seconds
MAX_WINDOW = 0.010
# Nothing to keep: its commit need not wait for a WAL flush (it would take turns with the writes').
_NOTIFY = "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')"


class Announcer:
    def __init__(self, pool: ConnectionPool, channel: str) -> None:
        self._pool = pool
        self._channel = channel
        self._pending = False
        self._pokes = 0
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        """Rows were committed (call on the pool's loop)."""
        self._pending = True
        self._pokes += 1
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        window = MIN_WINDOW
        try:
            while self._pending:
                self._pending = False
                self._pokes = 0
                try:
                    async with self._pool.lease() as conn:
                        await conn.execute(_NOTIFY, self._channel)
                except Exception as error:  # listeners also poll now and then: log, carry on
                    log.warning("NOTIFY %s failed: %s", self._channel, error)
                await asyncio.sleep(window)
                window = min(window * 2, MAX_WINDOW) if self._pokes > 1 else MIN_WINDOW
        finally:
            self._task = None

    async def close(self) -> None:
        task, self._task = self._task, None
        self._pending = False
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
