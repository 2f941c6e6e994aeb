"""公开验收 in the projection: the application, the notice, the feedback, the panel, the grade and the
honours reach the project's overview and its lists, whatever order the topics arrive in.

Events are fed through the projection's own handler and its real inbox, as its consumer feeds them."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import pytest
from fastapi.testclient import TestClient

from services.projection.upgrade import upgrade
from shared.auth import Role
from tests.projection_history import (
    PANEL,
    History,
    excellent_project,
    feed,
    interleaved,
    on,
    overview,
    projection_api,
    read_models,
)
from tests.support import headers

pytestmark = pytest.mark.integration

AUDITOR = headers(Role.AUDITOR)


@pytest.fixture(scope="module")
def dsn(new_database: Callable[[str], str]) -> str:
    return new_database("projection")


@pytest.fixture(scope="module")
def api(dsn: str, kafka_bootstrap: str) -> Iterator[TestClient]:
    with projection_api(dsn, kafka_bootstrap) as client:
        yield client


def instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def test_the_overview_shows_the_acceptance_from_application_to_commendation(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, h.all())
    project = overview(api, h.project_id)
    assert (project["state"], project["state_label"]) == ("graded", "已评定")
    assert (project["grade"], project["grade_label"], project["score"]) == ("excellent", "优秀", 93.67)
    assert instant(project["applied_at"]) == on("2026-10-30")
    assert project["application"]["summary"] == "建立服务队,上门服务企业120家"
    assert [o["target"] for o in project["application"]["outcomes"]] == ["办理时限压缩至1个工作日", "群众满意率≥95%"]
    assert instant(project["notice_opened_at"]) == on("2026-11-02", 10)
    assert instant(project["notice_closes_at"]) == on("2026-11-10", 0)
    assert instant(project["notice_closed_at"]) == on("2026-11-10", 0)
    assert project["notice_working_days"] == 5
    assert (project["feedback_count"], project["objection_count"], project["objections_answered"]) == (2, 1, 1)
    assert project["panel"] == PANEL and project["rubric"] == "2026-v1"
    assert instant(project["graded_at"]) == on("2026-11-12")
    assert project["in_casebook"] is True and project["brand"] == "环保管家"
    assert project["commendations"] == [
        {
            "commendation_id": "c1",
            "level": "provincial",
            "level_label": "省级",
            "issuer": "中共江苏省委组织部",
            "title": "全省机关党建优秀品牌",
            "awarded_on": "2026-12-01",
        }
    ]


@pytest.mark.parametrize(
    ("until", "state", "label"),
    [
        ("Applied", "applied", "已申请验收"),
        ("NoticeOpened", "in_notice", "公示中"),
        ("NoticeClosed", "notice_closed", "公示结束·待评定"),
        ("Concluded", "graded", "已评定"),
    ],
)
def test_each_acceptance_stage_shows_as_the_projects_state_with_its_chinese_label(
    api: TestClient, dsn: str, until: str, state: str, label: str
) -> None:
    h = excellent_project()
    feed(dsn, [*h.filing, *h.acceptance_until(until)])
    project = overview(api, h.project_id)
    assert (project["state"], project["state_label"]) == (state, label)


def test_before_any_application_the_overview_says_approved_with_no_grade(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, [*h.filing, *h.acceptance_until("MilestoneMet")])
    project = overview(api, h.project_id)
    assert (project["state"], project["state_label"], project["grade"]) == ("approved", "已立项备案", None)
    assert project["applied_at"] is None and project["commendations"] == [] and project["in_casebook"] is False


def test_the_project_list_shows_the_acceptance_and_filters_by_grade_and_casebook(api: TestClient, dsn: str) -> None:
    graded, applied = excellent_project("验收后的项目"), excellent_project("刚申请的项目")
    feed(dsn, [*graded.all(), *applied.filing, *applied.acceptance_until("Applied")])

    def listed(**params: str) -> dict[str, dict[str, Any]]:
        response = api.get("/projects", headers=AUDITOR, params={"department": "fgw", **params})
        assert response.status_code == 200, response.text
        return {p["id"]: p for p in response.json()}

    excellent = listed(grade="excellent")
    assert graded.project_id in excellent and applied.project_id not in excellent
    row = excellent[graded.project_id]
    assert (row["grade_label"], row["score"], row["brand"], row["state_label"]) == ("优秀", 93.67, "环保管家", "已评定")
    assert graded.project_id not in listed(grade="good")
    assert graded.project_id in listed(in_casebook="true") and applied.project_id not in listed(in_casebook="true")
    assert applied.project_id in listed(state="applied") and graded.project_id not in listed(state="applied")


def test_an_unknown_grade_in_the_list_filter_is_refused_naming_the_grades(api: TestClient) -> None:
    response = api.get("/projects", headers=AUDITOR, params={"grade": "superb"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "grade" in response.json()["detail"] and "'excellent'" in response.json()["detail"]


def test_acceptance_events_that_overtake_the_projects_filing_wait_for_it(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, [*h.acceptance, *h.inspection, *h.tasking])
    assert api.get(f"/projects/{h.project_id}", headers=AUDITOR).status_code == 404
    feed(dsn, h.filing)
    project = overview(api, h.project_id)
    assert (project["state"], project["grade"], project["feedback_count"]) == ("graded", "excellent", 2)
    assert asyncio.run(_waiting(dsn, h)) == 0


def test_filings_approval_arriving_after_the_application_does_not_undo_the_acceptance_stage(
    api: TestClient, dsn: str
) -> None:
    h = excellent_project()
    drafted, submitted, approved = h.filing
    feed(dsn, [drafted, submitted, *h.acceptance_until("Applied")])
    feed(dsn, [approved])
    project = overview(api, h.project_id)
    assert (project["state"], project["record_no"]) == ("applied", "fgw-2026-0001")


def test_a_redelivered_acceptance_history_changes_nothing(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, h.all())
    before = overview(api, h.project_id)
    feed(dsn, [*h.acceptance, *h.acceptance], batch=7)
    assert overview(api, h.project_id) == before


def test_a_projection_rebuilt_from_history_in_another_order_has_the_same_rows(
    new_database: Callable[[str], str],
) -> None:
    projects = [excellent_project(f"项目{n}") for n in range(3)]
    live, rebuilt = new_database("live"), new_database("rebuilt")
    feed(live, [e for h in projects for e in h.all()], batch=1)
    arrivals = [interleaved(h.acceptance, h.inspection, h.tasking, h.filing) for h in projects]
    feed(rebuilt, interleaved(*arrivals), batch=5)
    first, second = asyncio.run(read_models(live)), asyncio.run(read_models(rebuilt))
    assert first == second
    # The comparison covers the acceptance's columns, and they hold what the history says.
    row = asyncio.run(_project_row(rebuilt, projects[0].project_id))
    assert {"grade", "score", "notice_opened_at", "panel", "commendations", "in_casebook", "brand"} <= row.keys()
    assert (row["grade"], row["in_casebook"], row["feedback_count"]) == ("excellent", True, 2)


def test_an_existing_projection_gains_what_its_acceptance_events_say_on_upgrade(
    new_database: Callable[[str], str],
) -> None:
    h = excellent_project()
    dsn = new_database("upgraded")
    feed(dsn, h.all())
    expected = asyncio.run(read_models(dsn))
    asyncio.run(_as_before_the_acceptance_handlers(dsn))
    assert asyncio.run(read_models(dsn)) != expected
    asyncio.run(_upgrade(dsn))
    assert asyncio.run(read_models(dsn)) == expected


def test_replaying_the_audit_trail_over_an_up_to_date_projection_changes_nothing(
    new_database: Callable[[str], str],
) -> None:
    h = excellent_project()
    dsn = new_database("replayed")
    feed(dsn, h.all())
    expected = asyncio.run(read_models(dsn))
    asyncio.run(_forget_upgrades(dsn))
    asyncio.run(_upgrade(dsn))  # every acceptance and colour event handled a second time
    assert asyncio.run(read_models(dsn)) == expected


# -- helpers ------------------------------------------------------------------------------------


async def _forget_upgrades(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM projection_upgrades")
    finally:
        await conn.close()


async def _project_row(dsn: str, project_id: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return dict(await conn.fetchrow("SELECT * FROM projects WHERE id = $1", project_id))
    finally:
        await conn.close()


async def _waiting(dsn: str, h: History) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        ids = list({e.aggregate_id for e in h.all()})
        return int(await conn.fetchval("SELECT count(*) FROM inbox_waiting WHERE aggregate_id::text = ANY($1)", ids))
    finally:
        await conn.close()


async def _as_before_the_acceptance_handlers(dsn: str) -> None:
    """What a projection that had no acceptance handlers (and no first green) holds after the
    same history: the events in its audit trail only, its colour history in wall-clock time."""
    conn = await asyncpg.connect(dsn)
    try:
        defaults = await conn.fetch(
            "SELECT column_name, column_default FROM information_schema.columns "
            "WHERE table_name = 'projects' AND column_name = ANY($1)",
            ACCEPTANCE_COLUMNS,
        )
        sets = ", ".join(f"{r['column_name']} = {r['column_default'] or 'NULL'}" for r in defaults)
        await conn.execute(f"UPDATE projects SET {sets}, state = filing_state, filing_state = NULL")
        await conn.execute(
            "DELETE FROM colour_history c USING audit_trail a "
            "WHERE a.event_id = c.event_id AND a.type = 'inspection.Supervision.Scheduled'"
        )
        await conn.execute(
            "UPDATE colour_history c SET at = a.occurred_at, aggregate_version = NULL FROM audit_trail a "
            "WHERE a.event_id = c.event_id"
        )
        await conn.execute(
            "UPDATE inspections i SET at = a.occurred_at FROM audit_trail a "
            "WHERE a.payload->>'inspection_id' = i.inspection_id AND a.project_id = i.project_id "
            "AND a.type = 'inspection.Supervision.InspectionRecorded'"
        )
        await conn.execute("DELETE FROM projection_upgrades")
    finally:
        await conn.close()


ACCEPTANCE_COLUMNS = [
    "acceptance_state",
    "acceptance_version",
    "applied_at",
    "application",
    "notice_opened_at",
    "notice_closes_at",
    "notice_working_days",
    "notice_closed_at",
    "feedback_count",
    "objection_count",
    "objections_answered",
    "panel",
    "rubric",
    "grade",
    "grade_label",
    "score",
    "graded_at",
    "in_casebook",
    "brand",
    "commendations",
]


async def _upgrade(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await upgrade(conn)
    finally:
        await conn.close()
