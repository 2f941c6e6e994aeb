"""考核评价's live scores over a city's year: a full recompute, and what scoring adds to handling.

Run with `python -m tests.benchmarks assessment`. Generates (seeded, in a few seconds) a year at
the seed's scale: about 100 departments, 755 branches spread unevenly, 849 projects (some
branches two, about 60 none), about 50 events a project, written with tests/assessment_city.py's
`City`, and starts its own durable PostgreSQL (fsync on, so commits cost what they cost).

1. Handling: the year is fed through the projection's real handler and inbox (batches of 50, one
   transaction each, as its consumer applies them) into two fresh databases, one with the schema
   as shipped, one with the only thing the assessment adds to handling taken out: the index on
   audit_trail(applied_seq) its watermark is read from (scores themselves are computed on read).
   The two are fed in turn, ROUND batches at a time, which goes first alternating, so that load
   coming and going on the machine hits both alike; the ratio is the median of the rounds' ratios,
   over PASSES pairs of databases (the per-event times: the better pass of each). Goal: < 1.10.
2. A full recompute from nothing (a fresh LiveScores, no cache): every subject type of 2026, best
   of five, split into the SQL reads, the fold and the scoring. Goal: under 2 s. Also a cached
   read (same watermark: the watermark query alone), with and without the index.
3. A live read after one more event: the recompute a reader pays after each event applied, and
   the longest it holds the event loop (which the projection's consumer shares with its API).

VANGUARD_BENCH_PROFILE=1 prints cProfile's top costs of one recompute's fold and scoring.
"""

from __future__ import annotations

import asyncio
import cProfile
import datetime as dt
import os
import pstats
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import asyncpg
import psycopg

from services.projection import assessment_reads as reads
from services.projection.assessment.fold import TYPES, fold
from services.projection.assessment.period import score_period
from services.projection.assessment.scheme import SchemeRegistry
from services.projection.handlers import handler
from services.projection.scoring import LiveScores
from services.projection.upgrade import upgrade
from shared.contracts import Envelope
from shared.devstack.postgres import start_postgres
from shared.messaging.inbox import Inbox
from tests.assessment_city import City, Project, plan

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2026
SCHEME = "2026-v1"
AS_OF = dt.date(YEAR, 12, 31)
SEED = 20260101
DEPARTMENTS, BRANCHES, PROJECTS, WITHOUT_PROJECT = 100, 755, 849, 60
BATCH = 50
ROUND = 2  # batches fed to one database before the other's turn
WARMUP = 2000  # events fed to a scratch pair first
PASSES = 2  # pairs of fresh databases fed; the better of the two is kept for each
INDEX = "audit_trail_applied"  # services/projection/schema.py: the watermark's index
RECOMPUTES = 5
LIVE_READS = 3
HANDLING_GOAL, RECOMPUTE_GOAL = 1.10, 2.0

# inspection ratings, grades and commendation levels, with their weights
RATINGS = (("on_track", 60), ("lagging", 26), ("at_risk", 14))
GRADES = (("excellent", "优秀", 20), ("good", "良好", 35), ("pass", "合格", 35), ("fail", "不合格", 10))
LEVELS = (("municipal", 6), ("provincial", 3), ("central", 1))
SEVERITY = {"green": 0, "yellow": 2, "red": 3}


# -- the city's year ------------------------------------------------------------------------------
@dataclass
class _Ref:
    """A project or topic made when its first action runs, for the actions after it."""

    value: Any = None


@dataclass(order=True)
class _Action:
    when: dt.datetime
    seq: int
    method: str = field(compare=False)
    ref: _Ref = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)


def _moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def _pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(weighted, weights=[w[-1] for w in weighted])[0]


def _spread(rng: random.Random, total: int, parts: int, least: int) -> list[int]:
    """`total` split into `parts` uneven shares of at least `least` (a few large, many small)."""
    weights = [rng.lognormvariate(0, 0.8) for _ in range(parts)]
    spare = total - least * parts
    shares = [least + int(spare * w / sum(weights)) for w in weights]
    for n in rng.sample(range(parts), total - sum(shares)):
        shares[n] += 1
    return shares


