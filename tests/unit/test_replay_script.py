"""The replay's held statements: each argument is written as the text PostgreSQL reads back as the
value asyncpg would have sent, or not at all (the handler then runs on the connection itself), and
what a held statement answers cannot be looked at, except for the row-count checks handlers make."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest

from services.projection.replay_literals import Unwritable, renderer
from services.projection.replay_script import NeedsAnswer, Script

UTC8 = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("type_name", "value", "written"),
    [
        ("text", "it's", "'it''s'"),
        ("text", "环保管家\\n", "'环保管家\\n'"),
        ("jsonb", '{"a": "b"}', '\'{"a": "b"}\''),
        ("integer", 7, "'7'"),
        ("bigint", True, "'1'"),
        ("double precision", 0.1, "'0.1'"),
        ("double precision", 3, "'3.0'"),
        ("double precision", float("nan"), "'NaN'"),
        ("boolean", False, "'false'"),
        ("uuid", uuid.UUID(int=1), "'00000000-0000-0000-0000-000000000001'"),
        ("uuid", "9f1c2a4e-1d2b-4c3d-8e9f-0a1b2c3d4e5f", "'9f1c2a4e-1d2b-4c3d-8e9f-0a1b2c3d4e5f'"),
        ("date", dt.date(2026, 3, 31), "'2026-03-31'"),
        ("timestamp with time zone", dt.datetime(2026, 3, 31, 9, tzinfo=UTC8), "'2026-03-31T09:00:00+08:00'"),
        ("text[]", ["m1", 'say "hi"', None], '\'{"m1","say \\"hi\\"",NULL}\''),
        ("text[]", [], "'{}'"),
    ],
)
def test_an_argument_is_written_as_postgresql_reads_the_value(type_name: str, value: Any, written: str) -> None:
    assert renderer(type_name)(value) == written


@pytest.mark.parametrize(
    ("type_name", "value"),
    [
        ("text", 5),  # asyncpg refuses it: the handler fails as it would live
        ("text", "nul \x00 inside"),
        ("integer", "5"),
        ("integer", 5.5),
        ("boolean", 1),
        ("uuid", "not-a-uuid"),
        ("date", dt.datetime(2026, 3, 31, 9)),
        ("timestamp with time zone", dt.datetime(2026, 3, 31, 9)),  # naive: asyncpg reads it in local time
        ("text[]", [["nested"]]),
        ("point", "(1,2)"),
    ],
)
def test_an_argument_written_no_other_way_is_left_to_asyncpg(type_name: str, value: Any) -> None:
    with pytest.raises(Unwritable):
        renderer(type_name)(value)


class Server:
    """What a Script sends, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.sent.append((sql, rows))

    async def execute(self, script: str) -> str:
        self.sent.append(("script", script))
        return ""


class Prepared(Script):
    """A Script whose statements are 'prepared' without a server: every parameter is text."""

    def __init__(self) -> None:
        self.server = Server()
        super().__init__(conn=self.server)  # type: ignore[arg-type]

    async def _prepare(self, sql: str) -> tuple[str, list[Any]] | None:
        return f"s{len(self._prepared)}", [renderer("text")] * sql.count("$")


def test_statements_are_held_in_order_as_executes_of_prepared_ones() -> None:
    script = Prepared()

    async def run() -> None:
        await script.execute("UPDATE t SET a = $2 WHERE id = $1", "x", "y")
        await script.execute("INSERT INTO u VALUES ($1) ON CONFLICT DO NOTHING", "z")
        await script.execute("UPDATE t SET a = $2 WHERE id = $1", "p", None)

    asyncio.run(run())
    assert script.held == ["EXECUTE s0('x','y')", "EXECUTE s1('z')", "EXECUTE s0('p',NULL)"]


