"""Comparing two projection databases read model by read model (schema.READ_MODELS): a checksum per
table computed in SQL (md5 over each row's text, in the table's order, without the columns that
record local facts), and, where two differ, the first rows that do, column by column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from services.projection.schema import READ_MODELS

SHOWN = 5  # differing rows shown per table
# Text forms that do not depend on the session: timestamps in UTC, dates in ISO.
_SESSION = (
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1; SET IntervalStyle = 'postgres'; "
    "SET bytea_output = 'hex'"
)


@dataclass
class RowDifference:
    key: str  # the row's order columns, as text
    live: dict[str, Any] | None  # None: the row is only in the replay
    replayed: dict[str, Any] | None  # None: only live

    def describe(self) -> str:
        if self.replayed is None:
            return f"{self.key}: only live: {_short(self.live)}"
        if self.live is None:
            return f"{self.key}: only replayed: {_short(self.replayed)}"
        changed = [c for c in self.live if self.live.get(c) != self.replayed.get(c)]
        return f"{self.key}: " + "; ".join(
            f"{c}: live {_short(self.live.get(c))}, replayed {_short(self.replayed.get(c))}" for c in changed
        )


@dataclass
class TableCheck:
    table: str
    live_rows: int
    replayed_rows: int
    live_checksum: str
    replayed_checksum: str
    columns: list[str]
    problem: str = ""  # the tables cannot be compared row by row (say their columns differ)
    differences: list[RowDifference] = field(default_factory=list)
    differing: int = 0  # rows that differ, in all

    @property
    def equal(self) -> bool:
        return not self.problem and self.live_checksum == self.replayed_checksum


async def session(conn: asyncpg.Connection) -> None:
    await conn.execute(_SESSION)


async def columns(conn: asyncpg.Connection, table: str) -> list[str]:
    """The table's columns that record history (not local facts), in their order; [] if no such table."""
    local = READ_MODELS[table][1]
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    return [r[0] for r in rows if r[0] not in local]


def _quoted(names: list[str]) -> str:
    return ", ".join('"' + n.replace('"', '""') + '"' for n in names)


async def checksum(conn: asyncpg.Connection, table: str, names: list[str]) -> tuple[int, str]:
    """(rows, md5 over the md5 of each row's text, in the table's order)."""
    order = READ_MODELS[table][0]
    row = await conn.fetchrow(
        f"SELECT count(*), md5(coalesce(string_agg(md5(ROW({_quoted(names)})::text), '' "
        f"ORDER BY {order}, ROW({_quoted(names)})::text), '')) FROM {table}"
    )
    assert row is not None
    return row[0], row[1]


async def compare(live: asyncpg.Connection, replayed: asyncpg.Connection, shown: int = SHOWN) -> list[TableCheck]:
    """Every read model of `live` against `replayed` (both with their sessions set by `session`)."""
    checks = []
    for table in READ_MODELS:
        live_columns, replayed_columns = await columns(live, table), await columns(replayed, table)
        problem = ""
        if not live_columns or not replayed_columns:
            problem = f"no table {table} in the {'live' if not live_columns else 'replayed'} database"
        elif live_columns != replayed_columns:
            only_live = [c for c in live_columns if c not in replayed_columns]
            only_replayed = [c for c in replayed_columns if c not in live_columns]
            problem = f"columns differ: only live {only_live or '-'}, only replayed {only_replayed or '-'}"
        names = [c for c in live_columns if c in replayed_columns]
        live_rows, live_sum = await checksum(live, table, names) if live_columns else (0, "")
        replayed_rows, replayed_sum = await checksum(replayed, table, names) if replayed_columns else (0, "")
        check = TableCheck(table, live_rows, replayed_rows, live_sum, replayed_sum, names, problem)
        if names and live_sum != replayed_sum:
            check.differing, check.differences = await differences(live, replayed, table, names, shown)
        checks.append(check)
    return checks


async def _hashes(conn: asyncpg.Connection, table: str, names: list[str]) -> list[tuple[str, str]]:
    order = READ_MODELS[table][0]
    rows = await conn.fetch(
        f"SELECT ROW({order})::text, md5(ROW({_quoted(names)})::text) FROM {table} "
        f"ORDER BY {order}, ROW({_quoted(names)})::text"
    )
    return [(r[0], r[1]) for r in rows]


async def differences(
    live: asyncpg.Connection, replayed: asyncpg.Connection, table: str, names: list[str], shown: int
) -> tuple[int, list[RowDifference]]:
    """How many rows differ, and the first `shown` of them (in live's order, then the replay's extras)."""
    live_rows, replayed_rows = await _hashes(live, table, names), await _hashes(replayed, table, names)
    theirs = dict(replayed_rows)
    ours = dict(live_rows)
    keys = [k for k, h in live_rows if theirs.get(k) != h]
    keys += [k for k, _ in replayed_rows if k not in ours]
    first = list(dict.fromkeys(keys))
    live_found = await _rows(live, table, names, first[:shown])
    replayed_found = await _rows(replayed, table, names, first[:shown])
    return len(first), [RowDifference(k, live_found.get(k), replayed_found.get(k)) for k in first[:shown]]


async def _rows(conn: asyncpg.Connection, table: str, names: list[str], keys: list[str]) -> dict[str, dict[str, Any]]:
    if not keys:
        return {}
    order = READ_MODELS[table][0]
    rows = await conn.fetch(
        f"SELECT ROW({order})::text, {_quoted(names)} FROM {table} WHERE ROW({order})::text = ANY($1::text[])", keys
    )
    return {r[0]: {n: r[n] for n in names} for r in rows}


async def read_models(conn: asyncpg.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every read model's rows in a stable order, without the columns local to one database."""
    out = {}
    for table, (order, local) in READ_MODELS.items():
        rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY {order}")
        out[table] = [tuple(v for k, v in r.items() if k not in local) for r in rows]
    return out


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