@dataclass
class Year:
    city: City
    departments: int
    branches: int
    projects: list[Project]
    rng: random.Random

    @property
    def envelopes(self) -> list[Envelope]:
        return self.city.envelopes


class _Planner:
    """Each project's history as timed actions; run in time order across the city, they make
    envelopes in the order the services would have published them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.actions: list[_Action] = []
        self._seq = 0

    def add(self, when: dt.datetime, method: str, ref: _Ref, *args: Any) -> None:
        self._seq += 1
        self.actions.append(_Action(when, self._seq, method, ref, args))

    def hour(self) -> int:
        return self.rng.randint(9, 17)

    def project(self, department: str, branch: str, secretary: str, topic: tuple[_Ref, dt.date]) -> _Ref:
        rng, ref = self.rng, _Ref()
        topic_ref, posed = topic
        drafted = dt.date(YEAR, 2, 1) + dt.timedelta(days=int(rng.expovariate(1 / 30)))
        drafted = max(posed + dt.timedelta(days=1), drafted)
        approval_by = drafted + dt.timedelta(days=rng.randint(0, 3))
        # the milestones are planned at drafting; dues from a month after filing to mid-December
        count = rng.randint(4, 6)
        first, last = drafted + dt.timedelta(days=45), dt.date(YEAR, 12, 10)
        step = (last - first) / count
        dues = [first + step * (n + 1) - dt.timedelta(days=rng.randint(0, 10)) for n in range(count)]
        milestones = plan(*(d.isoformat() for d in dues))
        self.add(_moment(drafted, 9), "project", ref, department, branch, secretary, topic_ref, milestones)

        # 立项: submitted, returned and revised up to twice, approved (a few never are)
        t = _moment(approval_by, self.hour())
        self.add(t, "submitted", ref, t)
        for _ in range(_pick(rng, ((0, 60), (1, 30), (2, 10)))[0]):
            t = _moment(t.date() + dt.timedelta(days=rng.randint(1, 10)), self.hour())
            self.add(t, "returned", ref, t)
            t = _moment(t.date() + dt.timedelta(days=rng.randint(2, 15)), self.hour())
            self.add(t, "submitted", ref, t)
        if rng.random() < 0.02:
            return ref
        approved = t.date() + dt.timedelta(days=rng.randint(1, 12))
        t = _moment(approved, self.hour())
        self.add(t, "approved", ref, t)
        self.add(t + dt.timedelta(minutes=30), "scheduled", ref, t + dt.timedelta(minutes=30))

        # 任务到人 and 节点督查: each milestone inspected 3 or 4 times, then met on time or late
        facts: list[tuple[dt.datetime, str, tuple[Any, ...]]] = []
        start, inspections, orders = approved, 0, 0
        for m, due in enumerate(dues, start=1):
            mid = f"m{m}"
            met: dt.date | None = None
            if m < count or rng.random() > 0.15:  # the last one is sometimes not met within the year
                late = rng.random() < 0.25
                met = due + dt.timedelta(days=rng.randint(1, 25) if late else -rng.randint(0, 20))
                met = min(max(met, start + dt.timedelta(days=2)), dt.date(YEAR, 12, 28))
            end = met or due
            span = max(1, (end - start).days)
            for day in sorted(rng.sample(range(1, span + 1), min(span, rng.randint(3, 4)))):
                inspections += 1
                when = _moment(start + dt.timedelta(days=day - 1), self.hour())
                rating = _pick(rng, RATINGS)[0]
                order = None
                if rating == "at_risk" or (rating == "lagging" and rng.random() < 0.1):
                    orders += 1
                    order = f"r{orders}"
                facts.append((when, "inspected", (inspections, mid, rating, when, order)))
                if order:
                    deadline = when.date() + dt.timedelta(days=rng.randint(10, 20))
                    facts.append((when + dt.timedelta(minutes=5), "ordered", (order, mid, deadline.isoformat(), when)))
                    answer = rng.random()
                    if answer < 0.95:
                        offset = -rng.randint(0, 8) if answer < 0.8 else rng.randint(1, 10)
                        answered = max(when.date() + dt.timedelta(days=1), deadline + dt.timedelta(days=offset))
                        a = _moment(answered, self.hour())
                        facts.append((a, "answered", (order, a)))
                        if rng.random() < 0.9:
                            v = _moment(answered + dt.timedelta(days=rng.randint(1, 5)), self.hour())
                            facts.append((v, "verified", (order, v)))
            if met is not None:
                facts.append((_moment(met, 18), "milestone_met", (mid, met.isoformat())))
            start = end

        # 三色预警: a rating of lagging raises the colour to yellow, at risk to red; a rating on
        # track, a milestone met or a rectification verified brings it back to green
        colour = "green"
        for when, method, args in sorted(facts, key=lambda f: f[0]):
            self.add(when, method, ref, *args)
            target = colour
            if method == "inspected":
                target = {"on_track": "green", "lagging": "yellow", "at_risk": "red"}[args[2]]
                if SEVERITY[target] < SEVERITY[colour] and target != "green":
                    target = colour  # lagging while red: stays red
            elif method in ("milestone_met", "verified"):
                target = "green"
            if target != colour:
                moment = when + dt.timedelta(minutes=10)
                self.add(moment, "colour", ref, target, colour, moment)
                colour = target

        # 公开验收: objections in the notice, then a grade for most, commendations and brands for some
        if rng.random() < 0.08:
            return ref
        notice = dt.date(YEAR, 11, 2) + dt.timedelta(days=rng.randint(0, 14))
        for n in range(_pick(rng, ((0, 40), (1, 30), (2, 20), (3, 10)))[0]):
            raised = _moment(notice + dt.timedelta(days=rng.randint(0, 4)), self.hour())
            answered = raised + dt.timedelta(days=rng.randint(1, 4)) if rng.random() < 0.85 else None
            self.add(raised, "objection", ref, f"f{n + 1}", raised, answered)
        concluded = _moment(notice + dt.timedelta(days=rng.randint(9, 20)), self.hour())
        grade, label, _ = _pick(rng, GRADES)
        self.add(concluded, "concluded", ref, grade, label, concluded)
        chance = {"excellent": (0.55, 0.35), "good": (0.1, 0.05)}.get(grade, (0.0, 0.0))
        for n in range(2 if rng.random() < chance[0] * 0.3 else 1 if rng.random() < chance[0] else 0):
            awarded = concluded.date() + dt.timedelta(days=rng.randint(1, 20))
            self.add(_moment(awarded, 10, n), "commended", ref, _pick(rng, LEVELS)[0], awarded.isoformat())
        if rng.random() < chance[1]:
            self.add(concluded + dt.timedelta(days=1), "brand", ref, f"品牌{rng.randint(1, 999)}")
        return ref


def generate(seed: int = SEED) -> Year:
    """The city's year, the same for the same seed (ids too)."""
    rng = random.Random(seed)
    city = City(YEAR)
    planner = _Planner(rng)
    sizes = _spread(rng, BRANCHES, DEPARTMENTS, 2)
    codes = [f"d{n:03d}" for n in range(1, DEPARTMENTS + 1)]
    branches = [(code, f"{code}-b{n}") for code, size in zip(codes, sizes, strict=True) for n in range(1, size + 1)]
    # ~60 branches file nothing; of the rest, enough file two projects to make 849
    idle = set(rng.sample(range(len(branches)), WITHOUT_PROJECT))
    filing = [b for n, b in enumerate(branches) if n not in idle]
    twice = set(rng.sample(range(len(filing)), PROJECTS - len(filing)))

    def ids() -> uuid.UUID:  # City draws its ids from uuid4: from the seed here
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    with mock.patch.object(uuid, "uuid4", ids):
        for code, size in zip(codes, sizes, strict=True):
            numbers = range(1, size + 1)
            members = [(f"{code}-b{n}", f"{code}第{n}支部", f"s-{code}-{n}", f"书记{code}-{n}") for n in numbers]
            city.department(code, f"部门{code}", members)
        topics: dict[str, list[tuple[_Ref, dt.date]]] = {}
        for code in codes:  # a committee poses 1–3 topics, mostly by the end of February
            for _ in range(rng.randint(1, 3)):
                posed = dt.date(YEAR, 1, 20) + dt.timedelta(days=rng.randint(0, 32 if rng.random() < 0.85 else 55))
                ref = _Ref()
                planner.add(_moment(posed, 10), "topic", ref, code, _moment(posed, 10))
                topics.setdefault(code, []).append((ref, posed))
        projects = []
        for n, (code, branch) in enumerate(filing):
            number = branch.rsplit("-b", 1)[1]
            for _ in range(2 if n in twice else 1):
                projects.append(planner.project(code, branch, f"s-{code}-{number}", rng.choice(topics[code])))
        for action in sorted(planner.actions):
            _run(city, action)
    return Year(city, DEPARTMENTS, len(branches), [p.value for p in projects], rng)


