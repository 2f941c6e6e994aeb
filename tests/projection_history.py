"""One project's history through the five steps, as the envelopes the projection consumes.

Filing's and tasking's events are written out; inspection's and acceptance's come from their real
aggregates (pure domains), so their payloads are exactly what those services publish. Programme
times (the manual clock's) are in 2026; the envelopes' `occurred_at` is the wall clock, as the
relay sets it from the stored event's timestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from eventsourcing.domain import Aggregate
from fastapi.testclient import TestClient

from services.acceptance.domain import Acceptance
from services.acceptance.rubric import Rubrics
from services.inspection.domain import Supervision
from services.projection.config import ProjectionSettings
from services.projection.handlers import handler
from services.projection.main import create_app
from services.projection.schema import READ_MODELS
from services.projection.upgrade import upgrade
from shared.auth import Role
from shared.contracts import Envelope, event_id
from shared.messaging.inbox import Inbox
from tests.support import TRUST, headers

TZ = ZoneInfo("Asia/Shanghai")
TITLE = "环保管家进企业"
TARGETS = ["办理时限压缩至1个工作日", "群众满意率≥95%"]
PLAN = [
    {"id": "m1", "title": "调研", "due": "2026-03-31", "deliverable": "调研报告"},
    {"id": "m2", "title": "实施", "due": "2026-06-30", "deliverable": "服务台账"},
]
RESPONSIBLE = {"id": "m-001", "name": "李扬"}
PANEL = [
    {"id": "p-1", "name": "张教授", "department": "jggw", "branch": ""},
    {"id": "p-2", "name": "李处长", "department": "zwb", "branch": "zwb-b5"},
    {"id": "p-3", "name": "王主任", "department": "fgw", "branch": "fgw-b2"},
]
SECRETARY = {"id": "s-fgw-1", "role": "secretary", "department": "fgw", "branch": "fgw-b1"}
COMMITTEE = {"id": "c-fgw-1", "role": "committee", "department": "fgw"}
INSPECTOR = {"id": "i-007", "role": "inspector"}
ORGANISER = {"id": "org-1", "role": "panelist"}
PUBLIC = {"id": "public", "role": "public"}
FEEDBACK_NAMES = ("赵市民", "钱市民")  # the public's names: never shown on a public page
RUBRIC = Rubrics().get("2026-v1")
_COMMON = {"originator_id", "originator_version", "originator_topic", "timestamp", "actor", "request_id"}
_positions = itertools.count(1)


def on(day: str, hour: int = 9) -> dt.datetime:
    """A programme time: `day` at `hour` in the programme's timezone."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(payload, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))


def envelope(
    service: str,
    aggregate_type: str,
    name: str,
    aggregate_id: str,
    version: int,
    payload: dict[str, Any],
    actor: dict[str, str],
    *,
    branch: str | None = "fgw-b1",
) -> Envelope:
    return Envelope(
        event_id=event_id(aggregate_id, version),
        type=f"{service}.{aggregate_type}.{name}",
        aggregate_id=aggregate_id,
        aggregate_type=aggregate_type,
        aggregate_version=version,
        department="fgw",
        branch=branch,
        actor=actor,
        request_id=None,
        occurred_at=dt.datetime.now(dt.UTC).isoformat(),
        source={"service": service, "instance": "main" if service != "filing" else "fgw", "position": next(_positions)},
        payload=payload,
    )


def published(service: str, aggregate: Aggregate) -> list[Envelope]:
    """What the relay would publish of the aggregate's pending events."""
    out = []
    for event in aggregate.collect_events():
        fields = dict(event.__dict__)
        aggregate_type, _, name = type(event).__qualname__.rpartition(".")
        out.append(
            Envelope(
                event_id=event_id(event.originator_id, event.originator_version),
                type=f"{service}.{aggregate_type}.{name}",
                aggregate_id=str(event.originator_id),
                aggregate_type=aggregate_type,
                aggregate_version=event.originator_version,
                department="fgw",
                branch="fgw-b1",
                actor=fields.get("actor") or {},
                request_id=fields.get("request_id"),
                occurred_at=event.timestamp.isoformat(),
                source={"service": service, "instance": "main", "position": next(_positions)},
                payload=_jsonable({k: v for k, v in fields.items() if k not in _COMMON}),
            )
        )
    return out


