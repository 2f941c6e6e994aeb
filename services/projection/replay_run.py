"""A replay, start to end: the stores opened, their events merged and applied to a fresh database
(`replay_into`), and the result compared with live's (`check`). What `./vanguard audit replay`
runs, and what the benchmark times."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from services.projection.replay_apply import Counts, Replayer
from services.projection.replay_compare import TableCheck, compare, session
from services.projection.replay_merge import merged
from services.projection.replay_sources import Skipped, Store, StoreReader, connect

BATCH = 5000  # events per transaction, at most


@dataclass
class Replayed:
    """What a replay read and did."""

    dsn: str
    stores: list[tuple[Store, int, int]] = field(default_factory=list)  # (store, events, horizon)
    events: int = 0  # applied
    seconds: float = 0.0
    counts: Counts = field(default_factory=Counts)
    skipped: list[Skipped] = field(default_factory=list)
    waiting: int = 0
    dead_letters: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def open_stores(stores: list[Store]) -> list[StoreReader]:
    """Every store opened (its horizon taken), in a fixed order; a ReplayError if any cannot be."""
    readers = [StoreReader(store, i) for i, store in enumerate(sorted(stores, key=lambda s: s.name))]
    opened = await asyncio.gather(*(r.open() for r in readers), return_exceptions=True)
    failed = [o for o in opened if isinstance(o, BaseException)]
    if failed:
        await asyncio.gather(*(r.close() for r in readers), return_exceptions=True)
        raise failed[0]
    return readers


async def replay_into(
    readers: list[StoreReader], dsn: str, batch: int = BATCH, progress: Callable[[int, int], None] | None = None
) -> Replayed:
    """Replay the opened stores into the empty database `dsn`; `progress(done, total)` as it goes.
    Closes the stores."""
    result = Replayed(dsn, [(r.store, r.events, r.horizon) for r in readers])
    total = sum(r.events for r in readers)
    try:
        conn = await connect(dsn, "the replay database")
        try:
            replayer = Replayer(conn)
            await replayer.prepare()
            started = time.perf_counter()
            async for envelopes in merged(readers, batch):
                await replayer.apply(envelopes)
                result.events += len(envelopes)
                if progress is not None:
                    progress(result.events + sum(len(r.skipped) for r in readers), total)
            result.seconds = time.perf_counter() - started
            result.counts = replayer.counts
            result.waiting = await conn.fetchval("SELECT count(*) FROM inbox_waiting")
            result.dead_letters = await conn.fetchval("SELECT count(*) FROM inbox_dead_letters")
        finally:
            await conn.close()
    finally:
        await asyncio.gather(*(r.close() for r in readers), return_exceptions=True)
    result.skipped = [s for r in readers for s in r.skipped]
    return result


async def rebuild(
    stores: list[Store], dsn: str, batch: int = BATCH, progress: Callable[[int, int], None] | None = None
) -> Replayed:
    """Replay every store into the empty database `dsn`."""
    return await replay_into(await open_stores(stores), dsn, batch, progress)


async def check(live_dsn: str, replayed_dsn: str) -> list[TableCheck]:
    """Every read model of the replay against live's."""
    live = await connect(live_dsn, "the live projection")
    try:
        replayed = await connect(replayed_dsn, "the replay database")
        try:
            await session(live)
            await session(replayed)
            return await compare(live, replayed)
        finally:
            await replayed.close()
    finally:
        await live.close()
