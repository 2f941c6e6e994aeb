"""The public's feedback rate limit, counted in PostgreSQL so that every API worker agrees.

A request reserves its place before the feedback is given, so that concurrent requests of one
address cannot all slip under the limit; a refused feedback gives its place back: only accepted
feedback counts."""

from __future__ import annotations

import math

import asyncpg

from shared.errors import TooManyRequests

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback_rate (
    client text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS feedback_rate_client_at ON feedback_rate (client, at);
ALTER TABLE feedback_rate ADD COLUMN IF NOT EXISTS id bigint GENERATED ALWAYS AS IDENTITY;
"""


async def create_schema(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        # Workers starting together can still collide in the catalogue: serialise them.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('vanguard_acceptance_schema'))")
        await conn.execute(SCHEMA)


async def admit(conn: asyncpg.Connection, client: str, limit: int, window_seconds: int) -> int:
    """Reserve one of `client`'s places in the window, or refuse when `limit` are taken; the
    reservation's id, to release it if the feedback is refused."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('feedback_rate:' || $1))", client)
        await conn.execute(
            "DELETE FROM feedback_rate WHERE client = $1 AND at <= clock_timestamp() - make_interval(secs => $2)",
            client,
            window_seconds,
        )
        made, oldest_age = await conn.fetchrow(
            "SELECT count(*), extract(epoch FROM clock_timestamp() - min(at)) FROM feedback_rate WHERE client = $1",
            client,
        )
        if made >= limit:
            wait = max(1, math.ceil(window_seconds - float(oldest_age or 0)))
            raise TooManyRequests(
                f"too much feedback from your address: at most {limit} in {window_seconds} "
                f"seconds; try again in {wait} seconds",
                retry_after_seconds=wait,
            )
        return int(await conn.fetchval("INSERT INTO feedback_rate (client) VALUES ($1) RETURNING id", client))


async def release(conn: asyncpg.Connection, reservation: int) -> None:
    """Give back the place of a feedback that was refused: it does not count."""
    await conn.execute("DELETE FROM feedback_rate WHERE id = $1", reservation)
