"""Recorder throughput: shared.persistence.asyncpg_store against eventsourcing.postgres.

Run with `python -m tests.benchmarks.bench_recorder`. Starts its own durable PostgreSQL (fsync
on, so commits cost what they cost) and measures both recorders on the same database, in
alternating rounds so that background load drifting during the run hits both alike.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import asyncpg
import psycopg
from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from shared.devstack.postgres import start_postgres
from shared.persistence.asyncpg_store import AsyncpgApplicationRecorder, AsyncpgDatastore

ROUNDS = 10
SINGLE_EVENTS = 5000  # per recorder, one event per insert_events() call
BATCHES, BATCH_SIZE = 100, 100
READ_EVENTS, PAGE = 20_000, 1000
STATE = b'{"amount":"10.00","timestamp":"2024-01-01T00:00:00+00:00"}'

SINGLE = "single-event saves (events/s)"
BATCHED = f"batched saves x{BATCH_SIZE} (events/s)"
READ = f"select_notifications x{PAGE} (notifications/s)"
RAW = "raw asyncpg single-row INSERT tx (tx/s)"


def _events(count: int) -> list[StoredEvent]:
    return [StoredEvent(uuid.uuid4(), 1, "bench:Event", STATE) for _ in range(count)]


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _save_one_by_one(recorder: ApplicationRecorder, count: int) -> float:
    events = _events(count)
    return _timed(lambda: [recorder.insert_events([e]) for e in events])


def _save_batches(recorder: ApplicationRecorder, count: int) -> float:
    batches = [_events(BATCH_SIZE) for _ in range(count)]
    return _timed(lambda: [recorder.insert_events(b) for b in batches])


def _read_pages(recorder: ApplicationRecorder, times: int) -> float:
    def read() -> None:
        count, start = 0, 0
        while count < READ_EVENTS:
            page = recorder.select_notifications(start, PAGE, inclusive_of_start=False)
            assert len(page) == PAGE
            count += len(page)
            start = page[-1].id

    return sum(_timed(read) for _ in range(times))


def _compare(
    recorders: dict[str, ApplicationRecorder],
    run: Callable[[ApplicationRecorder, int], float],
    total: int,
    units_per_call: int,
) -> dict[str, float]:
    """Units per second for each recorder: the median of ROUNDS alternating rounds.

    Alternating, and the median, so that other load on the machine, which comes and goes,
    weighs on both recorders alike and a disturbed round does not decide the result.
    """
    per_round = total // ROUNDS
    rates: dict[str, list[float]] = {name: [] for name in recorders}
    for recorder in recorders.values():
        run(recorder, max(1, per_round // 5))  # warm up: connections, prepared statements
    for _ in range(ROUNDS):
        for name, recorder in recorders.items():
            rates[name].append(per_round * units_per_call / run(recorder, per_round))
    return {name: statistics.median(values) for name, values in rates.items()}


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


def _library_datastore(dsn: str) -> PostgresDatastore:
    url = urlparse(dsn)
    return PostgresDatastore(
        dbname=url.path.lstrip("/"),
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or "",
        pool_size=5,
    )


def _measure(dsn: str) -> dict[str, dict[str, float]]:
    library_datastore = _library_datastore(dsn)
    ours_datastore = AsyncpgDatastore(dsn, pool_size=5)
    try:
        library = PostgresApplicationRecorder(library_datastore, events_table_name="lib_events")
        ours = AsyncpgApplicationRecorder(ours_datastore, events_table_name="ours_events")
        recorders: dict[str, ApplicationRecorder] = {"ours": ours, "library": library}
        for recorder in (library, ours):
            recorder.create_table()
        results = {
            SINGLE: _compare(recorders, _save_one_by_one, SINGLE_EVENTS, 1),
            BATCHED: _compare(recorders, _save_batches, BATCHES, BATCH_SIZE),
        }
        for recorder in recorders.values():
            while (recorder.max_notification_id() or 0) < READ_EVENTS:
                recorder.insert_events(_events(1000))
        results[READ] = _compare(recorders, _read_pages, ROUNDS, READ_EVENTS)
        return results
    finally:
        ours_datastore.close()
        library_datastore.close()


def main() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-recorder-") as folder:
        # The server runs as another user, whose group may not match ours: open the folder up.
        os.chmod(folder, 0o755)
        cluster = start_postgres(Path(folder) / "pg", durable=True)
        try:
            with psycopg.connect(cluster.database_dsn("postgres"), autocommit=True) as conn:
                conn.execute("CREATE DATABASE bench")
            dsn = cluster.database_dsn("bench")
            raw = asyncio.run(_raw_inserts(dsn, SINGLE_EVENTS))
            results = _measure(dsn)
        finally:
            cluster.stop()

    rows: list[dict] = [
        {"measure": name, "ours": r["ours"], "library": r["library"], "ratio": r["ours"] / r["library"]}
        for name, r in results.items()
    ]
    rows.append({"measure": RAW, "ours": raw, "library": None, "ratio": None})
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
