"""How long the inspection scheduler takes to find what is due, with 1k, 10k and 100k open deadlines.

Run with `python -m tests.benchmarks.bench_scheduler`. Starts its own PostgreSQL, fills the
`deadlines` table with open deadlines spread over the coming year plus a fixed few already due,
and times the scheduler's own query (services.inspection.scheduler.DUE) in a transaction that is
rolled back, so every round finds the same rows. The index on due_at turns it into a range scan
that reads only what is due: its time stays flat as the table grows. For contrast, the same query
with index scans disabled (a scan of everything) grows with the table.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from services.inspection.scheduler import DUE, create_schema
from shared.devstack.postgres import start_postgres

SIZES = (1_000, 10_000, 100_000)
DUE_NOW = 50  # deadlines already passed, found by every round
BATCH = 200  # the scheduler's LIMIT
ROUNDS = 300
SCAN_ROUNDS = 30


def _rows(count: int, now: dt.datetime) -> list[tuple[uuid.UUID, str, str, dt.datetime]]:
    rng = random.Random(count)
    kinds = ("due_soon", "milestone_overdue", "rectification_overdue")
    future = [
        (uuid.uuid4(), kinds[n % 3], f"m{n % 7}", now + dt.timedelta(minutes=rng.randint(60, 365 * 24 * 60)))
        for n in range(count - DUE_NOW)
    ]
    passed = [
        (uuid.uuid4(), "milestone_overdue", "m1", now - dt.timedelta(minutes=rng.randint(1, 600)))
        for _ in range(DUE_NOW)
    ]
    return future + passed


async def _timed(conn: asyncpg.Connection, now: dt.datetime, rounds: int, query: str = DUE) -> list[float]:
    times = []
    for _ in range(rounds):
        transaction = conn.transaction()
        await transaction.start()
        started = time.perf_counter()
        found = await conn.fetch(query, now, BATCH)
        times.append((time.perf_counter() - started) * 1000)
        await transaction.rollback()
        assert len(found) == DUE_NOW
    return times


def _nodes(plan: dict[str, Any]) -> list[str]:
    """The plan's node chain, outermost first, e.g. Limit → LockRows → Index Scan (deadlines_due_at)."""
    chain = []
    while plan:
        label = plan["Node Type"] + (f" ({plan['Index Name']})" if "Index Name" in plan else "")
        chain.append(label)
        plan = (plan.get("Plans") or [None])[0]
    return chain


async def _explain(conn: asyncpg.Connection, now: dt.datetime) -> tuple[str, int, str]:
    transaction = conn.transaction()
    await transaction.start()
    try:
        raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {DUE}", now, BATCH)
        text = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {DUE}", now, BATCH)
    finally:
        await transaction.rollback()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    buffers = int(plan.get("Shared Hit Blocks", 0)) + int(plan.get("Shared Read Blocks", 0))
    return " → ".join(_nodes(plan)), buffers, "\n".join(r[0] for r in text)


async def _measure(dsn: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    results = []
    try:
        await create_schema(conn)
        now = dt.datetime.now(dt.UTC)
        for size in SIZES:
            await conn.execute("TRUNCATE deadlines")
            await conn.copy_records_to_table(
                "deadlines", records=_rows(size, now), columns=["supervision_id", "kind", "ref", "due_at"]
            )
            await conn.execute("VACUUM ANALYZE deadlines")
            await _timed(conn, now, 20)  # warm up
            times = await _timed(conn, now, ROUNDS)
            chain, buffers, text = await _explain(conn, now)
            await conn.execute("SET enable_indexscan = off; SET enable_bitmapscan = off")
            # Its own statement text: a prepared statement's cached plan would keep using the index.
            scan_times = await _timed(conn, now, SCAN_ROUNDS, f"{DUE} -- full scan {size}")
            await conn.execute("RESET enable_indexscan; RESET enable_bitmapscan")
            print(f"\n-- {size:,} open deadlines, {DUE_NOW} due --\n{text}", flush=True)
            results.append(
                {
                    "open deadlines": size,
                    "due now": DUE_NOW,
                    "median ms": statistics.median(times),
                    "p95 ms": statistics.quantiles(times, n=20)[18],
                    "buffers": buffers,
                    "plan": chain,
                    "full scan median ms": statistics.median(scan_times),
                }
            )
    finally:
        await conn.close()
    return results


def main() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="vanguard-bench-scheduler-") as folder:
        cluster = start_postgres(Path(folder) / "postgres", durable=False)
        try:
            admin = cluster.database_dsn("postgres")

            async def run() -> list[dict[str, Any]]:
                conn = await asyncpg.connect(admin)
                try:
                    await conn.execute('CREATE DATABASE "bench_scheduler"')
                finally:
                    await conn.close()
                return await _measure(cluster.database_dsn("bench_scheduler"))

            rows = asyncio.run(run())
        finally:
            cluster.stop()
    for row in rows:
        print(row)
    return rows


if __name__ == "__main__":
    main()
