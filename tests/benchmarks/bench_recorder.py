"""Recorder throughput: shared.persistence.asyncpg_store against eventsourcing.postgres.

Run with `python -m tests.benchmarks.bench_recorder`. Starts its own durable PostgreSQL, so
commit costs are real (fsync on), and measures both recorders on the same database.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg
import psycopg

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from shared.devstack.postgres import start_postgres
from shared.persistence.asyncpg_store import AsyncpgApplicationRecorder, AsyncpgDatastore

SINGLE_EVENTS = 3000
BATCHES, BATCH_SIZE = 100, 100
READ_EVENTS, PAGE = 20_000, 1000
STATE = b'{"amount":"10.00","timestamp":"2024-01-01T00:00:00+00:00"}'


def _events(count: int) -> list[StoredEvent]:
    return [StoredEvent(uuid.uuid4(), 1, "bench:Event", STATE) for _ in range(count)]


def _rate(count: int, action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return count / (time.perf_counter() - started)


def _single(recorder: ApplicationRecorder) -> float:
    events = _events(SINGLE_EVENTS)
    for event in events[:100]:  # warm up: connections, prepared statements
        recorder.insert_events([StoredEvent(uuid.uuid4(), 1, event.topic, event.state)])
    return _rate(SINGLE_EVENTS, lambda: [recorder.insert_events([e]) for e in events])


def _batched(recorder: ApplicationRecorder) -> float:
    batches = [_events(BATCH_SIZE) for _ in range(BATCHES)]
    recorder.insert_events(_events(BATCH_SIZE))
    return _rate(BATCHES * BATCH_SIZE, lambda: [recorder.insert_events(b) for b in batches])


def _read(recorder: ApplicationRecorder, first_id: int) -> float:
    def read_all() -> int:
        count, start = 0, first_id
        while True:
            page = recorder.select_notifications(start, PAGE, inclusive_of_start=False)
            if not page:
                return count
            count += len(page)
            start = page[-1].id

    read_all()  # warm up
    started = time.perf_counter()
    count = read_all()
    assert count >= READ_EVENTS, count
    return count / (time.perf_counter() - started)


def _measure(recorder: ApplicationRecorder) -> dict[str, float]:
    results = {
        "single-event saves (events/s)": _single(recorder),
        f"batched saves x{BATCH_SIZE} (events/s)": _batched(recorder),
    }
    first_id = recorder.max_notification_id() or 0
    for _ in range(READ_EVENTS // 1000):
        recorder.insert_events(_events(1000))
    results[f"select_notifications x{PAGE} (notifications/s)"] = _read(recorder, first_id)
    return results


async def _raw_inserts(dsn: str, count: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE raw_inserts (id bigserial PRIMARY KEY, state bytea)")
        insert = await conn.prepare("INSERT INTO raw_inserts (state) VALUES ($1)")
        for _ in range(100):
            await insert.fetch(STATE)
        started = time.perf_counter()
        for _ in range(count):
            await insert.fetch(STATE)
        return count / (time.perf_counter() - started)
    finally:
        await conn.close()


def _library_recorder(dsn: str) -> tuple[PostgresDatastore, PostgresApplicationRecorder]:
    url = urlparse(dsn)
    datastore = PostgresDatastore(
        dbname=url.path.lstrip("/"),
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or "",
        pool_size=5,
    )
    recorder = PostgresApplicationRecorder(datastore, events_table_name="library_events")
    recorder.create_table()
    return datastore, recorder


def main() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-recorder-") as folder:
        # The server runs as another user whose group may not match ours: open the folder up.
        os.chmod(folder, 0o755)
        cluster = start_postgres(Path(folder) / "pg", durable=True)
        try:
            with psycopg.connect(cluster.database_dsn("postgres"), autocommit=True) as conn:
                conn.execute("CREATE DATABASE bench")
            dsn = cluster.database_dsn("bench")

            raw = asyncio.run(_raw_inserts(dsn, SINGLE_EVENTS))

            library_datastore, library = _library_recorder(dsn)
            try:
                baseline = _measure(library)
            finally:
                library_datastore.close()

            with AsyncpgDatastore(dsn, pool_size=5) as datastore:
                ours_recorder = AsyncpgApplicationRecorder(datastore, events_table_name="ours_events")
                ours_recorder.create_table()
                ours = _measure(ours_recorder)
        finally:
            cluster.stop()

    rows: list[dict] = [
        {"measure": name, "ours": ours[name], "library": baseline[name],
         "ratio": ours[name] / baseline[name]}
        for name in ours
    ]
    rows.append({"measure": "raw asyncpg single-row INSERT (tx/s)", "ours": raw,
                 "library": None, "ratio": None})
    _print(rows)
    return rows


def _print(rows: list[dict]) -> None:
    def cell(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    width = max(len(r["measure"]) for r in rows)
    print(f"{'measure':<{width}}  {'asyncpg_store':>13}  {'library':>9}  {'ratio':>6}")
    for r in rows:
        print(
            f"{r['measure']:<{width}}  {cell(r['ours'], ',.0f'):>13}  "
            f"{cell(r['library'], ',.0f'):>9}  {cell(r['ratio'], '.2f'):>6}"
        )


if __name__ == "__main__":
    main()
