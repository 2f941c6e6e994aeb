"""`./vanguard audit replay` throughput: events/s of rebuilding the read models from the services'
own stores (services/projection/replay.py), for 100k and 1M events, beside the raw rate of reading
the same events from PostgreSQL in the same run (the same pages, undecoded). Goal: replay ≥ 0.5
of the raw read.

The stores are filing's and tasking's: projects filed, approved, tasked, reported on, completed and
met, recorded through the real applications for a few projects, then copied with fresh ids and
later timestamps until the size is reached (copying is what makes a million events affordable).
The 1M size runs only with VANGUARD_BENCH_REPLAY_1M=1 (it takes several minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psycopg

from services.filing.app import FilingApplication
from services.projection.handlers import handler
from services.projection.replay_merge import merged
from services.projection.replay_run import open_stores, rebuild
from services.projection.replay_sources import Store, StoreReader
from services.projection.upgrade import upgrade
from services.tasking.app import TaskingApplication
from shared.auth import Principal, Role
from shared.devstack.postgres import start_postgres
from shared.messaging.inbox import Inbox

SIZES = (100_000, 1_000_000)
GOAL = 0.5
AS_LIVE = 10_000
TEMPLATE_PROJECTS = 4
ORGANISATION = [
    {
        "code": "fgw",
        "name": "市发改委",
        "branches": [
            {
                "code": "fgw-b1",
                "name": "第一党支部",
                "secretary": {"id": "s-fgw-1", "name": "王强"},
                "members": [{"id": "m-001", "name": "李扬"}, {"id": "m-002", "name": "刘莉"}],
            }
        ],
    }
]
COMMITTEE = Principal("c-fgw", Role.COMMITTEE, "fgw", None)
SECRETARY = Principal("s-fgw-1", Role.SECRETARY, "fgw", "fgw-b1")
MEMBER = Principal("m-001", Role.MEMBER, "fgw", "fgw-b1")
ADMIN = Principal("admin", Role.ADMIN, None, None)


def _env(dsn: str) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "shared.persistence.asyncpg_store",
        "ASYNCPG_DSN": dsn,
        "ASYNCPG_POOL_SIZE": "2",
        "CREATE_TABLE": "y",
    }


def record_projects(
    filing_dsn: str, tasking_dsn: str, projects: int, title: str = "环保管家进企业", *, organisation: bool = True
) -> None:
    """Record `projects` projects' lives through the real filing and tasking applications: organisation,
    topic, draft, submission, return, revision, approval; board, tasks, progress, completion, a milestone met.
    Tasking is told what filing recorded as its consumer would tell it."""
    filing = FilingApplication(_env(filing_dsn))
    tasking = TaskingApplication(_env(tasking_dsn))
    try:
        if organisation:
            filing.import_organisation(ADMIN, ORGANISATION, None)
        for branch in ORGANISATION[0]["branches"] if organisation else []:
            secretary = branch["secretary"]
            tasking.enrol_member("fgw", branch["code"], secretary["id"], secretary["name"], {"id": "admin"}, "r0")
            for m in branch["members"]:
                tasking.enrol_member("fgw", branch["code"], m["id"], m["name"], {"id": "admin"}, f"r-{m['id']}")
        for n in range(projects):
            topic = filing.pose_topic(COMMITTEE, 2026, "high_quality_development", f"课题{n}", "说明", None)
            milestones = [
                {"title": "调研", "due": "2026-03-31", "deliverable": "调研报告"},
                {"title": "实施", "due": "2026-06-30", "deliverable": "服务台账"},
            ]
            project = filing.draft_project(
                SECRETARY, topic.id, f"{title}{n}", "上门服务企业", ["目标一", "目标二"], milestones,
                {"id": "m-001", "name": "李扬"}, None,
            )  # fmt: skip
            v = filing.submit_project(SECRETARY, project.id, 1, None).version
            v = filing.return_project(COMMITTEE, project.id, v, ["目标需量化"], None).version
            v = filing.revise_project(SECRETARY, project.id, v, None, targets=["时限压缩至1日", "满意率≥95%"]).version
            v = filing.submit_project(SECRETARY, project.id, v, None).version
            approved = filing.approve_project(COMMITTEE, project.id, v, None)
            plan = [{"id": m["id"], "title": m["title"], "due": m["due"], "deliverable": m["deliverable"]}
                    for m in approved.milestones]  # fmt: skip
            tasking.open_board(
                "fgw", "fgw-b1", str(project.id), approved.title, str(approved.record_no), plan, {"id": "c"}, f"o{n}"
            )
            tasks = [
                tasking.create_task(SECRETARY, project.id, f"任务{k}", "", "2026-03-15", "m1", "m-001", None)
                for k in range(2)
            ]
            for task in tasks:
                v = tasking.report_progress(MEMBER, task.id, task.version, 50, "过半", [], None).version
                tasking.complete_task(MEMBER, task.id, v, "完成", None)
            board = tasking.board_view(SECRETARY, project.id)[0]
            tasking.declare_milestone_met(
                SECRETARY, project.id, "m1", board.version, {"title": "调研报告"}, "2026-03-30", None
            )
    finally:
        filing.close()
        tasking.close()


_SHIFTED = re.compile(r'"_type_":"datetime_iso","_data_":"([^"]+)"')
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Template:
    """A store's events split into what is recorded once (the organisation) and what is copied."""

    table: str
    preamble: list[tuple[uuid.UUID, int, str, bytes]]
    body: list[tuple[uuid.UUID, int, str, list[str | tuple[str, Any]]]]  # state as parts to fill in

    @staticmethod
    def parts(state: str) -> list[str | tuple[str, Any]]:
        """The state's text cut around its ids and recorded times, which each copy replaces."""
        out: list[str | tuple[str, Any]] = []
        marks = sorted(
            [(m.start(1), m.end(1), ("time", dt.datetime.fromisoformat(m.group(1)))) for m in _SHIFTED.finditer(state)]
            + [(m.start(), m.end(), ("id", m.group())) for m in _UUID.finditer(state)]
        )
        at = 0
        for start, end, mark in marks:
            out += [state[at:start], mark]
            at = end
        out.append(state[at:])
        return out


