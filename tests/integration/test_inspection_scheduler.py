"""The deadline follower and scheduler against a real PostgreSQL, on the manual clock: warnings
are raised exactly once however many schedulers tick, and a deadline that passed while nothing
ran is raised at the next start. Also the consumer's handlers through the real inbox, and the
manual clock through the API."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from fastapi.testclient import TestClient

from services.inspection.app import InspectionApplication
from services.inspection.config import InspectionSettings
from services.inspection.domain import supervision_id
from services.inspection.handlers import handler
from services.inspection.main import build_application, create_app
from services.inspection.scheduler import DeadlineFollower, DeadlineScheduler, create_schema
from shared.auth import Role
from shared.contracts import Envelope, event_id
from shared.messaging.inbox import Inbox
from tests.support import TRUST, headers

pytestmark = pytest.mark.integration

TZ = ZoneInfo("Asia/Shanghai")
COMMITTEE = {"id": "committee@fgw/-", "role": "committee", "department": "fgw"}


def midnight(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.min, tzinfo=TZ)


@pytest.fixture
def dsn(new_database: Callable[[str], str]) -> str:
    return new_database("inspection")


@pytest.fixture
def apps(dsn: str) -> Iterator[Callable[[], InspectionApplication]]:
    """Applications on one database, as separate processes would have them, on the manual clock."""
    made: list[InspectionApplication] = []

    def make() -> InspectionApplication:
        made.append(build_application(InspectionSettings(database_dsn=dsn, clock="manual", pool_size=4)))
        return made[-1]

    yield make
    for app in made:
        app.close()


def schedule(app: InspectionApplication, *dues: str) -> str:
    project_id = str(uuid.uuid4())
    milestones = [
        {"id": f"m{n}", "title": f"节点{n}", "due": d, "deliverable": f"成果{n}"} for n, d in enumerate(dues, start=1)
    ]
    app.schedule(
        "fgw",
        "fgw-b1",
        project_id,
        "fgw-2026-0001",
        "船员注册不见面审批",
        milestones,
        COMMITTEE,
        f"approved:{project_id}",
    )
    return project_id


def recorded(app: InspectionApplication) -> Counter[str]:
    notifications = app.recorder.select_notifications(0, 100_000)
    return Counter(n.topic.rsplit(".", 1)[-1] for n in notifications)


async def until(probe: Callable[[], Awaitable[object]], what: str, timeout: float = 20) -> None:
    """Poll an async probe until it is truthy, or fail."""
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(0.02)


async def count(app: InspectionApplication, name: str) -> int:
    return (await asyncio.to_thread(recorded, app))[name]


@contextlib.asynccontextmanager
async def running(app: InspectionApplication, dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A follower and a scheduler as a consumer process runs them, on a pool of their own."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await create_schema(conn)
    stopping = asyncio.Event()
    jobs = [
        asyncio.create_task(DeadlineFollower(app, interval=0.02).run(pool, stopping)),
        asyncio.create_task(DeadlineScheduler(app, interval=0.02).run(pool, stopping)),
    ]
    try:
        yield pool
    finally:
        stopping.set()
        await asyncio.gather(*jobs)
        await pool.close()


async def _contains(dsn: str, row: tuple[str, str, dt.datetime]) -> bool:
    return row in await deadlines(dsn)


async def has_rows(dsn: str, n: int) -> bool:
    return len(await deadlines(dsn)) == n


async def deadlines(dsn: str) -> list[tuple[str, str, dt.datetime]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT kind, ref, due_at FROM deadlines ORDER BY due_at, kind, ref")
        return [(r["kind"], r["ref"], r["due_at"]) for r in rows]
    finally:
        await conn.close()


def test_two_schedulers_ticking_at_once_raise_each_overdue_milestone_exactly_once(
    apps: Callable[[], InspectionApplication],
    dsn: str,
) -> None:
    one, two = apps(), apps()
    one.clock.set(midnight("2026-06-01"))
    projects = [schedule(one, "2026-06-30", "2026-09-30") for _ in range(40)]

    async def go() -> None:
        pools = [await asyncpg.create_pool(dsn, min_size=2, max_size=4) for _ in range(2)]
        try:
            async with pools[0].acquire() as conn:
                await create_schema(conn)
            followers = [DeadlineFollower(one), DeadlineFollower(two)]
            schedulers = [DeadlineScheduler(one, batch=7), DeadlineScheduler(two, batch=7)]
            while sum(await asyncio.gather(*(f.step(p) for f, p in zip(followers, pools, strict=True)))):
                pass
            async with pools[0].acquire() as conn:
                assert await conn.fetchval("SELECT count(*) FROM deadlines") == 40 * 4

            async def tick_until_nothing_is_due() -> None:
                for _ in range(60):
                    taken = await asyncio.gather(
                        *(s.tick(p) for s, p in zip(schedulers, pools, strict=True)),
                        *(f.step(p) for f, p in zip(followers, pools, strict=True)),
                    )
                    if not any(taken):
                        return
                raise AssertionError("the schedulers kept finding work")

            one.clock.set(midnight("2026-06-23"))  # due-soon of the first milestones
            await tick_until_nothing_is_due()
            assert recorded(one)["DueSoon"] == 40
            one.clock.set(midnight("2026-07-01"))  # the first milestones are overdue
            await tick_until_nothing_is_due()
            await tick_until_nothing_is_due()
        finally:
            for pool in pools:
                await pool.close()

    asyncio.run(go())
    counts = recorded(one)
    assert counts["DueSoon"] == 40 and counts["MilestoneOverdue"] == 40
    assert counts["ColourChanged"] == 80  # green → blue → red, once each
    for project_id in projects:
        supervision = two.get_supervision(project_id)
        assert supervision.colour == "red" and [h["colour"] for h in supervision.colour_history] == [
            "green",
            "blue",
            "red",
        ]
        assert supervision.colour_history[-1]["at"] == "2026-07-01T00:00:00+08:00"
        assert supervision.checkpoints["m2"]["overdue"] is False


def test_two_running_consumers_raise_a_passing_deadline_once_and_stay_quiet_after(
    apps: Callable[[], InspectionApplication],
    dsn: str,
) -> None:
    one, two = apps(), apps()
    one.clock.set(midnight("2026-06-01"))
    project_id = schedule(one, "2026-06-10")

    async def go() -> None:
        async with running(one, dsn), running(two, dsn) as pool:
            await until(lambda: has_rows(dsn, 2), "the follower's two deadlines")
            one.clock.set(dt.datetime(2026, 6, 11, 0, 0, 1, tzinfo=TZ))
            await until(lambda: has_rows(dsn, 0), "every deadline taken")
            await DeadlineScheduler(two).tick(pool)  # one more, for good measure
            assert await count(one, "MilestoneOverdue") == 1

    asyncio.run(go())
    counts = recorded(one)
    assert counts["MilestoneOverdue"] == 1 and counts["DueSoon"] == 0  # due-soon passed unseen: not raised late
    assert one.get_supervision(project_id).colour == "red"


def test_a_deadline_that_passed_while_no_scheduler_ran_is_raised_at_the_next_start(
    apps: Callable[[], InspectionApplication],
    dsn: str,
) -> None:
    first = apps()
    first.clock.set(midnight("2026-06-01"))
    early = schedule(first, "2026-06-30")

    async def first_run() -> None:
        async with running(first, dsn):
            await until(lambda: has_rows(dsn, 2), "the deadlines of the first project")

    asyncio.run(first_run())
    # Nothing runs: a project is approved and both due dates pass.
    late = schedule(first, "2026-07-15")
    first.clock.set(midnight("2026-08-01"))
    restarted = apps()

    async def second_run() -> None:
        async with running(restarted, dsn):
            await until(lambda: has_rows(dsn, 0), "every deadline taken")

    asyncio.run(second_run())
    assert restarted.get_supervision(early).colour == "red" and restarted.get_supervision(late).colour == "red"
    assert recorded(restarted)["MilestoneOverdue"] == 2


def test_a_replan_moves_the_deadline_and_a_late_milestone_met_clears_red(
    apps: Callable[[], InspectionApplication],
    dsn: str,
) -> None:
    app = apps()
    app.clock.set(midnight("2026-06-01"))
    project_id = schedule(app, "2026-06-10", "2026-09-30")

    async def go() -> None:
        async with running(app, dsn):
            await until(lambda: has_rows(dsn, 4), "the deadlines of the plan as approved")
            plan = [
                {"id": "m1", "title": "节点1", "due": "2026-06-20", "deliverable": "成果1"},
                {"id": "m2", "title": "节点2", "due": "2026-09-30", "deliverable": "成果2"},
            ]
            await asyncio.to_thread(app.replan, project_id, plan, COMMITTEE, "change-1")
            moved = ("milestone_overdue", "m1", midnight("2026-06-21"))
            await until(lambda: _contains(dsn, moved), "the deadline moved to the new due date")
            app.clock.set(midnight("2026-06-14"))  # past the old due date, and due soon at the new one
            await until(lambda: count(app, "DueSoon"), "the due-soon warning")
            # The old deadline (earlier, so taken first) would have been raised by now.
            assert await count(app, "MilestoneOverdue") == 0
            app.clock.set(midnight("2026-06-21"))
            await until(lambda: count(app, "MilestoneOverdue"), "the overdue warning at the new date")
            await asyncio.to_thread(app.milestone_met, project_id, "m1", "2026-06-25", "成果1", COMMITTEE, "met-1")

    asyncio.run(go())
    assert [h["colour"] for h in app.get_supervision(project_id).colour_history] == ["green", "blue", "red", "green"]


# -- the consumer's handlers through the real inbox -----------------------------------------------


def envelope(
    type_: str, aggregate: str, version: int, department: str = "fgw", branch: str | None = "fgw-b1", **payload: object
) -> Envelope:
    return Envelope(
        event_id=event_id(aggregate, version),
        type=type_,
        aggregate_id=aggregate,
        aggregate_type=type_.split(".")[1],
        aggregate_version=version,
        department=department,
        branch=branch,
        actor={"id": "someone", "role": "secretary"},
        request_id=None,
        occurred_at="2026-06-01T00:00:00+00:00",
        source={"service": type_.split(".")[0], "instance": "main", "position": version},
        payload=dict(payload),
    )


def test_a_task_event_that_arrives_before_the_approval_waits_and_a_redelivery_changes_nothing(
    apps: Callable[[], InspectionApplication],
    dsn: str,
) -> None:
    app = apps()
    app.clock.set(midnight("2026-07-02"))
    project, board = str(uuid.uuid4()), str(uuid.uuid4())
    met = envelope(
        "tasking.TaskBoard.MilestoneMet",
        board,
        1,
        project_id=project,
        milestone_id="m1",
        deliverable="台账",
        met_on="2026-07-01",
    )
    approved = envelope(
        "filing.Project.Approved",
        project,
        1,
        record_no="fgw-2026-1",
        title="船员注册",
        milestones=[{"id": "m1", "title": "节点1", "due": "2026-06-30", "deliverable": "台账"}],
    )
    changed = envelope(
        "filing.Project.MilestoneChangeApproved",
        project,
        2,
        milestones=[
            {"id": "m1", "title": "节点1", "due": "2026-06-30", "deliverable": "台账"},
            {"id": "m3", "title": "节点3", "due": "2026-10-31", "deliverable": "总结"},
        ],
    )
    progress = envelope(
        "tasking.Task.ProgressReported",
        str(uuid.uuid4()),
        1,
        project_id=project,
        milestone_id="m3",
        percent=30,
        note="启动",
    )

    async def go() -> asyncpg.Record:
        conn = await asyncpg.connect(dsn)
        try:
            await Inbox.create_schema(conn)
            inbox = Inbox("inspection", handler(app))
            await inbox.apply_batch(conn, [met])
            assert app.find_supervision(project) is None
            await inbox.apply_batch(conn, [progress])  # m3 belongs to a plan not yet heard of
            await inbox.apply_batch(conn, [approved])
            assert app.get_supervision(project).checkpoints["m1"]["met_on"] == "2026-07-01"
            assert "m3" not in app.get_supervision(project).checkpoints
            await inbox.apply_batch(conn, [changed])
            await inbox.apply_batch(conn, [approved, met, changed, progress])  # redelivered
            # Even past the inbox (its record lost), the supervision remembers the event ids.
            await conn.execute("TRUNCATE inbox_versions")
            await inbox.apply_batch(conn, [approved, met, changed, progress])
            return await conn.fetchrow(
                "SELECT (SELECT count(*) FROM inbox_waiting) AS waiting, "
                "(SELECT count(*) FROM inbox_dead_letters) AS dead"
            )
        finally:
            await conn.close()

    counts = asyncio.run(go())
    assert counts["waiting"] == 0 and counts["dead"] == 0
    supervision = app.get_supervision(project)
    assert supervision.checkpoints["m3"]["progress"] == {progress.aggregate_id: 30}
    assert (supervision.department, supervision.branch, supervision.record_no) == ("fgw", "fgw-b1", "fgw-2026-1")
    assert recorded(app) == Counter(Scheduled=1, MilestoneMet=1, Replanned=1, ProgressReported=1)


# -- the manual clock and the inspector's role through the API --------------------------------------


def test_the_manual_clock_is_set_by_an_admin_and_the_system_clock_cannot_be_set(
    dsn: str,
    new_database: Callable[[str], str],
) -> None:
    manual = TestClient(create_app(InspectionSettings(database_dsn=dsn, clock="manual", token_keys=TRUST)))
    moved = manual.post("/admin/clock", json={"now": "2026-07-01T00:00:00"}, headers=headers(Role.ADMIN))
    assert moved.status_code == 200, moved.text
    assert moved.json()["now"] == "2026-07-01T00:00:00+08:00" and moved.json()["today"] == "2026-07-01"
    refused = manual.post("/admin/clock", json={"now": "2026-07-02T00:00:00"}, headers=headers(Role.INSPECTOR))
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    system = TestClient(create_app(InspectionSettings(database_dsn=new_database("inspection"), token_keys=TRUST)))
    conflict = system.post("/admin/clock", json={"now": "2026-07-01T00:00:00"}, headers=headers(Role.ADMIN))
    assert conflict.status_code == 409 and "system clock, which cannot be set" in conflict.json()["detail"]


def test_only_an_inspector_records_an_inspection_and_the_branch_answers(dsn: str) -> None:
    api = create_app(InspectionSettings(database_dsn=dsn, clock="manual", token_keys=TRUST))
    client = TestClient(api)
    app: InspectionApplication = api.state.inspection
    app.clock.set(midnight("2026-06-01"))
    project_id = schedule(app, "2026-06-30")
    body = {
        "expected_version": 1,
        "milestone_id": "m1",
        "rating": "lagging",
        "findings": "台账不全",
        "rectification": {"items": ["补齐台账"], "deadline": "2026-06-15"},
    }
    for role, department, branch in (
        (Role.SECRETARY, "fgw", "fgw-b1"),
        (Role.COMMITTEE, "fgw", None),
        (Role.AUDITOR, None, None),
    ):
        refused = client.post(
            f"/supervisions/{project_id}/inspections", json=body, headers=headers(role, department, branch)
        )
        assert refused.status_code == 403
        assert refused.json()["detail"] == f"role '{role.value}' may not do this; it needs: inspector (机关工委督查员)"
    assert app.get_supervision(project_id).version == 1
    inspector = headers(Role.INSPECTOR, request_id="inspection-1")
    first = client.post(f"/supervisions/{project_id}/inspections", json=body, headers=inspector)
    again = client.post(f"/supervisions/{project_id}/inspections", json=body, headers=inspector)
    assert first.status_code == again.status_code == 201, first.text
    assert first.json()["recorded"] == again.json()["recorded"] == {"inspection_id": "i1", "order_id": "r1"}
    view = first.json()
    assert (view["colour"], view["colour_label"]) == ("yellow", "黄")
    assert view["checkpoints"][0]["rating_label"] == "进度滞后"
    assert view["rectifications"][0]["state_label"] == "待整改"
    stale = client.post(f"/supervisions/{project_id}/inspections", json=body, headers=headers(Role.INSPECTOR))
    assert stale.status_code == 409 and "expected_version 1" in stale.json()["detail"]
    path = f"/supervisions/{project_id}/rectifications/r1/answer"
    answer = {"expected_version": view["version"], "answer": "已补齐"}
    other = client.post(path, json=answer, headers=headers(Role.SECRETARY, "fgw", "fgw-b2"))
    assert other.status_code == 403 and "fgw-b2" in other.json()["detail"]
    answered = client.post(path, json=answer, headers=headers(Role.SECRETARY, "fgw", "fgw-b1"))
    assert answered.status_code == 200 and answered.json()["rectifications"][0]["state"] == "answered"
    listed = client.get("/rectifications", params={"state": "answered"}, headers=headers(Role.INSPECTOR))
    assert [r["order_id"] for r in listed.json()] == ["r1"]
    assert client.get("/rectifications", headers=headers(Role.COMMITTEE, "zwb")).json() == []
    yellow = client.get("/supervisions", params={"colour": "yellow"}, headers=headers(Role.INSPECTOR)).json()
    assert [s["project_id"] for s in yellow] == [project_id]
    upcoming = client.get("/checkpoints", params={"due_within_days": 30}, headers=headers(Role.INSPECTOR)).json()
    assert [(c["project_id"], c["milestone_id"], c["days_left"]) for c in upcoming] == [(project_id, "m1", 29)]
    assert client.get("/checkpoints/overdue", headers=headers(Role.INSPECTOR)).json() == []
    assert client.get(f"/supervisions/{project_id}", headers=headers(Role.MEMBER, "fgw", "fgw-b2")).status_code == 403
    feed = client.get("/events", headers=headers(Role.AUDITOR)).json()
    assert [e["type"] for e in feed["events"]] == [
        "inspection.Supervision.Scheduled",
        "inspection.Supervision.InspectionRecorded",
        "inspection.Supervision.RectificationOrdered",
        "inspection.Supervision.ColourChanged",
        "inspection.Supervision.RectificationAnswered",
    ]
    assert all(e["payload"]["project_id"] == project_id for e in feed["events"])
    assert all(e["branch"] == "fgw-b1" for e in feed["events"])


def test_a_supervision_due_in_year_9999_is_skipped_and_recorded_while_every_other_still_gets_its_warning(
    apps: Callable[[], InspectionApplication], dsn: str
) -> None:
    """A plan recorded before dates were bounded at the APIs: its deadlines overflow (issue 9)."""
    app = apps()
    app.clock.set(midnight("2026-06-01"))
    far = schedule(app, "9999-12-31")
    later = schedule(app, "2026-06-10")  # filed after it, so behind it in the log

    async def go() -> list[asyncpg.Record]:
        async with running(app, dsn) as pool:
            await until(lambda: has_rows(dsn, 2), "the later project's deadlines")  # due-soon and overdue
            app.clock.set(midnight("2026-06-12"))
            await until(lambda: count(app, "MilestoneOverdue"), "the later project's overdue warning")
            return await pool.fetch("SELECT supervision_id, stage, error FROM deadline_failures")

    failures = asyncio.run(go())
    assert [(str(f["supervision_id"]), f["stage"]) for f in failures] == [(str(supervision_id(far)), "follow")]
    assert failures[0]["error"].startswith("OverflowError")
    overdue = [n for n in app.recorder.select_notifications(0, 1000) if n.topic.endswith("MilestoneOverdue")]
    assert [n.originator_id for n in overdue] == [supervision_id(later)]