def test_rows_only_appended_go_apart_until_a_statement_names_their_table() -> None:
    script = Prepared()
    trail = "INSERT INTO audit_trail (event_id, payload) VALUES ($1, $2)"

    async def run() -> None:
        for n in range(2):
            script.mark()  # an event's handler starts: a task is created
            assert await script.execute(trail, f"c{n}", "{}") == "INSERT 0 1"
            await script.execute("INSERT INTO tasks VALUES ($1)", f"t{n}")
            script.mark()  # the next event: its progress reported
            await script.execute(trail, f"p{n}", "{}")
            await script.execute("UPDATE tasks SET percent = $2 WHERE id = $1", f"t{n}", "50")
        await script.flush()

    asyncio.run(run())
    assert script.server.sent == [
        ("INSERT INTO tasks VALUES ($1)", [("t0",)]),  # before the first statement that names tasks
        (trail, [("c0", "{}"), ("p0", "{}"), ("c1", "{}"), ("p1", "{}")]),  # never named: in one batch at the end
        ("script", "EXECUTE s0('t0','50');\nEXECUTE s1('t1');\nEXECUTE s0('t1','50')"),
    ]


def test_a_handler_whose_own_row_would_go_first_is_run_again_on_the_connection() -> None:
    script = Prepared()

    async def run() -> None:
        script.mark()
        await script.execute("INSERT INTO tasks VALUES ($1)", "t0")
        await script.execute("UPDATE tasks SET percent = $2 WHERE id = $1", "t0", "50")

    with pytest.raises(NeedsAnswer):
        asyncio.run(run())
    assert script.server.sent == []


def test_a_row_count_compared_is_taken_as_one_row_and_checked_when_sent() -> None:
    script = Prepared()

    async def run() -> object:
        return await script.execute("UPDATE milestones SET met_on = $2 WHERE id = $1", "x", "y")

    status = asyncio.run(run())
    assert (status == "UPDATE 0") is False
    assert (status != "UPDATE 1") is False
    assert script._checks == {0: ("UPDATE milestones SET met_on = $2 WHERE id = $1", ["<> 0", "= 1"])}


@pytest.mark.parametrize(
    "look",
    [
        lambda s: s == "UPDATE 2",
        lambda s: s == "DELETE 0",  # not what an UPDATE answers
        lambda s: bool(s),
        lambda s: str(s),
        lambda s: s.split(),
        lambda s: hash(s),
        lambda s: "UPDATE" in s,
    ],
)
def test_any_other_look_at_an_answer_needs_the_connection_itself(look: Any) -> None:
    script = Prepared()

    async def run() -> object:
        return await script.execute("UPDATE t SET a = $2 WHERE id = $1", "x", "y")

    status = asyncio.run(run())
    with pytest.raises(NeedsAnswer):
        look(status)


def test_an_existence_check_answers_one_and_holds_its_check_but_other_reads_need_the_connection() -> None:
    script = Prepared()

    async def run() -> object:
        return await script.fetchval("SELECT 1 FROM projects WHERE id = $1", "x")

    assert asyncio.run(run()) == 1
    assert script._sql == ["SELECT pg_temp.replay_expect(EXISTS (SELECT 1 FROM projects WHERE id = $1))"]
    for read in (script.fetchval("SELECT title FROM projects WHERE id = $1", "x"), script.fetch("SELECT 1")):
        with pytest.raises(NeedsAnswer):
            asyncio.run(read)
    with pytest.raises(NeedsAnswer):
        script.transaction()


def test_a_handler_run_again_leaves_nothing_of_its_first_run() -> None:
    script = Prepared()

    async def run() -> None:
        await script.execute("UPDATE u SET a = $1", "kept")
        mark = script.mark()
        await script.execute("INSERT INTO audit_trail VALUES ($1)", "dropped")
        status = await script.execute("UPDATE t SET a = $1", "dropped")
        assert (status == "UPDATE 0") is False
        script.drop_after(mark)

    asyncio.run(run())
    assert script.held == ["EXECUTE s0('kept')"] and script._checks == {} and script._rows == []
