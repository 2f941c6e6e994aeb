"""Applying a replay's envelopes to a fresh projection database: what live applies, only faster.

Live applies each event through the inbox: its aggregate's version checked and recorded, its
handler in a savepoint, a round trip per statement. A replay reads every store from its start, in
order, so almost every event is simply next for its aggregate and its handler succeeds: such runs
are applied in one transaction without savepoints, the versions recorded once per run, and the
handlers' statements held and sent a few thousand at a time (`replay_script.Script`). Whatever does
not fit (an event whose handler fails or waits for another, one of an aggregate with events waiting
or parked, one that is not next for its aggregate) rolls the run back to before it and goes through
the real inbox alone, as live would apply it; the run after it goes on as before. Should a script
fail, its run is applied again statement by statement, which finds the event at fault. The outcome
is the inbox's, event for event, so a replay and live hold the same read models.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from services.projection.handlers import handler
from services.projection.replay_script import NeedsAnswer, Script, ScriptFailed
from services.projection.upgrade import upgrade
from shared.contracts import Envelope
from shared.messaging.inbox import Handler, Inbox
from shared.messaging.transient import TRANSIENT

_RECORD_VERSIONS = (
    "INSERT INTO inbox_versions (aggregate_id, version, source) "
    "SELECT * FROM unnest($1::uuid[], $2::integer[], $3::text[]) "
    "ON CONFLICT (aggregate_id) DO UPDATE SET version = EXCLUDED.version"
)
_HELD_BACK = "SELECT aggregate_id::text FROM inbox_waiting UNION SELECT aggregate_id::text FROM inbox_parked"
_FAILED = object()  # a script sent in a run failed
_YIELD_EVERY = 100  # events: a run holds the event loop no longer at a time


@dataclass
class Counts:
    fast: int = 0  # applied in runs
    careful: int = 0  # applied through the inbox
    runs: int = 0
    scripts_failed: int = 0  # runs applied again statement by statement


class Replayer:
    """Applies envelopes, in the order given, to a fresh projection database on `conn`."""

    def __init__(self, conn: asyncpg.Connection, handle: Handler | None = None) -> None:
        self.conn = conn
        self.handle = handle or handler()
        self.inbox = Inbox("projection", self.handle)
        self.script = Script(conn)
        self.versions: dict[str, int] = {}  # what inbox_versions holds, as far as runs know
        self.held_back: set[str] = set()  # aggregates with events waiting or parked
        self.counts = Counts()

    async def prepare(self) -> None:
        """The projection's schema, as the service creates it."""
        await Inbox.create_schema(self.conn)
        await upgrade(self.conn)
        await self.script.start()

    async def apply(self, envelopes: list[Envelope]) -> None:
        i = 0
        while i < len(envelopes):
            done = await self._run(envelopes[i:])
            i += done
            if done == 0:
                await self._careful(envelopes[i : i + 1])
                i += 1

    async def _run(self, envelopes: list[Envelope]) -> int:
        """Apply the longest prefix that needs nothing of the inbox in one transaction; its length."""
        limit, scripted = len(envelopes), True
        while limit:
            fitted = await self._try_run(envelopes[:limit], scripted)
            if fitted is _FAILED:  # statement by statement, the event at fault shows itself
                self.counts.scripts_failed += 1
                scripted = False
                continue
            if fitted == limit:
                self.counts.fast += limit
                self.counts.runs += 1
                return limit
            assert isinstance(fitted, int)
            limit, scripted = fitted, True  # redo what came before the event that did not fit
        return 0

    async def _try_run(self, envelopes: list[Envelope], scripted: bool) -> object:
        """Apply all of `envelopes` in one transaction (returns their number), or undo everything and
        return the index of the first that does not fit (or _FAILED: a script failed, no telling where)."""
        staged: dict[str, tuple[int, str]] = {}
        fitted: object = len(envelopes)
        transaction = self.conn.transaction()
        await transaction.start()
        try:
            for n, e in enumerate(envelopes):
                aggregate, version = e.aggregate_id, e.aggregate_version
                last = staged[aggregate][0] if aggregate in staged else self.versions.get(aggregate, 0)
                if aggregate in self.held_back or version != last + 1:
                    fitted = n
                    break
                if n % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let the stores' readers take in what their decoders sent meanwhile
                handled = await self._handle(e, scripted)
                if handled is not True:
                    fitted = n if handled is False else _FAILED
                    break
                staged[aggregate] = (version, e.source["instance"])
            else:
                if not await self._flush():
                    fitted = _FAILED
            if fitted == len(envelopes):
                await self._record(staged)
                if self.held_back:  # live retries what waits after every batch
                    await self.inbox.apply_batch(self.conn, [])
        except BaseException:
            await self.script.abandon()
            await transaction.rollback()
            raise
        if fitted != len(envelopes):
            await self.script.abandon()
            await transaction.rollback()
            return fitted
        await transaction.commit()
        self.versions.update((aggregate, version) for aggregate, (version, _) in staged.items())
        if self.held_back:
            await self._refresh(set())
        return fitted

    async def _handle(self, e: Envelope, scripted: bool) -> bool | None:
        """Run the event's handler: True if it succeeded, False if it failed or waits, None if a
        script sent before it failed (the transaction is lost)."""
        if scripted:
            mark = self.script.mark()
            try:
                await self.handle(self.script, e)  # type: ignore[arg-type]
            except NeedsAnswer:
                self.script.drop_after(mark)
                if not await self._flush():
                    return None
            except ScriptFailed:
                return None
            except TRANSIENT:
                raise
            except Exception:  # it fails as it is: the inbox decides what becomes of it
                self.script.drop_after(mark)
                return False
            else:
                if self.script.ready:
                    try:
                        await self.script.send()
                    except ScriptFailed:
                        return None
                return True
        try:
            await self.handle(self.conn, e)
        except TRANSIENT:
            raise
        except Exception:  # it waits, or it fails: the inbox decides what becomes of it
            return False
        return True

    async def _flush(self) -> bool:
        try:
            await self.script.flush()
        except ScriptFailed:
            return False
        return True

    async def _record(self, staged: dict[str, tuple[int, str]]) -> None:
        """The versions applied, as the inbox records them (the first source of each aggregate kept)."""
        if staged:
            ids = list(staged)
            await self.conn.execute(_RECORD_VERSIONS, ids, [staged[a][0] for a in ids], [staged[a][1] for a in ids])

    async def _careful(self, envelopes: list[Envelope]) -> None:
        """Through the inbox, as live applies them (savepoints, waiting, parking, dead letters)."""
        await self.inbox.apply_batch(self.conn, envelopes)
        self.counts.careful += len(envelopes)
        await self._refresh({e.aggregate_id for e in envelopes})

    async def _refresh(self, touched: set[str]) -> None:
        """Learn again what the inbox holds for these aggregates and those that were held back."""
        ids = list(touched | self.held_back)
        rows = await self.conn.fetch(
            "SELECT aggregate_id::text, version FROM inbox_versions WHERE aggregate_id = ANY($1::uuid[])", ids
        )
        for aggregate in ids:
            self.versions.pop(aggregate, None)
        self.versions.update((r[0], r[1]) for r in rows)
        self.held_back = {r[0] for r in await self.conn.fetch(_HELD_BACK)}
