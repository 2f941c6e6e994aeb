"""The chain follower: one per event store, beside its relay. It reads the notification log in
order as events settle, extends the hash chain over them (`chain.link`) and, every `every` events or
`seconds` seconds when something new was recorded, signs a checkpoint (position, head, time) with
the instance's Ed25519 key and records it as an `AuditChain.Checkpointed` event in the same store.

Writers are not serialised again: they commit as before, and the follower only reads what they
committed (a page is handed out complete and in order, see `AsyncpgApplicationRecorder`). It
keeps no state of its own: on start it takes the last checkpoint it recorded and hashes on from
there. Waiting costs nothing: it sleeps until the store's NOTIFY (or the signing deadline).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from eventsourcing.application import AggregateNotFoundError

from shared.audit.chain import GENESIS, StoredEvent, link
from shared.audit.checkpoint import Checkpoint, public_key_of, sign
from shared.audit.record import SYSTEM_ACTOR, AuditChain, chain_id
from shared.observability import CHAIN_CHECKPOINTS, CHAIN_POSITION, CHAIN_UNSIGNED
from shared.persistence.asyncpg_store import AsyncpgApplicationRecorder
from shared.persistence.asyncpg_store.greenlets import run_sync

if TYPE_CHECKING:
    from shared.application import VanguardApplication
    from shared.config import ServiceSettings

log = logging.getLogger("vanguard.audit")


@dataclass
class FollowerSettings:
    dsn: str
    service: str
    instance: str
    private_key: str
    every: int = 1000  # sign after this many new events
    seconds: float = 10.0  # or this long after the first unsigned one
    page: int = 1000
    gather_seconds: float = 0.25  # between reads of a log that is not behind


class ChainFollower:
    def __init__(self, settings: FollowerSettings, app: VanguardApplication) -> None:
        self.settings = settings
        self.app = app
        self.recorder: Any = app.recorder
        self.public_key = public_key_of(settings.private_key)  # fails at start on a bad key
        self.chain_id = chain_id(settings.service, settings.instance)
        self._lock_key = int.from_bytes(self.chain_id.bytes[:8], "big", signed=True)
        self.chain: AuditChain | None = None
        self.position = 0
        self.head = GENESIS
        self.unsigned = 0  # events other than our own checkpoints since the last checkpoint
        self.unsigned_since = 0.0
        self._wake = asyncio.Event()
        # Hand out what precedes a write in flight without waiting for it (never skipping it): a
        # settling read would take the writers' lock exclusively for a moment.
        self._read_options = {"settle": False} if isinstance(self.recorder, AsyncpgApplicationRecorder) else {}

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self._run_once(stopping)
            except Exception:
                log.exception(
                    "chain follower of %s/%s failed; retrying in 1 s", self.settings.service, self.settings.instance
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), 1.0)

    async def _run_once(self, stopping: asyncio.Event) -> None:
        conn = await asyncpg.connect(self.settings.dsn)
        try:
            # One follower per store, however many processes could run one (API workers, a second
            # relay started by mistake): the others wait here, at no cost, to take over.
            lock = asyncio.ensure_future(conn.execute("SELECT pg_advisory_lock($1)", self._lock_key))
            stop = asyncio.ensure_future(stopping.wait())
            await asyncio.wait({lock, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not lock.done():
                lock.cancel()
                stop.cancel()
                return
            stop.cancel()
            lock.result()
            attach = getattr(getattr(self.recorder, "datastore", None), "attach", None)
            if attach is not None:
                await attach()
            channel = getattr(getattr(self.recorder, "events_sql", None), "channel", None)
            if channel:
                await conn.add_listener(channel, lambda *_: self._wake.set())
            await run_sync(self._load)
            while not stopping.is_set():
                self._wake.clear()
                read = await run_sync(self._follow)
                if self.unsigned and (
                    self.unsigned >= self.settings.every
                    or time.monotonic() - self.unsigned_since >= self.settings.seconds
                ):
                    await run_sync(self._sign)
                    continue
                if read == self.settings.page:
                    continue  # catching up: read on at once
                # Let events gather: a read per write would cost the writers (they share the CPUs).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self.settings.gather_seconds)
                wait = self.settings.seconds - (time.monotonic() - self.unsigned_since) if self.unsigned else 60.0
                wake = asyncio.ensure_future(self._wake.wait())
                stop = asyncio.ensure_future(stopping.wait())
                try:
                    await asyncio.wait({wake, stop}, timeout=max(0.01, wait), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    wake.cancel()
                    stop.cancel()
        finally:
            await conn.close()

    def _load(self) -> None:
        """Resume after the last checkpoint this store holds (from the start if none)."""
        try:
            self.chain = self.app.repository.get(self.chain_id)
        except AggregateNotFoundError:
            self.chain = None
        if self.chain is not None and self.chain.position:
            self.position, self.head = self.chain.position, bytes.fromhex(self.chain.head)
        else:
            self.position, self.head = 0, GENESIS
        self.unsigned = 0
        CHAIN_POSITION.labels(self.settings.service, self.settings.instance).set(self.position)
        CHAIN_UNSIGNED.labels(self.settings.service, self.settings.instance).set(0)
        CHAIN_CHECKPOINTS.labels(self.settings.service, self.settings.instance)  # shown at 0 from the start

    def _follow(self) -> int:
        """Hash the next page of settled events onto the chain; how many were read."""
        page = self.recorder.select_notifications(
            self.position, self.settings.page, None, (), inclusive_of_start=False, **self._read_options
        )
        head, mine = self.head, self.chain_id
        for n in page:
            head = link(head, StoredEvent(n.id, str(n.originator_id), n.originator_version, n.topic, n.state))
            if n.originator_id != mine:
                if not self.unsigned:
                    self.unsigned_since = time.monotonic()
                self.unsigned += 1
        if page:
            self.head, self.position = head, page[-1].id
            CHAIN_POSITION.labels(self.settings.service, self.settings.instance).set(self.position)
            CHAIN_UNSIGNED.labels(self.settings.service, self.settings.instance).set(self.unsigned)
        return len(page)

    def _sign(self) -> None:
        s = self.settings
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        signed = sign(Checkpoint(s.service, s.instance, self.position, self.head, at), s.private_key)
        if self.chain is None:
            self.chain = AuditChain(s.service, s.instance, actor=SYSTEM_ACTOR)
        self.chain.checkpointed(
            self.position,
            self.head.hex(),
            at,
            base64.b64encode(signed.signature).decode(),
            self.public_key,
            actor=SYSTEM_ACTOR,
        )
        # Straight to the store: the service's "events recorded" are its users' commands, not these.
        mapper = self.app.mapper
        self.app.recorder.insert_events([mapper.to_stored_event(e) for e in self.chain.collect_events()])
        self.unsigned = 0
        CHAIN_CHECKPOINTS.labels(s.service, s.instance).inc()
        CHAIN_UNSIGNED.labels(s.service, s.instance).set(0)


def chain_follower(service: str, settings: ServiceSettings, app: VanguardApplication) -> ChainFollower | None:
    """The store's chain follower, if the instance has a key to sign its checkpoints with."""
    key = settings.audit_key.strip()
    if key and Path(key).is_file():
        key = Path(key).read_text(encoding="utf-8").strip()
    if not key:
        log.warning(
            "%s/%s: no VANGUARD_AUDIT_KEY, so no signed checkpoints of its hash chain (./vanguard audit keygen)",
            service,
            settings.instance,
        )
        return None
    every, seconds = settings.audit_checkpoint_every, settings.audit_checkpoint_seconds
    return ChainFollower(
        FollowerSettings(settings.database_dsn, service, settings.instance, key, every=every, seconds=seconds),
        app,
    )
