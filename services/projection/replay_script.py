"""Handlers' statements sent a few thousand at a time: a replay's answer to the round trip per
statement that live pays (asyncpg sends one statement and waits for it; it has no pipeline of
different statements).

`Script` stands in for the connection while a handler runs. Each statement is prepared once on the
server (PREPARE: its parameters' types inferred there, as asyncpg's own prepare infers them) and
held as `EXECUTE name('arg', ...)`, its arguments written as text (replay_literals). What is held is
sent as one simple query, in order, while the next is written (`send`, `settle`). A handler that
looks at what a held statement answered, reads anything, opens a savepoint or passes an argument
not written as text raises `NeedsAnswer`: its statements are dropped and it is run again on the
connection itself (after a flush), as live runs it. Two answers are given in advance, and checked
when sent: an existence check (`SELECT 1 FROM ...`) answers 1, and a row count compared with
"UPDATE 0" or "UPDATE 1" (DELETE and INSERT alike) answers as if one row changed; should either be
wrong, the statement fails the whole script (and its run is applied again another way).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any, NoReturn

import asyncpg

from services.projection.replay_literals import Render, Unwritable, renderer
from shared.messaging.transient import TRANSIENT

READY = 200_000  # characters held: worth sending while the next are written
_EXISTS = re.compile(r"\s*SELECT\s+1\s+FROM\s", re.IGNORECASE)
_STATUS = re.compile(r"(UPDATE|DELETE|INSERT 0) ([01])")
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_PLAIN_INSERT = re.compile(r"\s*INSERT\s+INTO\s+([\w.\"]+)[^;]*?\bVALUES\s*\(", re.IGNORECASE | re.DOTALL)
_NOT_PLAIN = re.compile(r"\b(ON\s+CONFLICT|RETURNING|SELECT|WITH)\b", re.IGNORECASE)
_EXPECT = (
    "CREATE OR REPLACE FUNCTION pg_temp.replay_expect(ok boolean) RETURNS void LANGUAGE plpgsql AS $$ "
    "BEGIN IF NOT ok THEN RAISE EXCEPTION 'replay: a row taken to exist does not'; END IF; END $$"
)


def plain_insert_table(sql: str) -> str | None:
    """The table a statement only appends one row to (INSERT ... VALUES, nothing read or returned)."""
    match = _PLAIN_INSERT.match(sql)
    if match is None or ";" in sql or _NOT_PLAIN.search(sql, match.end()):
        return None
    return match.group(1).strip('"').rsplit(".", 1)[-1]


class NeedsAnswer(BaseException):
    """The handler needs what a statement answers: run it again on the connection itself. (Not an
    Exception: a handler's own `except Exception` must let it through.)"""


class Unanswered:
    """What a held statement answers. Compared with "UPDATE 0" or "UPDATE 1" (DELETE, "INSERT 0 ..."
    alike) it answers as if one row was changed, and the statement is sent with a check of that;
    looked at in any other way, it raises NeedsAnswer."""

    __slots__ = ("_generation", "_index", "_script")

    def __init__(self, script: Script, index: int) -> None:
        self._script, self._index, self._generation = script, index, script.generation

    def __eq__(self, other: object) -> bool:
        return self._script.answer(self._index, self._generation, other)

    def __ne__(self, other: object) -> bool:
        return not self._script.answer(self._index, self._generation, other)

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NeedsAnswer

    __lt__ = __le__ = __gt__ = __ge__ = __hash__ = __bool__ = __len__ = __str__ = __format__ = _refuse  # type: ignore[assignment]
    __iter__ = __contains__ = __getitem__ = __add__ = __radd__ = __getattr__ = _refuse  # type: ignore[assignment]


def _batches(rows: list[tuple[int, str, str, tuple[Any, ...]]]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Rows in order, each run of one statement's together."""
    batches: list[tuple[str, list[tuple[Any, ...]]]] = []
    for _, sql, _, args in rows:
        if batches and batches[-1][0] == sql:
            batches[-1][1].append(args)
        else:
            batches.append((sql, [args]))
    return batches


class ScriptFailed(BaseException):
    """A script sent failed (the transaction it was sent in is lost)."""


class Script:
    """A stand-in connection that holds statements and sends them as simple queries (see the
    module's docstring). One script is executed by the server while the next is written: the
    connection is used for nothing else meanwhile, so `settle()` before using it directly."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.held: list[str] = []
        self._sql: list[str] = []  # the statement each held one executes
        self.generation = 0  # changes whenever what is held is sent or dropped
        self._size = 0
        self._checks: dict[int, tuple[str, list[str]]] = {}  # held index -> (its sql, conditions on its row count)
        self._prepared: dict[str, tuple[str, list[Render]] | None] = {}  # sql -> (name, renderers); None: cannot
        self._sending: asyncio.Future[Any] | None = None
        # Rows appended to tables no other statement has named: sent apart, binary, in batches.
        self._rows: list[tuple[int, str, str, tuple[Any, ...]]] = []  # (number, sql, table, args)
        self._numbered = 0  # rows appended so far
        self._appends_to: dict[str, str | None] = {}  # sql -> the table it only appends a row to
        self._named: set[str] = set()  # tables some other statement named: appended to in the script
        self._marked = 0  # the number of the running handler's first row

    async def start(self) -> None:
        """Settings under which the text written here reads back as asyncpg's binary would."""
        await self.conn.execute("SET standard_conforming_strings = on; SET DateStyle = 'ISO, YMD'")
        await self.conn.execute(_EXPECT)

    @property
    def ready(self) -> bool:
        """Enough is held to be worth sending while the next is written."""
        return self._size > READY

    def mark(self) -> tuple[int, int]:
        """Where a handler starts (what it holds can be dropped again)."""
        self._marked = self._numbered
        return len(self.held), self._numbered

    def drop_after(self, mark: tuple[int, int]) -> None:
        """Forget what was held after `mark` (a handler that is run again)."""
        held, numbered = mark
        self._size -= sum(len(s) for s in self.held[held:])
        del self.held[held:]
        del self._sql[held:]
        self._rows = [row for row in self._rows if row[0] < numbered]
        self._checks = {i: check for i, check in self._checks.items() if i < held}
        self.generation += 1

    def discard(self) -> None:
        self.held.clear()
        self._sql.clear()
        self._checks.clear()
        self._rows.clear()
        self._size = 0
        self.generation += 1

    async def send(self) -> None:
        """Start sending what is held, in order, once what was sent before is done: the rows appended
        apart (binary, a batch per statement), then the statements as one query. Raises ScriptFailed
        if what was sent before failed; this one's failure shows at the next send or settle."""
        await self.settle()
        for index, (sql, conditions) in self._checks.items():
            checked = (
                f"WITH done AS ({sql.rstrip()} RETURNING 1) SELECT pg_temp.replay_expect("
                + " AND ".join(f"(SELECT count(*) FROM done) {c}" for c in conditions)
                + ")"
            )
            try:
                name, _ = await self._statement(checked)
            except NeedsAnswer:
                raise ScriptFailed from None  # cannot be checked: let the statements show what they answer
            self.held[index] = f"EXECUTE {name}" + self.held[index][self.held[index].index("(") :]
        batches, script = _batches(self._rows), ";\n".join(self.held)
        self.discard()
        if batches or script:
            self._sending = asyncio.ensure_future(self._send(batches, script))

    async def _send(self, batches: list[tuple[str, list[tuple[Any, ...]]]], script: str) -> None:
        for sql, rows in batches:
            await self.conn.executemany(sql, rows)
        if script:
            await self.conn.execute(script)

    async def _append(self, tables: set[str]) -> None:
        """Send the rows appended apart to `tables` now (what was sent before is done); the others stay."""
        rows = [row for row in self._rows if row[2] in tables]
        self._rows = [row for row in self._rows if row[2] not in tables]
        try:
            for sql, args in _batches(rows):
                await self.conn.executemany(sql, args)
        except TRANSIENT:
            raise
        except Exception as error:
            raise ScriptFailed from error

    async def settle(self) -> None:
        """Wait for what was sent; ScriptFailed if it failed (errors of the connection itself pass)."""
        sending, self._sending = self._sending, None
        if sending is None:
            return
        try:
            await sending
        except TRANSIENT:
            raise
        except Exception as error:
            raise ScriptFailed from error

    async def flush(self) -> None:
        """Send what is held and wait for it."""
        await self.send()
        await self.settle()

    async def abandon(self) -> None:
        """Drop what is held and wait for what was sent, whatever becomes of it."""
        self.discard()
        with contextlib.suppress(Exception, ScriptFailed):
            await self.settle()

    def answer(self, index: int, generation: int, other: object) -> bool:
        """Whether a held statement's status equals `other`: taken to be what one row changed gives."""
        match = _STATUS.fullmatch(other) if type(other) is str else None
        if match is None or generation != self.generation:
            raise NeedsAnswer
        sql = self._sql[index]
        verb = sql.lstrip()[:6].upper()
        if not match.group(1).startswith(verb) or ";" in sql or _RETURNING.search(sql):
            raise NeedsAnswer
        equal = match.group(2) == "1"
        self._checks.setdefault(index, (sql, []))[1].append("= 1" if equal else "<> 0")
        return equal

    async def _statement(self, sql: str) -> tuple[str, list[Render]]:
        if sql not in self._prepared:
            self._prepared[sql] = await self._prepare(sql)
        prepared = self._prepared[sql]
        if prepared is None:
            raise NeedsAnswer
        return prepared

    async def _prepare(self, sql: str) -> tuple[str, list[Render]] | None:
        if len(self._prepared) >= 1000:  # handlers build their statements from a few shapes
            return None
        await self.settle()
        name = f"replay_{len(self._prepared)}"
        try:
            async with self.conn.transaction():  # a savepoint: a statement that will not prepare costs nothing else
                await self.conn.execute(f"PREPARE {name} AS {sql}")
        except asyncpg.PostgresError:
            return None
        types = await self.conn.fetchval(
            "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = $1", name
        )
        return name, [renderer(t) for t in types or []]

    def _hold(self, sql: str, prepared: tuple[str, list[Render]], args: tuple[Any, ...]) -> None:
        name, renders = prepared
        if len(renders) != len(args):
            raise NeedsAnswer  # asyncpg says how the arguments are wrong
        written = []
        try:
            for render, arg in zip(renders, args, strict=True):
                written.append("NULL" if arg is None else render(arg))
        except Unwritable:
            raise NeedsAnswer from None
        statement = f"EXECUTE {name}({','.join(written)})"
        self.held.append(statement)
        self._sql.append(sql)
        self._size += len(statement)

    async def execute(self, sql: str, *args: Any, **kwargs: Any) -> Unanswered | str:
        if not args or kwargs:
            raise NeedsAnswer  # no arguments: asyncpg sends it as a simple query, several statements maybe
        table = self._appends_to[sql] if sql in self._appends_to else self._learn(sql)
        if table is not None and table not in self._named:
            self._rows.append((self._numbered, sql, table, args))
            self._numbered += 1
            return "INSERT 0 1"  # a plain INSERT adds its one row or fails (and then so does the run)
        await self._naming(sql)
        self._hold(sql, self._prepared.get(sql) or await self._statement(sql), args)
        return Unanswered(self, len(self.held) - 1)

    async def fetchval(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs or not _EXISTS.match(sql) or ";" in sql:
            raise NeedsAnswer
        await self._naming(sql)
        check = f"SELECT pg_temp.replay_expect(EXISTS ({sql}))"
        self._hold(check, self._prepared.get(check) or await self._statement(check), args)
        return 1

    def _learn(self, sql: str) -> str | None:
        table = plain_insert_table(sql)
        if len(self._appends_to) < 1000:
            self._appends_to[sql] = table
        return table

    async def _naming(self, sql: str) -> None:
        """Before a statement that names tables rows were appended to apart: send those rows first,
        and append to those tables in the script from now on."""
        named = {t for t in {row[2] for row in self._rows} if t in sql} if self._rows else set()
        self._named.update(t for t in self._appends_to.values() if t is not None and t in sql)
        if not named:
            return
        if any(row[2] in named for row in self._rows if row[0] >= self._marked):
            raise NeedsAnswer  # the running handler's own row would be sent before it could be run again
        await self.settle()
        await self._append(named)

    async def fetch(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NeedsAnswer

    async def fetchrow(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NeedsAnswer

    async def executemany(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NeedsAnswer

    def transaction(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NeedsAnswer

    def __getattr__(self, name: str) -> NoReturn:
        raise NeedsAnswer
