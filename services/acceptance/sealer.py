"""Seals notices whose period has ended, so the ledger closes on time even if nobody acts on it."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from services.acceptance.app import AcceptanceApplication

log = logging.getLogger("vanguard.acceptance.sealer")


class NoticeSealer:
    """Every `interval` seconds, records NoticeClosed for each notice past its period (idempotent)."""

    def __init__(self, app: AcceptanceApplication, interval: float = 1.0) -> None:
        self.app = app
        self.interval = interval

    async def run(self, pool: asyncpg.Pool, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await asyncio.to_thread(self.app.seal_due_notices)
            except Exception:  # a database outage must not end the sealer
                log.exception("sealing notices failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)