def _run(city: City, action: _Action) -> None:
    ref, args = action.ref, action.args
    if action.method == "topic":
        ref.value = city.topic(*args)
    elif action.method == "project":
        department, branch, secretary, topic, milestones = args
        ref.value = city.project(department, branch, secretary, topic.value, milestones)
    else:
        getattr(city, action.method)(ref.value, *args)


# -- the measurements -----------------------------------------------------------------------------
async def _connect(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn)


async def _prepare(dsn: str, *, index: bool) -> asyncpg.Connection:
    """A fresh projection database as `upgrade` makes it; without the watermark's index if not `index`."""
    conn = await _connect(dsn)
    await Inbox.create_schema(conn)
    await upgrade(conn)
    if not index:
        await conn.execute(f"DROP INDEX IF EXISTS {INDEX}")
    return conn


async def _check(conn: asyncpg.Connection, expected: int) -> None:
    applied = await conn.fetchval("SELECT count(*) FROM audit_trail")
    stuck = await conn.fetchval(
        "SELECT (SELECT count(*) FROM inbox_waiting) + (SELECT count(*) FROM inbox_parked) "
        "+ (SELECT count(*) FROM inbox_dead_letters)"
    )
    if applied != expected or stuck:
        raise RuntimeError(f"fed {expected} events: {applied} in the audit trail, {stuck} not applied")


