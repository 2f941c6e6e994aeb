"""`./vanguard audit replay` against real stores: filing's and tasking's, recorded through their
applications, and a projection fed their events as the relay sends them (in another order, so that
live has events wait). Replayed from nothing, every read model equals live's; replayed twice (the
second time with each store decoded by a process of its own), the two are identical to the last
column; a row live has wrong is shown; bad databases are refused."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable

import asyncpg
import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from services.projection import replay, replay_decoder
from services.projection.schema import READ_MODELS
from shared.contracts import Envelope
from shared.messaging.envelopes import EnvelopeFactory
from tests.benchmarks.bench_replay import record_projects
from tests.projection_history import feed

pytestmark = pytest.mark.integration


class Relayed(Application):  # type: ignore[type-arg]
    """A store as its relay opens it (the relay's application is the service's; any decodes alike)."""

    def __init__(self, name: str, dsn: str) -> None:
        self.name = name
        super().__init__({"PERSISTENCE_MODULE": "shared.persistence.asyncpg_store", "ASYNCPG_DSN": dsn})


def published(service: str, dsn: str) -> list[Envelope]:
    """What the relay publishes of the store, as a consumer reads it off the broker."""
    app = Relayed(service, dsn)
    try:
        factory = EnvelopeFactory(app, service, "fgw")
        notifications: list[Notification] = app.recorder.select_notifications(0, 100_000, inclusive_of_start=False)
        return [Envelope.from_bytes(factory.envelope(n).to_bytes()) for n in notifications]
    finally:
        app.close()


def broken_progress(tasking: str) -> None:
    """A progress report without its percentage, as a buggy writer could have stored it: live keeps it
    as a dead letter, and so must the replay."""

    async def write() -> None:
        conn = await asyncpg.connect(tasking)
        try:
            task, version = await conn.fetchrow(
                "SELECT originator_id, max(originator_version) FROM tasking_events "
                "WHERE topic LIKE '%:Task.Created' OR topic LIKE '%:Task.%' GROUP BY originator_id LIMIT 1"
            )
            state = {"timestamp": {"_type_": "datetime_iso", "_data_": "2030-01-01T00:00:00+00:00"}, "note": "?"}
            await conn.execute(
                "INSERT INTO tasking_events (originator_id, originator_version, topic, state) VALUES ($1, $2, $3, $4)",
                task,
                version + 1,
                "services.tasking.domain:Task.ProgressReported",
                json.dumps(state).encode(),
            )
        finally:
            await conn.close()

    asyncio.run(write())


@pytest.fixture(scope="module")
def stores(new_database: Callable[[str], str]) -> tuple[str, str, str]:
    """(filing, tasking, live): three projects, one bad event, live fed tasking's events first."""
    filing, tasking, live = new_database("rf"), new_database("rt"), new_database("rl")
    record_projects(filing, tasking, 3)
    broken_progress(tasking)
    feed(live, published("tasking", tasking) + published("filing", filing), batch=7)
    return filing, tasking, live


def replayed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = replay.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def checksums(printed: str) -> dict[str, str]:
    return {m[0]: m[1] for m in re.findall(r"^(\w+)\s+[\d,]+\s+[\d,]+\s+\w+\s+(\w+)\s+(?:yes|NO)$", printed, re.M)}


async def everything(dsn: str) -> dict[str, list[asyncpg.Record]]:
    """Every read model's rows, local columns and all."""
    conn = await asyncpg.connect(dsn)
    try:
        return {t: await conn.fetch(f"SELECT * FROM {t} ORDER BY {order}") for t, (order, _) in READ_MODELS.items()}
    finally:
        await conn.close()


def test_a_replay_from_nothing_equals_live_and_a_second_replay_is_identical(
    stores: tuple[str, str, str],
    new_database: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    filing, tasking, live = stores
    sources = ["--store", f"filing/fgw={filing}", "--store", f"tasking/fgw={tasking}", "--live", live]
    first, second = new_database("r1"), new_database("r2")

    code, said = replayed(capsys, *sources, "--into", first)
    assert code == 0, said
    assert "all 11 read models are equal" in said
    assert "1 dead letter(s)" in said  # the progress report without its percentage, as live kept it
    monkeypatch.setattr(replay_decoder, "ELSEWHERE_FROM", 0)  # the second decodes each store in a process of its own
    code, again = replayed(capsys, *sources, "--into", second)
    assert code == 0, again
    assert checksums(said) == checksums(again) and len(checksums(said)) == len(READ_MODELS)
    assert asyncio.run(everything(first)) == asyncio.run(everything(second))  # the order applied, too


def test_a_store_replayed_alone_waits_for_what_it_depends_on_as_live_does(
    stores: tuple[str, str, str], new_database: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, tasking, _ = stores
    live = new_database("rl")
    feed(live, published("tasking", tasking))  # a projection that follows tasking only
    code, said = replayed(capsys, "--store", f"tasking/fgw={tasking}", "--live", live, "--drop")
    assert code == 0, said
    assert "3 waiting" in said  # the milestones met, of projects never approved here


def test_a_row_live_holds_wrongly_is_shown_and_the_exit_code_says_so(
    stores: tuple[str, str, str], new_database: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    filing, tasking, _ = stores
    live = new_database("rl")
    feed(live, published("filing", filing) + published("tasking", tasking))

    async def tamper() -> str:
        conn = await asyncpg.connect(live)
        try:
            return str(await conn.fetchval("UPDATE projects SET title = '改过' WHERE true RETURNING id"))
        finally:
            await conn.close()

    project = asyncio.run(tamper())
    sources = ["--store", f"filing/fgw={filing}", "--store", f"tasking/fgw={tasking}"]
    code, said = replayed(capsys, *sources, "--live", live, "--drop")
    assert code == 1, said
    assert "NOT equal: projects" in said
    assert f"({project}): title: live '改过', replayed '环保管家进企业" in said


def test_databases_that_cannot_be_used_are_refused(
    stores: tuple[str, str, str], pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    filing, _, live = stores
    code, said = replayed(capsys, "--store", f"filing/fgw={pg_dsn}/no_such_store", "--live", live)
    assert code == 2 and f"no such database: {pg_dsn}/no_such_store" in said
    code, said = replayed(capsys, "--store", f"tasking/fgw={filing}", "--live", live)
    assert code == 2 and "no table tasking_events" in said
    code, said = replayed(capsys, "--store", f"filing/fgw={filing}", "--live", live, "--into", live.rsplit("/", 1)[1])
    assert code == 2 and "live projection's own database" in said
    code, said = replayed(capsys, "--store", f"filing/fgw={filing}", "--live", live, "--into", filing)
    assert code == 2 and "already holds tables" in said
