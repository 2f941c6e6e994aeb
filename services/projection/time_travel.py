"""时间回溯: the read models as they stood at a past moment, rebuilt from the audit trail for one read.

In one transaction on one connection, every read model (schema.READ_MODELS) gets an empty temporary
twin, which PostgreSQL finds before the real table (pg_temp is put first on the search path: the
changed path also makes the connection's prepared statements look their tables up again); the
transaction then turns read-only, so nothing but the twins can be written; every audit-trail row
recorded by the moment (occurred_at <= as_of) goes through the projection's own handler, in the
order events were applied here (applied_seq); the endpoint's own query reads the twins; the
transaction is rolled back and the twins are gone. Same handler, same order, same query: the answer
is what the live tables held once those events had been applied, by construction. A project's
overview replays that project's events only; the assessment reads the period's events off the real
audit trail (it only grows: its rows recorded by the moment are the trail as it stood) and replays
the roster's (scoring.LiveScores.scores_at).

The moment is on the recorded history's clock: `occurred_at` is when the source's store recorded
the event (the system clock; in a rehearsal on the manual clock, not the programme's time). Live
tables lag it by the consumer's delay, so a live read at a moment equals the as_of read of it when
the projection had caught up: nothing recorded before the moment still on its way. The audit trail
keeps no time of application here; a column of it would let as_of say exactly what this projection
had applied. An event recorded by the moment whose prerequisite was recorded after it (two
services' clocks a little apart) is left out, as it would have waited then.

Why a replay, not bitemporal rows: those would put valid-from/valid-to on every row of every read
model, make each handler close and open row versions and each query choose them, and keep every row
ever written; the replay asks nothing of the handlers, costs only the reads of the past (rare beside
the live ones), and stays right as the handlers change, as the upgrades' replays do.

Cost: a statement per event for the audit trail's row, then the handler's own (2.6–2.8 in all per event
of the year below), each a round trip, so it grows with the events recorded by the moment; the twins
cost 25 ms. Measured over the first 3,000 and 10,000 events of the assessment benchmark's year
(tests/benchmarks/bench_assessment.py `generate()`, recorded a minute apart), fed through the real
inbox, as of after the last, median of 5, on 2 CPUs shared with another test run (a round trip
140–210 µs, a socket send alone about 140 µs):

    events   statistics   project list   one project   scores (roster replayed)
     3,000   2.9 s        3.7 s          77 ms         0.9 s
    10,000   7.5 s        7.5 s          59 ms         1.3 s
    live     13–24 ms     10–12 ms       2–3 ms        0.5–0.8 s (recomputed, not cached)

At most AT_ONCE replays run at once: each holds a connection of the pool the consumer shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import weakref
from collections.abc import AsyncIterator, Sequence

import asyncpg

from services.projection.assessment.ledger import PeriodBook, book_id
from services.projection.assessment_app import AssessmentApplication
from services.projection.handlers import handler
from services.projection.schema import READ_MODELS
from services.projection.upgrade import _envelope
from shared.application import replay
from shared.contracts import Envelope
from shared.messaging.inbox import Handler, NotReady

log = logging.getLogger("vanguard.projection")
PAGE = 1000  # audit-trail rows read, and applied in one savepoint, at a time
AT_ONCE = 2  # replays under way at once: the consumer and the live reads share the pool (10 connections)
_under_way: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()

_ROWS = "SELECT * FROM {trail} WHERE occurred_at <= $1 AND applied_seq > $2 {only} ORDER BY applied_seq LIMIT $3"
_OF_PROJECT = "AND (project_id = $4 OR aggregate_id = $4)"  # as the project's audit trail is read (queries.py)
_OF_TYPES = "AND type = ANY($4::text[])"


class TwinMissing(RuntimeError):
    """A handler wrote to a table that has no twin: it belongs in schema.READ_MODELS."""


@contextlib.asynccontextmanager
async def reading(
    pool: asyncpg.Pool, as_of: dt.datetime | None, *, project_id: str | None = None, types: Sequence[str] = ()
) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the read models: the live ones, or, with `as_of`, those of that moment (only
    `project_id`'s rows, if given: its events alone are replayed; or only what events of `types` made)."""
    if as_of is None:
        async with pool.acquire() as conn:
            yield conn
        return
    limit = _under_way.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(AT_ONCE))
    async with limit, pool.acquire() as conn, at_moment(conn, as_of, project_id=project_id, types=types):
        yield conn