async def _feed(shipped_dsn: str, without_dsn: str, envelopes: list[Envelope]) -> dict[bool, list[float]]:
    """Seconds per round of ROUND batches, for each database: the same events, through the
    handler and inbox in batches of BATCH (one transaction each), into the two databases in turn
    (which goes first alternates), so that load coming and going on the machine hits both alike."""
    conns = {True: await _prepare(shipped_dsn, index=True), False: await _prepare(without_dsn, index=False)}
    inbox = Inbox("projection", handler())
    spent: dict[bool, list[float]] = {True: [], False: []}
    try:
        batches = [envelopes[n : n + BATCH] for n in range(0, len(envelopes), BATCH)]
        for r, first in enumerate(range(0, len(batches), ROUND)):
            for index in (True, False) if r % 2 == 0 else (False, True):
                conn = conns[index]
                started = time.perf_counter()
                for batch in batches[first : first + ROUND]:
                    await inbox.apply_batch(conn, batch)
                spent[index].append(time.perf_counter() - started)
        for conn in conns.values():
            await _check(conn, len(envelopes))
        return spent
    finally:
        for conn in conns.values():
            await conn.close()


async def _has_index(dsn: str) -> bool:
    conn = await _connect(dsn)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_indexes WHERE indexname = $1", INDEX))
    finally:
        await conn.close()


