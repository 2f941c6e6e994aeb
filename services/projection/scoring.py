"""Live (provisional) scores of a period: the events applied so far, folded and scored on demand.

Scoring adds nothing to the handling of an event: the facts are read back from the audit trail
when scores are asked for, and the result is kept for as long as no event has been applied since
(the audit trail's watermark), no adjustment decided (the book's version) and the programme's
date has not moved. A full recompute of a city's year takes about a second (`./vanguard bench
assessment`); repeated reads between events cost a watermark query.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from services.projection import assessment_reads as reads
from services.projection.assessment.fold import SubjectAdjustment, fold
from services.projection.assessment.period import PeriodScores, score_period
from services.projection.assessment.scheme import Scheme, SchemeRegistry

KEPT = 8  # results kept: a few periods under a few schemes


@dataclass(frozen=True)
class _Key:
    period: int
    scheme: str
    watermark: int
    adjustments: int
    as_of: dt.date


class LiveScores:
    def __init__(self, registry: SchemeRegistry, current: str, timezone: dt.tzinfo) -> None:
        self.registry, self.current, self.timezone = registry, current, timezone
        self._kept: OrderedDict[_Key, PeriodScores] = OrderedDict()

    def scheme(self, version: str | None = None) -> Scheme:
        return self.registry.get(version or self.current)

    async def scores(
        self,
        conn: asyncpg.Connection,
        period: int,
        scheme: Scheme,
        adjustments: Sequence[SubjectAdjustment],
        adjustments_version: int,
        as_of: dt.date,
    ) -> PeriodScores:
        key = _Key(period, scheme.version, await reads.watermark(conn), adjustments_version, as_of)
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
            return found
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            events = await reads.period_events(conn, period, self.timezone)
            branches, departments = await reads.roster(conn)
        facts = fold(period, events, branches, departments, adjustments)
        computed = score_period(scheme, facts, as_of)
        self._kept[key] = computed
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return computed
