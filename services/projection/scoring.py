"""Live (provisional) scores of a period: the events applied so far, folded and scored on demand.

Scoring adds nothing to the handling of an event but one index entry (the audit trail's applied
order): the facts are read back from the audit trail when scores are asked for. A result is kept
until another event is applied (the watermark moves), an adjustment is decided (the book's version)
or the programme's date moves. The events read are kept too, so that a read after new events
fetches only those (the projection has one consumer, whose batches commit in the order of their
applied numbers: nothing lands below the watermark once it is read). Decoding, folding and scoring
run in a worker thread, one computation at a time, the cyclic garbage collector paused meanwhile;
readers who arrive meanwhile wait for its result. Scores as of a past moment (`?as_of=`) are computed
afresh each time and not kept (scores_at).
`./vanguard bench assessment` measures it at the seed's scale.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.projection import assessment_reads as reads
from services.projection import roster_handlers, time_travel
from services.projection.assessment.fold import BranchEntry, Event, SubjectAdjustment, fold
from services.projection.assessment.period import PeriodScores, as_data, score_period
from services.projection.assessment.scheme import Scheme, SchemeRegistry

KEPT = 8  # results kept: a few periods under a few schemes
PERIODS_KEPT = 2  # periods whose events are kept for the next read


@dataclass(frozen=True)
class _Key:
    period: int
    scheme: str
    watermark: int
    adjustments: int
    as_of: dt.date


@dataclass(frozen=True)
class Live:
    """A period's live scores, and the same as plain data (what the API answers): never changed."""

    scores: PeriodScores
    data: Mapping[str, list[dict[str, Any]]]


@dataclass
class _Read:
    watermark: int
    events: list[Event]


class LiveScores:
    def __init__(self, registry: SchemeRegistry, current: str, timezone: dt.tzinfo) -> None:
        self.registry, self.current, self.timezone = registry, current, timezone
        self._kept: OrderedDict[_Key, Live] = OrderedDict()
        self._read: OrderedDict[int, _Read] = OrderedDict()
        self._one_at_a_time = asyncio.Lock()

    def scheme(self, version: str | None = None) -> Scheme:
        return self.registry.get(version or self.current)

    async def scores(
        self,
        pool: asyncpg.Pool,
        period: int,
        scheme: Scheme,
        adjustments: Sequence[SubjectAdjustment],
        adjustments_version: int,
        as_of: dt.date,
    ) -> Live:
        """The live scores; a reader waits for the one computing before it takes a connection."""
        async with self._one_at_a_time, pool.acquire() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                watermark = await reads.watermark(conn)
                key = _Key(period, scheme.version, watermark, adjustments_version, as_of)
                found = self._kept.get(key)
                if found is not None:
                    self._kept.move_to_end(key)
                    return found
                kept = self._read.get(period)
                if kept is None or watermark < kept.watermark:  # the audit trail was rebuilt: all again
                    kept = _Read(0, [])
                rows = await reads.period_rows(conn, period, kept.watermark, watermark)
                branches, departments = await reads.roster(conn)
            computed, events = await asyncio.to_thread(
                _compute, scheme, period, kept.events, rows, self.timezone, branches, departments, adjustments, as_of
            )
            self._read[period] = _Read(watermark, events)
            self._read.move_to_end(period)
            while len(self._read) > PERIODS_KEPT:
                self._read.popitem(last=False)
            self._kept[key] = computed
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
            return computed

    async def scores_at(
        self,
        pool: asyncpg.Pool,
        period: int,
        scheme: Scheme,
        adjustments: Sequence[SubjectAdjustment],
        moment: dt.datetime,
    ) -> Live:
        """The scores as they stood at `moment` (?as_of=): the period's events recorded by then, the roster
        as it stood (its events replayed, services/projection/time_travel.py), dated the moment's day in
        the programme's timezone. Computed afresh each time, one computation at a time with the live ones."""
        async with pool.acquire() as conn:
            rows = await reads.period_rows_at(conn, period, moment)
        async with time_travel.reading(pool, moment, types=list(roster_handlers.HANDLERS)) as conn:
            branches, departments = await reads.roster(conn)
        day = moment.astimezone(self.timezone).date()
        async with self._one_at_a_time:
            computed, _ = await asyncio.to_thread(
                _compute, scheme, period, [], rows, self.timezone, branches, departments, adjustments, day
            )
        return computed


@contextlib.contextmanager
def _no_cyclic_collection() -> Iterator[None]:
    """Tens of thousands of objects are made and kept at once: the cyclic collector would traverse
    them again and again (half the time of a recompute, measured) and free none of them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compute(
    scheme: Scheme,
    period: int,
    kept: list[Event],
    rows: list[asyncpg.Record],
    timezone: dt.tzinfo,
    branches: list[BranchEntry],
    departments: dict[str, str],
    adjustments: Sequence[SubjectAdjustment],
    as_of: dt.date,
) -> tuple[Live, list[Event]]:
    """In a worker thread: the new rows decoded, every event folded, scored, and made plain data."""
    with _no_cyclic_collection():
        events = kept + [reads.event(row, timezone) for row in rows]
        scores = score_period(scheme, fold(period, events, branches, departments, adjustments), as_of)
        return Live(scores, as_data(scores)), events
