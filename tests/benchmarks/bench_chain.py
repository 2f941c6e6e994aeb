"""Recording with the chain follower against without it (issue 12; goal ≥ 0.95): single-event saves
into two stores of one durable PostgreSQL (fsync on), in alternating rounds; one store has a chain
follower running in a process of its own (as beside a relay), hashing and signing a checkpoint every
1,000 events, the other has none. At the end the follower's last checkpoint must cover the followed
store and match the chain recomputed here, or the figures do not count."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent

from shared.application import VanguardApplication
from shared.audit.chain import GENESIS, link
from shared.audit.chain import StoredEvent as ChainEvent
from shared.audit.checkpoint import make_key
from shared.audit.follower import ChainFollower, FollowerSettings
from shared.audit.record import chain_id
from shared.devstack.postgres import start_postgres

ROUNDS = 4
EVENTS_PER_ROUND = 3000
STATE = b'{"changes":{"title":"\\u4f18\\u5316\\u5ba1\\u6279\\u670d\\u52a1"},"at":"2026-06-30T10:00:00+08:00"}'
TOPIC = "services.filing.domain:Project.Revised"


def _app(dsn: str) -> VanguardApplication:
    env = {
        "PERSISTENCE_MODULE": "shared.persistence.asyncpg_store",
        "ASYNCPG_DSN": dsn,
        "ASYNCPG_POOL_SIZE": "4",
        "CREATE_TABLE": "y",
    }
    return VanguardApplication(env)


def _follow(dsn: str, private: str) -> None:
    """The follower process: runs until SIGTERM."""
    app = _app(dsn)
    follower = ChainFollower(FollowerSettings(dsn, "filing", "bench", private, every=1000, seconds=0.5), app)

    async def run() -> None:
        stopping = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        await follower.run(stopping)

    asyncio.run(run())


def _save(app: VanguardApplication, count: int) -> float:
    events = [StoredEvent(uuid.uuid4(), 1, TOPIC, STATE) for _ in range(count)]
    started = time.perf_counter()
    for event in events:
        app.recorder.insert_events([event])
    return count / (time.perf_counter() - started)


def _covered(app: VanguardApplication) -> tuple[int, bool]:
    """The last checkpoint's position, and whether its head is the chain recomputed from the store."""
    chain = app.repository.get(chain_id("filing", "bench"))
    head, after = GENESIS, 0
    while after < chain.position:
        page = app.recorder.select_notifications(after, 5000, chain.position, inclusive_of_start=False)
        for n in page:
            head = link(head, ChainEvent(n.id, str(n.originator_id), n.originator_version, n.topic, n.state))
        after = page[-1].id
    return chain.position, head.hex() == chain.head


def main() -> list[dict[str, Any]]:
    private, _ = make_key()
    with tempfile.TemporaryDirectory(prefix="bench-chain-") as folder:
        os.chmod(folder, 0o755)
        cluster = start_postgres(Path(folder) / "pg", durable=True)
        follower: multiprocessing.process.BaseProcess | None = None
        try:
            with psycopg.connect(cluster.database_dsn("postgres"), autocommit=True) as conn:
                conn.execute("CREATE DATABASE followed")
                conn.execute("CREATE DATABASE alone")
            followed, alone = _app(cluster.database_dsn("followed")), _app(cluster.database_dsn("alone"))
            follower = multiprocessing.get_context("spawn").Process(
                target=_follow, args=(cluster.database_dsn("followed"), private), daemon=True
            )
            follower.start()
            _save(followed, 200), _save(alone, 200)  # warm both up
            with_rates, without_rates = [], []
            for _ in range(ROUNDS):
                without_rates.append(_save(alone, EVENTS_PER_ROUND))
                with_rates.append(_save(followed, EVENTS_PER_ROUND))
            top = followed.recorder.max_notification_id() or 0
            deadline = time.monotonic() + 60
            position, matches = 0, False
            while time.monotonic() < deadline:
                try:
                    position, matches = _covered(followed)
                except Exception:  # no checkpoint yet
                    position = 0
                if position >= top:
                    break
                time.sleep(0.5)
            assert position >= top and matches, (
                f"the follower's checkpoint covers {position} of {top} (match {matches})"
            )
            followed.close()
            alone.close()
        finally:
            if follower is not None:
                follower.terminate()
                follower.join(10)
            cluster.stop()
    with_rate, without_rate = statistics.median(with_rates), statistics.median(without_rates)
    ratio = with_rate / without_rate
    print(f"single-event saves: {with_rate:,.0f}/s with the chain follower, {without_rate:,.0f}/s without")
    return [
        {
            "name": "recording with the chain follower / without",
            "with, events/s": with_rate,
            "without, events/s": without_rate,
            "ratio": ratio,
            "goal": "≥ 0.95",
            "met": ratio >= 0.95,
        }
    ]


if __name__ == "__main__":
    main()