async def _best(times: int, action: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(times):
        started = time.perf_counter()
        result = await action()
        best = min(best, time.perf_counter() - started)
    return best, result


async def _median(times: int, action: Callable[[], Awaitable[Any]]) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        await action()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


async def _recompute(dsn: str, registry: SchemeRegistry) -> dict[str, Any]:
    scheme = registry.get(SCHEME)
    conn = await _connect(dsn)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)  # what LiveScores reads with
    try:

        async def read() -> tuple[Any, ...]:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                events = await reads.period_events(conn, YEAR, TZ)
                branches, departments = await reads.roster(conn)
            return events, branches, departments

        read_s, (events, branches, departments) = await _best(RECOMPUTES, read)
        query_s, _ = await _best(RECOMPUTES, lambda: conn.fetch(reads._EVENTS, YEAR, list(TYPES), 0, reads.LAST))

        async def folded() -> Any:
            return fold(YEAR, events, branches, departments, [])

        fold_s, facts = await _best(RECOMPUTES, folded)

        async def scored() -> Any:
            return score_period(scheme, facts, AS_OF)

        score_s, computed = await _best(RECOMPUTES, scored)
        if os.environ.get("VANGUARD_BENCH_PROFILE"):
            _profile(lambda: score_period(scheme, fold(YEAR, events, branches, departments, []), AS_OF))

        async def fresh() -> Any:
            return await LiveScores(registry, SCHEME, TZ).scores(pool, YEAR, scheme, [], 0, AS_OF)

        total_s, _ = await _best(RECOMPUTES, fresh)
        live = LiveScores(registry, SCHEME, TZ)
        await live.scores(pool, YEAR, scheme, [], 0, AS_OF)
        cached_s = await _median(21, lambda: live.scores(pool, YEAR, scheme, [], 0, AS_OF))
        watermark_s = await _median(21, lambda: reads.watermark(conn))
        return {
            "total": total_s,
            "read": read_s,
            "query": query_s,
            "fold": fold_s,
            "score": score_s,
            "cached": cached_s,
            "watermark": watermark_s,
            "events": len(events),
            "subjects": {kind: len(results) for kind, results in computed.results.items()},
            "live": live,
        }
    finally:
        await pool.close()
        await conn.close()


async def _watermark_without_index(dsn: str) -> float:
    conn = await _connect(dsn)
    try:
        await reads.watermark(conn)
        return await _median(21, lambda: reads.watermark(conn))
    finally:
        await conn.close()


async def _live_reads(dsn: str, registry: SchemeRegistry, year: Year, live: LiveScores) -> dict[str, float]:
    """One more event applied (alone, its own transaction), then the live scores read again; and
    the longest the event loop was held meanwhile (the projection's consumer shares its loop with
    the API: while a read holds it, no event is handled)."""
    scheme = registry.get(SCHEME)
    conn = await _connect(dsn)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)  # what LiveScores reads with
    inbox = Inbox("projection", handler())
    applying, reading, held = [], [], []
    try:
        for n in range(LIVE_READS):
            p = year.rng.choice(year.projects)
            when = dt.datetime(YEAR, 12, 29, 10, n, tzinfo=TZ)
            envelope = year.city.inspected(p, 1000 + n, p.milestones[-1]["id"], "on_track", when)
            started = time.perf_counter()
            await inbox.apply_batch(conn, [envelope])
            applying.append(time.perf_counter() - started)
            longest = [0.0]
            ticker = asyncio.create_task(_tick(longest))
            await asyncio.sleep(0)
            started = time.perf_counter()
            await live.scores(pool, YEAR, scheme, [], 0, AS_OF)
            reading.append(time.perf_counter() - started)
            ticker.cancel()
            held.append(longest[0])
        return {"apply": statistics.median(applying), "read": statistics.median(reading), "held": max(held)}
    finally:
        await pool.close()
        await conn.close()


async def _tick(longest: list[float]) -> None:
    """Wake every millisecond; keep the longest gap between wake-ups."""
    last = time.perf_counter()
    while True:
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        longest[0] = max(longest[0], now - last)
        last = now


