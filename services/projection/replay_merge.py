"""The stores' streams merged into one, as a replay applies it: by when each event was recorded,
then its position, then its store, each store's own order kept. The order depends only on the
stores' contents, so two replays of the same stores apply the same events in the same order."""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
from collections.abc import AsyncIterator

from services.projection import replay_decoder
from services.projection.replay_sources import PAGE, Item, StoreReader
from shared.contracts import Envelope

_AHEAD = 2  # pages decoded ahead of the merge, per store


async def merged(readers: list[StoreReader], batch: int = PAGE) -> AsyncIterator[list[Envelope]]:
    """Every store's envelopes in that order, `batch` at a time (the last fewer). Each store is read
    and decoded a few pages ahead, beside the caller's work on what it was given (a large store by a
    process of its own, replay_decoder)."""
    queues = [asyncio.Queue[list[Item] | None](maxsize=_AHEAD) for _ in readers]
    tasks = [asyncio.create_task(_fill(reader, queue)) for reader, queue in zip(readers, queues, strict=True)]
    try:
        pages: list[list[Item]] = [[] for _ in readers]
        cursors = [0] * len(readers)
        heads: list[tuple[dt.datetime, int, int]] = []

        async def refill(i: int) -> None:
            while cursors[i] >= len(pages[i]):
                page = await _next(queues[i], tasks[i])
                if page is None:
                    return
                pages[i], cursors[i] = page, 0
            when, position, index, _ = pages[i][cursors[i]]
            heapq.heappush(heads, (when, position, index))

        for i in range(len(readers)):
            await refill(i)
        run: list[Envelope] = []
        while heads:
            _, _, i = heapq.heappop(heads)
            page, start = pages[i], cursors[i]
            # Take this store's events for as long as they come before every other store's head.
            bound = heads[0] if heads else None
            end = start + 1
            while end < len(page) and (bound is None or page[end][:3] < bound):
                end += 1
            run.extend(item[3] for item in page[start:end])
            cursors[i] = end
            while len(run) >= batch:
                yield run[:batch]
                del run[:batch]
            await refill(i)
        if run:
            yield run
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _fill(reader: StoreReader, queue: asyncio.Queue[list[Item] | None]) -> None:
    elsewhere = reader.events >= replay_decoder.ELSEWHERE_FROM
    pages = replay_decoder.decoded_elsewhere(reader) if elsewhere else reader.decoded_pages()
    async for page in pages:
        await queue.put(page)
    await queue.put(None)


async def _next(queue: asyncio.Queue[list[Item] | None], task: asyncio.Task[None]) -> list[Item] | None:
    """The next page, or None at the end; the reader's failure, if it failed."""
    if queue.empty() and task.done():
        task.result()  # raises the reader's error
        if queue.empty():
            return None
    getting = asyncio.ensure_future(queue.get())
    await asyncio.wait({getting, task}, return_when=asyncio.FIRST_COMPLETED)
    if getting.done():
        return getting.result()
    getting.cancel()
    task.result()
    return queue.get_nowait() if not queue.empty() else None