@contextlib.asynccontextmanager
async def at_moment(
    conn: asyncpg.Connection, moment: dt.datetime, *, project_id: str | None = None, types: Sequence[str] = ()
) -> AsyncIterator[None]:
    """Within this block, `conn` reads the read models as of `moment`; nothing of it outlives the block."""
    transaction = conn.transaction(isolation="repeatable_read")  # one snapshot of the audit trail
    await transaction.start()
    try:
        started = time.perf_counter()
        trail = await _twins(conn)
        condition, args = _only(project_id, types)
        replayed = await _replay(conn, _ROWS.format(trail=trail, only=condition), moment, args)
        log.info("as_of %s: %d events replayed in %.0f ms", moment, replayed, 1000 * (time.perf_counter() - started))
        yield
    finally:
        await transaction.rollback()


async def _twins(conn: asyncpg.Connection) -> str:
    """An empty temporary twin of each read model, found first; then read-only. Returns the real
    audit trail's qualified name."""
    schema = await conn.fetchval("SELECT current_schema()")
    real = {table: f'"{schema}"."{table}"' for table in READ_MODELS}
    await conn.execute(
        "".join(
            f'CREATE TEMP TABLE "{table}" (LIKE {name} INCLUDING ALL) ON COMMIT DROP;' for table, name in real.items()
        )
        + "SELECT set_config('search_path', 'pg_temp, ' || current_setting('search_path'), true);"
        + "SET LOCAL transaction_read_only = on;"
    )
    return real["audit_trail"]


def _only(project_id: str | None, types: Sequence[str]) -> tuple[str, tuple[object, ...]]:
    """The condition on the audit trail's rows beside the moment, and its argument."""
    if project_id is not None:
        return _OF_PROJECT, (project_id,)
    if types:
        return _OF_TYPES, (list(types),)
    return "", ()


async def _replay(conn: asyncpg.Connection, query: str, moment: dt.datetime, args: tuple[object, ...]) -> int:
    """Every event `query` finds recorded by `moment` (its condition's argument: `args`), through the
    live handler, in applied order; a page in one savepoint, event by event only should one not apply."""
    handle, after, count = handler(), 0, 0
    while True:
        rows = await conn.fetch(query, moment, after, PAGE, *args)
        envelopes = [_envelope(row) for row in rows]
        try:
            async with conn.transaction():
                for envelope in envelopes:
                    await handle(conn, envelope)
            count += len(envelopes)
        except asyncpg.ReadOnlySQLTransactionError as error:
            raise TwinMissing(f"a handler writes a table that is not in schema.READ_MODELS: {error}") from error
        except Exception:
            count += await _one_by_one(conn, handle, envelopes)
        if len(rows) < PAGE:
            return count
        after = rows[-1]["applied_seq"]


async def _one_by_one(conn: asyncpg.Connection, handle: Handler, envelopes: list[Envelope]) -> int:
    """A page in which an event did not apply, each event in a savepoint of its own: one that waits for
    what was recorded after the moment is left out, as it waited then; one that fails is left out, as
    the upgrades leave it (services/projection/upgrade.py)."""
    count = 0
    for envelope in envelopes:
        try:
            async with conn.transaction():
                await handle(conn, envelope)
            count += 1
        except NotReady:
            log.info("as_of: %s %s waits for an event recorded later; left out", envelope.type, envelope.event_id)
        except asyncpg.ReadOnlySQLTransactionError as error:
            raise TwinMissing(f"a handler writes a table that is not in schema.READ_MODELS: {error}") from error
        except Exception:
            log.exception("as_of: %s %s could not be applied; left out", envelope.type, envelope.event_id)
    return count


def book_at(store: AssessmentApplication, period: int, moment: dt.datetime) -> PeriodBook | None:
    """The period's book (加减分, publications) as it stood at `moment`: its events recorded by then."""
    version = None
    for event in store.events.get(book_id(period)):
        if event.timestamp > moment:
            break
        version = event.originator_version
    return None if version is None else store.repository.get(book_id(period), version=version, projector_func=replay)
