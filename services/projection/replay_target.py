"""The database a replay writes into: a fresh one, made on the live projection's server unless
named in full; never one that already holds anything."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from services.projection.replay_sources import ReplayError, connect, masked

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_HOLDS_ANYTHING = (
    "SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' "
    "AND n.nspname NOT LIKE 'pg_temp%')"
)


def with_database(dsn: str, name: str) -> str:
    """The same server's DSN for database `name`."""
    parts = urlsplit(dsn)
    if not parts.scheme.startswith("postgres") or not parts.netloc:
        raise ReplayError(f"{masked(dsn)} is not a postgresql:// URL")
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_of(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


def default_name(now: dt.datetime | None = None) -> str:
    return f"replay_{(now or dt.datetime.now()).strftime('%Y%m%d_%H%M%S')}"


def check_into(into: str | None) -> None:
    """Refuse a --into that names no database, before anything is done."""
    if into is None:
        return
    name = database_of(into) if "://" in into else into
    if not _NAME.fullmatch(name):
        raise ReplayError(f"--into {masked(into)!r}: name a database (letters, digits and _, at most 63)")


async def prepare_target(live_dsn: str, into: str | None) -> tuple[str, bool]:
    """The DSN to replay into, and whether it was created for this replay.

    `into` is a database name (made on the live projection's server) or a full DSN; by default a
    new replay_<timestamp>. An existing database is used only if it holds nothing at all.
    """
    check_into(into)
    dsn = into if into and "://" in into else with_database(live_dsn, into or default_name())
    if _same_database(dsn, live_dsn):
        raise ReplayError("--into names the live projection's own database: a replay goes into a fresh one")
    name = database_of(dsn)
    admin = await connect(with_database(dsn, "postgres"), "the replay database's server")
    try:
        exists = await admin.fetchval("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name)
        if not exists:
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.PostgresError as error:
                raise ReplayError(f"cannot create database {name}: {error}") from None
            return dsn, True
        if into is None:  # a default name taken within the second: take the next
            for n in range(2, 100):
                candidate = f"{name}_{n}"
                if not await admin.fetchval("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", candidate):
                    await admin.execute(f'CREATE DATABASE "{candidate}"')
                    return with_database(dsn, candidate), True
    finally:
        await admin.close()
    target = await connect(dsn, "the replay database")
    try:
        if await target.fetchval(_HOLDS_ANYTHING):
            raise ReplayError(
                f"database {name} already holds tables: a replay goes into an empty database (choose another --into)"
            )
    finally:
        await target.close()
    return dsn, False


async def drop(dsn: str) -> None:
    """Drop a database this replay created (its connections closed first)."""
    admin = await connect(with_database(dsn, "postgres"), "the replay database's server")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database_of(dsn)}" WITH (FORCE)')
    finally:
        await admin.close()


def _same_database(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.hostname, pa.port or 5432, pa.path) == (pb.hostname, pb.port or 5432, pb.path)