def _template(dsn: str, table: str, preamble: int) -> Template:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {table} ORDER BY notification_id"
        ).fetchall()
    body = [(r[0], r[1], r[2], Template.parts(bytes(r[3]).decode())) for r in rows[preamble:]]
    return Template(table, [(r[0], r[1], r[2], bytes(r[3])) for r in rows[:preamble]], body)


def _copies(templates: list[Template], size: int) -> list[list[tuple[uuid.UUID, int, str, bytes]]]:
    """Each store's rows: its preamble once, then its body again and again with fresh ids and later
    times, until the stores hold `size` events between them."""
    times = [p[1] for t in templates for row in t.body for p in row[3] if isinstance(p, tuple) and p[0] == "time"]
    span = max(times) - min(times) + dt.timedelta(milliseconds=1)
    per_copy = sum(len(t.body) for t in templates)
    copies = max(1, (size - sum(len(t.preamble) for t in templates)) // per_copy)
    out: list[list[tuple[uuid.UUID, int, str, bytes]]] = [list(t.preamble) for t in templates]
    for k in range(copies):
        ids: dict[str, str] = {}
        for rows, template in zip(out, templates, strict=True):
            for originator_id, version, topic, parts in template.body:
                state = _fill(parts, ids, span * k)
                rows.append((uuid.UUID(_new_id(ids, str(originator_id))), version, topic, state.encode()))
    return out


def _new_id(ids: dict[str, str], old: str) -> str:
    new = ids.get(old)
    if new is None:
        new = ids[old] = str(uuid.uuid4())
    return new


def _fill(parts: list[str | tuple[str, Any]], ids: dict[str, str], shift: dt.timedelta) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif part[0] == "time":
            out.append((part[1] + shift).isoformat())
        else:
            out.append(_new_id(ids, part[1]))
    return "".join(out)


async def _load(dsn: str, table: str, rows: list[tuple[uuid.UUID, int, str, bytes]]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for start in range(0, len(rows), 50_000):
            await conn.copy_records_to_table(
                table,
                records=rows[start : start + 50_000],
                columns=["originator_id", "originator_version", "topic", "state"],
            )
        await conn.execute(f"ANALYZE {table}")
    finally:
        await conn.close()


async def _raw_read(stores: list[Store]) -> tuple[int, float]:
    """Every stored row up to each horizon, as the replay reads them (same pages), but not decoded."""
    readers = [StoreReader(s, i) for i, s in enumerate(stores)]
    await asyncio.gather(*(r.open() for r in readers))
    try:

        async def read(reader: StoreReader) -> int:
            return sum([len(page) async for page in reader.raw_pages()])

        started = time.perf_counter()
        counts = await asyncio.gather(*(read(r) for r in readers))
        return sum(counts), time.perf_counter() - started
    finally:
        await asyncio.gather(*(r.close() for r in readers))


def _database(server: str, name: str) -> str:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def _measure(server: str, templates: list[Template], size: int) -> dict[str, Any]:
    tag = f"{size // 1000}k"
    stores = [
        Store("filing", "fgw", _database(server, f"filing_{tag}")),
        Store("tasking", "fgw", _database(server, f"tasking_{tag}")),
    ]
    record_projects(stores[0].dsn, stores[1].dsn, 0, organisation=False)  # the stores' tables, empty
    started = time.perf_counter()
    for store, rows, template in zip(stores, _copies(templates, size), templates, strict=True):
        asyncio.run(_load(store.dsn, template.table, rows))
    print(f"{size:,}: stores written in {time.perf_counter() - started:.0f} s", flush=True)
    asyncio.run(_raw_read(stores))  # warm the cache: both are measured on a warm one
    events, raw_seconds = min((asyncio.run(_raw_read(stores)) for _ in range(2)), key=lambda r: r[1])
    replayed = asyncio.run(rebuild(stores, _database(server, f"replay_{tag}")))
    raw_rate, rate = events / raw_seconds, replayed.rate
    live_rate = asyncio.run(_as_live(stores, _database(server, f"live_{tag}")))
    print(f"{size:,}: raw read {raw_rate:,.0f}/s, replay {rate:,.0f}/s ({replayed.seconds:.1f} s)", flush=True)
    return {
        "name": f"replay, {events:,} events",
        "raw read events/s": raw_rate,
        "replay events/s": rate,
        "replay s": replayed.seconds,
        "ratio": rate / raw_rate,
        "goal": f"≥ {GOAL}",
        "met": rate / raw_rate >= GOAL,
        f"as live applies, events/s (first {AS_LIVE:,})": live_rate,
    }


async def _as_live(stores: list[Store], dsn: str) -> float:
    """The same events (the first AS_LIVE of the replay's order) through the inbox, in batches as the
    consumer polls them: what the replay does instead, at live's pace."""
    envelopes = []
    readers = await open_stores(stores)
    async with contextlib.aclosing(merged(readers, 500)) as runs:
        async for run in runs:
            envelopes.append(run)
            if len(envelopes) * 500 >= AS_LIVE:
                break
    await asyncio.gather(*(r.close() for r in readers))
    conn = await asyncpg.connect(dsn)
    try:
        await Inbox.create_schema(conn)
        await upgrade(conn)
        inbox = Inbox("projection", handler())
        started = time.perf_counter()
        for batch in envelopes:
            await inbox.apply_batch(conn, batch)
        return sum(map(len, envelopes)) / (time.perf_counter() - started)
    finally:
        await conn.close()


def main() -> list[dict[str, Any]]:
    sizes = SIZES if os.environ.get("VANGUARD_BENCH_REPLAY_1M") else SIZES[:1]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vanguard-replay-") as folder:
        cluster = start_postgres(Path(folder) / "postgres")
        try:
            filing, tasking = _database(cluster.dsn, "template_filing"), _database(cluster.dsn, "template_tasking")
            record_projects(filing, tasking, 0)
            preambles = [asyncio.run(_count(filing, "filing_events")), asyncio.run(_count(tasking, "tasking_events"))]
            record_projects(filing, tasking, TEMPLATE_PROJECTS, organisation=False)
            templates = [
                _template(filing, "filing_events", preambles[0]),
                _template(tasking, "tasking_events", preambles[1]),
            ]
            for size in sizes:
                rows.append(_measure(cluster.dsn, templates, size))
        finally:
            cluster.stop()
    return rows


async def _count(dsn: str, table: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


if __name__ == "__main__":
    for row in main():
        print(json.dumps(row, ensure_ascii=False))
