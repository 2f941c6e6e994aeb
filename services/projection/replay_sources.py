"""The services' own event stores, read for a replay: each store's events in order, as the envelopes
its relay publishes (merged across stores in replay_merge).

A store is read up to the horizon taken when it is opened (its writers' lock taken for a moment,
so no write in flight is skipped), a page at a time. Events are decoded by a generic
eventsourcing Application named after the service (it resolves each stored topic, so no service is
imported here) and enveloped by the relay's own EnvelopeFactory, then serialised as the relay sends
it and checked as a consumer reads it (the bytes are read back only where that could change
anything). What the relay could not publish, or a consumer could not read, is counted and left
out, as live leaves it out. Nothing is written to a store.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, fields

import asyncpg
from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from shared.contracts import Envelope
from shared.messaging.envelopes import EnvelopeFactory
from shared.messaging.transient import TRANSIENT
from shared.persistence.asyncpg_store.sql import EventsSQL

SERVICES = ("filing", "tasking", "inspection", "acceptance", "identity")  # the stores the projection consumes
PAGE = 5000
_FIELDS = tuple(f.name for f in fields(Envelope))
Item = tuple[dt.datetime, int, int, Envelope]  # (recorded at, position, store index, envelope): merged in this order


class ReplayError(Exception):
    """The replay cannot be carried out (the message says what to fix)."""


@dataclass(frozen=True)
class Store:
    """Where one service instance keeps its events."""

    service: str
    instance: str
    dsn: str

    @property
    def name(self) -> str:
        return f"{self.service}/{self.instance}"


@dataclass
class Skipped:
    """Events live never applied: the relay could not publish them, or a consumer could not read them."""

    store: str
    position: int
    reason: str


@dataclass
class StoreReader:
    """One store, opened: its horizon, how many events lie below it, and its pages in order."""

    store: Store
    index: int  # breaks ties between stores deterministically
    page: int = PAGE
    horizon: int = 0
    events: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    _conn: asyncpg.Connection | None = None
    _sql: EventsSQL | None = None
    _app: Application[uuid.UUID] | None = None
    _envelopes: EnvelopeFactory | None = None

    async def open(self, horizon: int | None = None) -> None:
        """Connect, and take the horizon (unless given: a worker reads up to its replay's)."""
        s = self.store
        self._conn = await connect(s.dsn, f"{s.name}'s store", uuids=True)
        table = f"{s.service}_events"
        if not await self._conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"public.{table}"):
            await self.close()
            raise ReplayError(f"{s.name}: no table {table} in {masked(s.dsn)} (is it {s.service}'s database?)")
        self._sql = EventsSQL("public", table, "uuid", with_ids=True)
        if horizon is not None:
            self.horizon = horizon
        else:
            async with self._conn.transaction():  # waits for writes in flight: none is skipped below the horizon
                for statement in self._sql.barrier:
                    self.horizon = await self._conn.fetchval(statement)
            self.events = await self._conn.fetchval(
                f"SELECT count(*) FROM {self._sql.qualified} WHERE notification_id <= $1", self.horizon
            )
        self._app = _application(s)
        self._envelopes = EnvelopeFactory(self._app, s.service, s.instance)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        if self._app is not None:
            self._app.close()
            self._app = None

    async def raw_pages(self) -> AsyncIterator[list[asyncpg.Record]]:
        """The stored rows up to the horizon, a page at a time (what a replay reads, undecoded)."""
        assert self._conn is not None and self._sql is not None
        statement = await self._conn.prepare(self._sql.select_notifications(has_stop=True, has_topics=False))
        after = 0
        while after < self.horizon:
            rows = await statement.fetch(after, self.horizon, self.page)
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def decode(self, rows: list[asyncpg.Record]) -> list[Item]:
        """Rows as (recorded at, position, store index, envelope), as a consumer receives them."""
        assert self._envelopes is not None
        out = []
        for position, originator_id, version, topic, state in rows:
            notification = Notification(
                originator_id=originator_id, originator_version=version, topic=topic, state=state, id=position
            )
            try:
                envelope = self._envelopes.envelope(notification)
                sent = _to_bytes(envelope)  # fails as the relay would fail to send it
            except TRANSIENT:
                raise
            except Exception as error:  # the relay cannot publish it: live never sees it
                self.skipped.append(Skipped(self.store.name, position, f"unpublishable: {_describe(error)}"))
                continue
            try:
                if _plain(envelope.actor):  # the rest is JSON already: the bytes read back as they were
                    envelope.check()
                else:
                    envelope = Envelope.from_bytes(sent)
            except Exception as error:  # the consumer keeps it as an undecodable record
                self.skipped.append(Skipped(self.store.name, position, f"undecodable: {_describe(error)}"))
                continue
            out.append((dt.datetime.fromisoformat(envelope.occurred_at), position, self.index, envelope))
        return out

    async def decoded_pages(self) -> AsyncIterator[list[Item]]:
        async for rows in self.raw_pages():
            yield self.decode(rows)


def _to_bytes(envelope: Envelope) -> bytes:
    """Envelope.to_bytes() without its deep copy (dataclasses.asdict): the same bytes, at a fraction."""
    fields = {name: getattr(envelope, name) for name in _FIELDS}
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def _plain(actor: object) -> bool:
    """A dict of strings, which JSON gives back as it was given (the envelope's payload is made of
    JSON's own types by the factory; the actor is taken as the event recorded it)."""
    return type(actor) is dict and all(type(k) is str and type(v) is str for k, v in actor.items())


def _application(store: Store) -> Application[uuid.UUID]:
    """An Application that decodes the store's events (any topic) and finds its aggregates."""
    app_class = type(f"{store.service.title()}Replay", (Application,), {"name": store.service})
    env = {
        "PERSISTENCE_MODULE": "shared.persistence.asyncpg_store",
        "ASYNCPG_DSN": store.dsn,
        "ASYNCPG_POOL_SIZE": "1",
        "CREATE_TABLE": "n",  # a replay writes nothing to a store
    }
    return app_class(env)


async def connect(dsn: str, what: str, *, uuids: bool = False) -> asyncpg.Connection:
    """A connection, or a ReplayError saying why there is none; `uuids`: uuid columns read as
    uuid.UUID, as the relay's store gives them to the library (not asyncpg's own type)."""
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
    except asyncpg.InvalidCatalogNameError:
        raise ReplayError(f"{what}: no such database: {masked(dsn)}") from None
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as error:
        raise ReplayError(f"{what}: cannot connect to {masked(dsn)}: {_describe(error)}") from None
    if uuids:
        await conn.set_type_codec("uuid", encoder=str, decoder=uuid.UUID, schema="pg_catalog", format="text")
    return conn


def masked(dsn: str) -> str:
    """The DSN without its password."""
    scheme, sep, rest = dsn.partition("://")
    if not sep or "@" not in rest:
        return dsn
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}://{user}{':***' if has_password else ''}@{host}"


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]