@dataclass
class History:
    """A project's events by service, each list in its aggregate's order."""

    project_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    filing: list[Envelope] = field(default_factory=list)
    tasking: list[Envelope] = field(default_factory=list)
    inspection: list[Envelope] = field(default_factory=list)
    acceptance: list[Envelope] = field(default_factory=list)

    def all(self) -> list[Envelope]:
        """In the order the services recorded them, one service after another."""
        return [*self.filing, *self.tasking, *self.inspection, *self.acceptance]

    def acceptance_until(self, event_name: str) -> list[Envelope]:
        """Acceptance's events up to and including the first `event_name`."""
        names = [e.event_name for e in self.acceptance]
        return self.acceptance[: names.index(event_name) + 1]

    def of(self, event_type: str) -> Envelope:
        return next(e for e in self.all() if e.type == event_type)


def filed_and_approved(h: History, title: str) -> None:
    pid, topic = h.project_id, str(uuid.uuid4())
    drafted = {
        "topic_id": topic,
        "year": 2026,
        "direction": "high_quality_development",
        "title": title,
        "goal": "上门服务企业,破解环保难题",
        "targets": TARGETS,
        "milestones": PLAN,
        "responsible": RESPONSIBLE,
    }
    approved = {"record_no": "fgw-2026-0001", "title": title, "milestones": PLAN}
    h.filing = [
        envelope("filing", "Project", "Drafted", pid, 1, drafted, SECRETARY),
        envelope("filing", "Project", "Submitted", pid, 2, {}, SECRETARY),
        envelope("filing", "Project", "Approved", pid, 3, approved, COMMITTEE),
    ]


def milestones_met(h: History) -> None:
    board = str(uuid.uuid5(uuid.UUID(h.project_id), "board"))
    h.tasking = [
        envelope(
            "tasking",
            "TaskBoard",
            "MilestoneMet",
            board,
            n,
            {
                "project_id": h.project_id,
                "milestone_id": mid,
                "met_on": met_on,
                "deliverable": {"title": f"{mid}成果", "link": f"https://example.org/{mid}"},
            },
            SECRETARY,
        )
        for n, (mid, met_on) in enumerate((("m1", "2026-03-30"), ("m2", "2026-06-28")), start=1)
    ]


def supervised(h: History, title: str) -> Supervision:
    s = Supervision.schedule(
        "fgw", "fgw-b1", h.project_id, "fgw-2026-0001", title, PLAN, on("2026-03-02"), COMMITTEE, None
    )
    s.record_inspection("m1", "lagging", "调研进度滞后", None, on("2026-03-20"), INSPECTOR, None)  # → yellow
    s.milestone_met("m1", "2026-03-30", "调研报告", on("2026-03-30", 18), SECRETARY, None)  # → green
    s.record_inspection("m2", "on_track", "按计划推进", None, on("2026-06-01"), INSPECTOR, None)
    s.milestone_met("m2", "2026-06-28", "服务台账", on("2026-06-28", 18), SECRETARY, None)
    h.inspection = published("inspection", s)
    return s