def _profile(action: Callable[[], Any]) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(action)
    print("\ncProfile of one fold + score_period (top 25 by cumulative time):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def _create(cluster_dsn: str, name: str) -> str:
    with psycopg.connect(f"{cluster_dsn}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{cluster_dsn}/{name}"


def main() -> list[dict]:
    started = time.perf_counter()
    year = generate()
    generation_s = time.perf_counter() - started
    envelopes = year.envelopes
    per_project = sum(1 for e in envelopes if e.branch) / len(year.projects)
    print(
        f"generated in {generation_s:.1f} s: {year.departments} departments, {year.branches} branches, "
        f"{len(year.projects)} projects, {len(envelopes):,} events ({per_project:.1f} a project)",
        flush=True,
    )
    registry = SchemeRegistry()
    registry.load_folder()

    with tempfile.TemporaryDirectory(prefix="bench-assessment-") as folder:
        os.chmod(folder, 0o755)  # the server may run as another user
        cluster = start_postgres(Path(folder) / "pg", durable=True)
        try:
            warmup = (_create(cluster.dsn, "warmup_shipped"), _create(cluster.dsn, "warmup_without"))
            asyncio.run(_feed(*warmup, envelopes[:WARMUP]))
            rounds: list[dict[bool, list[float]]] = []
            for n in range(PASSES):
                dsns = {True: _create(cluster.dsn, f"shipped_{n}"), False: _create(cluster.dsn, f"without_{n}")}
                spent = asyncio.run(_feed(dsns[True], dsns[False], envelopes))
                rounds.append(spent)
                print(
                    f"pass {n + 1}: {len(envelopes):,} events fed to each in {len(spent[True])} alternating rounds: "
                    f"schema as shipped {sum(spent[True]):.1f} s, without {INDEX} {sum(spent[False]):.1f} s",
                    flush=True,
                )
            shipped_has_index = asyncio.run(_has_index(dsns[True]))
            recompute = asyncio.run(_recompute(dsns[True], registry))
            watermark_without = asyncio.run(_watermark_without_index(dsns[False]))
            live = asyncio.run(_live_reads(dsns[True], registry, year, recompute["live"]))
        finally:
            cluster.stop()

    events = len(envelopes)
    shipped = min(sum(r[True]) for r in rounds) / events
    without = min(sum(r[False]) for r in rounds) / events
    ratios = sorted(a / b for r in rounds for a, b in zip(r[True], r[False], strict=True))
    ratio = statistics.median(ratios)
    low, _, high = statistics.quantiles(ratios, n=4)
    ms = 1000.0
    print(f"recompute read {recompute['events']:,} events; subjects: {recompute['subjects']}", flush=True)
    if not shipped_has_index:
        print(f"NOTE: the schema as shipped has no {INDEX}: the two feeds differ in nothing", flush=True)
    rows: list[dict] = [
        {"name": "generation of the year", "value": generation_s, "unit": "s", "goal": None, "met": None},
        {"name": "handling per event, schema as shipped", "value": shipped * ms, "unit": "ms", "goal": None,
         "met": None},
        {"name": f"handling per event, without {INDEX}", "value": without * ms, "unit": "ms", "goal": None,
         "met": None},
        {"name": f"handling ratio (median of {len(ratios)} rounds)", "value": ratio, "unit": "x",
         "goal": f"< {HANDLING_GOAL:.2f}", "met": ratio < HANDLING_GOAL},
        {"name": "  rounds' interquartile range", "value": f"{low:.3f}-{high:.3f}", "unit": "x", "goal": None,
         "met": None},
        {"name": "  ratio of the better totals", "value": shipped / without, "unit": "x", "goal": None, "met": None},
        {"name": "full recompute, all three subject types", "value": recompute["total"], "unit": "s",
         "goal": f"< {RECOMPUTE_GOAL:.0f}", "met": recompute["total"] < RECOMPUTE_GOAL},
        {"name": "  of which reads (period_events, roster)", "value": recompute["read"], "unit": "s", "goal": None,
         "met": None},
        {"name": "    of which the events' query alone", "value": recompute["query"], "unit": "s", "goal": None,
         "met": None},
        {"name": "  of which fold", "value": recompute["fold"], "unit": "s", "goal": None, "met": None},
        {"name": "  of which score_period", "value": recompute["score"], "unit": "s", "goal": None, "met": None},
        {"name": "cached read (same watermark)", "value": recompute["cached"] * ms, "unit": "ms", "goal": None,
         "met": None},
        {"name": "watermark query, with the index", "value": recompute["watermark"] * ms, "unit": "ms",
         "goal": None, "met": None},
        {"name": "watermark query, without the index", "value": watermark_without * ms, "unit": "ms",
         "goal": None, "met": None},
        {"name": "one more event applied alone (own tx)", "value": live["apply"] * ms, "unit": "ms", "goal": None,
         "met": None},
        {"name": "live read after one more event", "value": live["read"], "unit": "s", "goal": None, "met": None},
        {"name": "  longest event-loop hold during it", "value": live["held"], "unit": "s", "goal": None,
         "met": None},
    ]  # fmt: skip
    return rows


if __name__ == "__main__":
    for row in main():
        print(row)