def accepted(h: History, title: str) -> Acceptance:
    """Applied, in notice with two pieces of feedback, sealed, scored, graded 优秀, and honoured."""
    pid = h.project_id
    a = Acceptance.file(
        "fgw", "fgw-b1", pid, str(uuid.uuid4()), 2026, "high_quality_development", title, "目标", TARGETS,
        RESPONSIBLE, COMMITTEE, None,
    )  # fmt: skip
    a.approve("fgw-2026-0001", title, PLAN, COMMITTEE, None)
    a.milestone_met("m1", "2026-03-30", {"title": "调研报告"}, SECRETARY, None)
    a.milestone_met("m2", "2026-06-28", {"title": "服务台账"}, SECRETARY, None)
    outcomes = [{"target": t, "result": f"已实现:{t}"} for t in TARGETS]
    evidence = [{"url": "https://example.org/report", "title": "总结报告"}]
    a.apply("建立服务队,上门服务企业120家", outcomes, evidence, on("2026-10-30"), SECRETARY, None)
    a.open_notice(on("2026-11-02", 10), 5, (), ORGANISER, None)
    a.give_feedback("support", "服务很好", FEEDBACK_NAMES[0], on("2026-11-03"), PUBLIC, None)
    a.give_feedback("objection", "收费不明", FEEDBACK_NAMES[1], on("2026-11-04"), PUBLIC, None)
    a.answer_objection("f2", "不收取任何费用", on("2026-11-05"), SECRETARY, None)
    a.close_notice(on("2026-11-10", 0), ORGANISER, None)
    a.appoint_panel(PANEL, RUBRIC.version, ORGANISER, None)
    for member, value in zip(PANEL, (95, 93, 93), strict=True):
        scores = {c.code: value for c in RUBRIC.criteria}
        a.score(member["id"], scores, "好", RUBRIC, on("2026-11-11"), {"id": member["id"], "role": "panelist"}, None)
    a.conclude(RUBRIC, on("2026-11-12"), ORGANISER, None)
    a.select_for_casebook(ORGANISER, None)
    a.designate_brand("环保管家", ORGANISER, None)
    a.record_commendation("provincial", "中共江苏省委组织部", "全省机关党建优秀品牌", "2026-12-01", ORGANISER, None)
    h.acceptance = published("acceptance", a)
    return a


def excellent_project(title: str = TITLE) -> History:
    """A project through all five steps: filed, approved, inspected, delivered, graded 优秀, honoured."""
    h = History()
    filed_and_approved(h, title)
    milestones_met(h)
    supervised(h, title)
    accepted(h, title)
    return h


def interleaved(*streams: Iterable[Envelope]) -> list[Envelope]:
    """The streams' events taken in turn, each stream's order kept (as several topics arrive)."""
    out: list[Envelope] = []
    for batch in itertools.zip_longest(*streams):
        out += [e for e in batch if e is not None]
    return out


async def _feed(dsn: str, envelopes: list[Envelope], batch: int) -> None:
    inbox = Inbox("projection", handler())
    conn = await asyncpg.connect(dsn)
    try:
        await Inbox.create_schema(conn)
        await upgrade(conn)
        for start in range(0, len(envelopes), batch):
            await inbox.apply_batch(conn, envelopes[start : start + batch])
    finally:
        await conn.close()


def feed(dsn: str, envelopes: list[Envelope], batch: int = 50) -> None:
    """Apply the events through the projection's handler and its real inbox, as its consumer does."""
    asyncio.run(_feed(dsn, envelopes, batch))


@contextlib.contextmanager
def projection_api(dsn: str, kafka_bootstrap: str) -> Iterator[TestClient]:
    """The projection's API on `dsn` (its consumer follows topics of a prefix of its own: none)."""
    settings = ProjectionSettings(
        database_dsn=dsn, kafka_bootstrap=kafka_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}", token_keys=TRUST
    )
    with TestClient(create_app(settings)) as client:
        yield client


async def read_models(dsn: str) -> dict[str, list[tuple[object, ...]]]:
    """Every read model's rows in a stable order, without the columns local to one database."""
    conn = await asyncpg.connect(dsn)
    try:
        out = {}
        for table, (order, local) in READ_MODELS.items():
            rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY {order}")
            out[table] = [tuple(v for k, v in r.items() if k not in local) for r in rows]
        return out
    finally:
        await conn.close()


def overview(api: TestClient, project_id: str) -> dict[str, Any]:
    """A project's overview, read as an auditor."""
    response = api.get(f"/projects/{project_id}", headers=headers(Role.AUDITOR))
    assert response.status_code == 200, response.text
    return response.json()
