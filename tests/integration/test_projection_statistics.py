"""The statistics (统计) count what the read models hold, per department and direction, per month and per
uncovered branch; a committee reads its own department only. The project list pages in SQL.

Two departments' registries and projects are fed through the projection's own handler and inbox:
fgw (three branches) and zwb (two), five projects of 2026 and one of 2025.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from services.projection.upgrade import upgrade
from shared.auth import Role
from shared.contracts import Envelope, event_id
from tests.contract import Contract
from tests.projection_history import feed, projection_api
from tests.support import token

pytestmark = pytest.mark.integration

_positions = itertools.count(1)
PLAN = [
    {"id": "m1", "title": "调研", "due": "2026-03-31", "deliverable": "调研报告"},
    {"id": "m2", "title": "实施", "due": "2026-06-30", "deliverable": "服务台账"},
]
ROSTER = {"fgw": ("市发改委", ("fgw-b1", "fgw-b2", "fgw-b3")), "zwb": ("市政务办", ("zwb-b1", "zwb-b2"))}
P1, P2, P3, P4, P5, P6 = (str(uuid.uuid4()) for _ in range(6))


def event(
    kind: str, aggregate_id: str, version: int, department: str, branch: str | None, payload: dict, at: str
) -> Envelope:
    service, aggregate_type, _ = kind.split(".")
    return Envelope(
        event_id=event_id(aggregate_id, version),
        type=kind,
        aggregate_id=aggregate_id,
        aggregate_type=aggregate_type,
        aggregate_version=version,
        department=department,
        branch=branch,
        actor={"id": "someone", "role": "system"},
        request_id=None,
        occurred_at=dt.datetime.fromisoformat(at).isoformat(),
        source={"service": service, "instance": department, "position": next(_positions)},
        payload=payload,
    )


def roster() -> list[Envelope]:
    out = []
    for code, (name, branches) in ROSTER.items():
        registry = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{code}.registry"))
        at = "2026-01-05T09:00:00+08:00"
        out.append(event("filing.Department.Registered", registry, 1, code, None, {"code": code, "name": name}, at))
        for n, branch in enumerate(branches, start=2):
            payload = {
                "code": branch,
                "name": f"第{n - 1}党支部",
                "secretary_id": f"s-{branch}",
                "secretary_name": "王强",
            }
            out.append(event("filing.Department.BranchRegistered", registry, n, code, None, payload, at))
    return out


def filed(
    pid: str,
    branch: str,
    direction: str,
    drafted: str,
    *,
    year: int = 2026,
    approved: str | None = None,
    withdrawn: str | None = None,
) -> list[Envelope]:
    """Drafted and submitted; approved (备案) and withdrawn when those times are given."""
    department = branch.split("-")[0]
    draft = {
        "topic_id": str(uuid.uuid4()),
        "year": year,
        "direction": direction,
        "title": f"{branch}的项目",
        "goal": "目标",
        "targets": ["指标"],
        "milestones": PLAN,
        "responsible": {"id": "m-001", "name": "李扬"},
    }
    steps = [("Drafted", draft, drafted), ("Submitted", {}, drafted)]
    if approved:
        # Filing stamps the programme time it approved at; the store records its own clock's (a
        # rehearsal's manual clock stands in 2026 while the wall clock does not): months go by `at`.
        done = {"record_no": f"{branch}-{year}", "title": draft["title"], "milestones": PLAN, "at": approved}
        steps.append(("Approved", done, "2030-06-15T12:00:00+00:00"))
    if withdrawn:
        steps.append(("Withdrawn", {"reason": "调整"}, withdrawn))
    return [
        event(f"filing.Project.{name}", pid, n, department, branch, payload, at)
        for n, (name, payload, at) in enumerate(steps, start=1)
    ]


def met(pid: str, branch: str, *days: str) -> list[Envelope]:
    board = str(uuid.uuid5(uuid.UUID(pid), "board"))
    return [
        event(
            "tasking.TaskBoard.MilestoneMet",
            board,
            n,
            branch.split("-")[0],
            branch,
            {"project_id": pid, "milestone_id": f"m{n}", "met_on": day, "deliverable": {"title": "成果"}},
            f"{day}T18:00:00+08:00",
        )
        for n, day in enumerate(days, start=1)
    ]


def supervised(pid: str, branch: str, colour: str, inspected: str, *, verified: bool, overdue: str | None = None):
    """A colour, an inspection ordering a rectification (verified or still open), an overdue milestone."""
    supervision, department = str(uuid.uuid5(uuid.UUID(pid), "supervision")), branch.split("-")[0]
    order = {"project_id": pid, "order_id": "r1", "milestone_id": "m1", "inspection_id": "i1"}
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "ColourChanged",
            {"project_id": pid, "colour": colour, "previous": "green", "reasons": ["滞后"], "at": inspected},
        ),
        (
            "InspectionRecorded",
            {**order, "rating": "lagging", "findings": "进度滞后", "at": inspected},
        ),
        ("RectificationOrdered", {**order, "items": ["补齐台账"], "deadline": "2026-07-31"}),
    ]
    if verified:
        steps.append(("RectificationVerified", {**order, "at": inspected}))
    if overdue:
        steps.append(("MilestoneOverdue", {"project_id": pid, "milestone_id": overdue}))
    return [
        event(f"inspection.Supervision.{name}", supervision, n, department, branch, payload, inspected)
        for n, (name, payload) in enumerate(steps, start=1)
    ]


def graded(pid: str, branch: str, grade: str, label: str, at: str) -> list[Envelope]:
    payload = {"project_id": pid, "grade": grade, "grade_label": label, "score": 93.5, "rubric": "2026-v1", "at": at}
    acceptance = str(uuid.uuid5(uuid.UUID(pid), "acceptance"))
    return [event("acceptance.Acceptance.Concluded", acceptance, 1, branch.split("-")[0], branch, payload, at)]


HISTORY = [
    *roster(),
    # fgw-b1: approved in March, m1 met, m2 overdue, yellow, a rectification still open
    *filed(P1, "fgw-b1", "business_environment", "2026-02-01T09:00:00+08:00", approved="2026-03-10T09:00:00+08:00"),
    # fgw-b2: approved in April, both milestones met, graded 优秀 in June
    *filed(P2, "fgw-b2", "party_building", "2026-02-02T09:00:00+08:00", approved="2026-04-05T09:00:00+08:00"),
    # fgw-b3: submitted only this year; last year's project (approved at 00:30 on 1 January, Beijing time)
    *filed(P3, "fgw-b3", "party_building", "2026-02-03T09:00:00+08:00"),
    *filed(P6, "fgw-b3", "work_upgrade", "2025-11-01T09:00:00+08:00", year=2025, approved="2025-12-31T16:30:00+00:00"),
    # zwb-b1: approved in March, then withdrawn
    *filed(
        P4,
        "zwb-b1",
        "business_environment",
        "2026-02-04T09:00:00+08:00",
        approved="2026-03-25T09:00:00+08:00",
        withdrawn="2026-04-01T09:00:00+08:00",
    ),
    # zwb-b2: approved in May, red, inspected early on 1 May in Beijing (30 April in UTC), rectification verified
    *filed(P5, "zwb-b2", "high_quality_development", "2026-02-05T09:00:00+08:00", approved="2026-05-02T09:00:00+08:00"),
    *met(P1, "fgw-b1", "2026-03-30"),
    *met(P2, "fgw-b2", "2026-04-20", "2026-05-15"),
    *supervised(P1, "fgw-b1", "yellow", "2026-03-20T10:00:00+08:00", verified=False, overdue="m2"),
    *supervised(P5, "zwb-b2", "red", "2026-04-30T20:00:00+00:00", verified=True),
    *graded(P2, "fgw-b2", "excellent", "优秀", "2026-06-01T10:00:00+08:00"),
]


def bearer(role: Role, department: str | None = None, branch: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, department, branch)}"}


AUDITOR = bearer(Role.AUDITOR)
ORGANISER = bearer(Role.ORGANISER)
FGW = bearer(Role.COMMITTEE, "fgw")
ZWB = bearer(Role.COMMITTEE, "zwb")


@pytest.fixture(scope="module")
def api(new_database: Callable[[str], str], kafka_bootstrap: str) -> Iterator[Contract]:
    dsn = new_database("projection")
    with projection_api(dsn, kafka_bootstrap) as client:
        feed(dsn, HISTORY)
        yield Contract(client)


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["detail"]


def nonzero(tallies: list[dict[str, Any]]) -> dict[str, int]:
    return {t["code"]: t["count"] for t in tallies if t["count"]}


def summary(f: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[dict[str, int], ...]]:
    """((department, direction, projects, approved, milestones, met, overdue, open rectifications,
    completion, branches, branches with a project, coverage), (states, grades, colours))"""
    counts = ("projects", "approved", "milestones", "milestones_met", "overdue_milestones", "open_rectifications")
    rates = ("completion_rate", "branches", "branches_with_project", "coverage_rate")
    figures = (f["department"], f["direction"], *(f[k] for k in counts), *(f[k] for k in rates))
    return figures, (nonzero(f["by_state"]), nonzero(f["by_grade"]), nonzero(f["colours"]))


FGW_ROWS = [
    (("fgw", "business_environment", 1, 1, 2, 1, 1, 1, 0.5, 3, 1, 0.3333), ({"approved": 1}, {}, {"yellow": 1})),
    (
        ("fgw", "party_building", 2, 1, 2, 2, 0, 0, 1.0, 3, 1, 0.3333),
        ({"submitted": 1, "graded": 1}, {"excellent": 1}, {"green": 1}),
    ),
]
ZWB_ROWS = [
    (("zwb", "business_environment", 1, 0, 0, 0, 0, 0, None, 2, 0, 0.0), ({"withdrawn": 1}, {}, {})),
    (("zwb", "high_quality_development", 1, 1, 2, 0, 0, 0, 0.0, 2, 1, 0.5), ({"approved": 1}, {}, {"red": 1})),
]
FGW_TOTAL = (
    ("fgw", None, 3, 2, 4, 3, 1, 1, 0.75, 3, 2, 0.6667),
    ({"approved": 1, "submitted": 1, "graded": 1}, {"excellent": 1}, {"green": 1, "yellow": 1}),
)
ZWB_TOTAL = (("zwb", None, 2, 1, 2, 0, 0, 0, 0.0, 2, 1, 0.5), ({"approved": 1, "withdrawn": 1}, {}, {"red": 1}))


def in_all(department_total: tuple[tuple[Any, ...], Any]) -> tuple[tuple[Any, ...], Any]:
    """A department's figures as the total row of a reader who reads that department only."""
    figures, tallies = department_total
    return (None, *figures[1:]), tallies


def test_the_year_is_counted_per_department_and_direction_per_department_and_in_all(api: Contract) -> None:
    found = ok(api.get("/statistics", params={"year": 2026}, headers=ORGANISER))
    assert (found["year"], found["department"], found["direction"]) == (2026, None, None)
    assert [summary(f) for f in found["rows"]] == FGW_ROWS + ZWB_ROWS
    assert [summary(f) for f in found["departments"]] == [FGW_TOTAL, ZWB_TOTAL]
    states = {"approved": 2, "submitted": 1, "graded": 1, "withdrawn": 1}
    colours = {"green": 1, "yellow": 1, "red": 1}
    total = ((None, None, 5, 3, 6, 3, 1, 1, 0.5, 5, 3, 0.6), (states, {"excellent": 1}, colours))
    assert summary(found["total"]) == total


def test_figures_carry_the_programmes_chinese_labels(api: Contract) -> None:
    fgw = ok(api.get("/statistics", params={"year": 2026}, headers=AUDITOR))["departments"][0]
    assert fgw["department_name"] == "市发改委"
    assert [(t["code"], t["label"]) for t in fgw["by_grade"]] == [
        ("excellent", "优秀"),
        ("good", "良好"),
        ("pass", "合格"),
        ("fail", "不合格"),
    ]
    assert {t["code"]: t["label"] for t in fgw["by_state"]}["approved"] == "已立项备案"
    assert [t["label"] for t in fgw["colours"]] == ["绿", "蓝", "黄", "红"]
    row = ok(api.get("/statistics", params={"year": 2026, "direction": "party_building"}, headers=AUDITOR))["rows"]
    assert [(f["department"], f["direction_label"]) for f in row] == [("fgw", "加强党的自身建设")]


def test_a_direction_narrows_every_figure_but_not_the_branches_registered(api: Contract) -> None:
    found = ok(api.get("/statistics", params={"year": 2026, "direction": "business_environment"}, headers=AUDITOR))
    assert [summary(f) for f in found["rows"]] == [FGW_ROWS[0], ZWB_ROWS[0]]
    total = ((None, None, 2, 1, 2, 1, 1, 1, 0.5, 5, 1, 0.2), ({"approved": 1, "withdrawn": 1}, {}, {"yellow": 1}))
    assert summary(found["total"]) == total


def test_a_year_without_projects_still_counts_the_branches(api: Contract) -> None:
    found = ok(api.get("/statistics", params={"year": 2030}, headers=AUDITOR))
    assert found["rows"] == []
    assert [(f["department"], f["projects"], f["branches"], f["coverage_rate"]) for f in found["departments"]] == [
        ("fgw", 0, 3, 0.0),
        ("zwb", 0, 2, 0.0),
    ]
    assert (found["total"]["projects"], found["total"]["branches"], found["total"]["completion_rate"]) == (0, 5, None)


def test_a_committee_reads_its_own_departments_figures_only(api: Contract) -> None:
    own = ok(api.get("/statistics", params={"year": 2026}, headers=FGW))
    assert own["department"] == "fgw"
    assert [summary(f) for f in own["rows"]] == FGW_ROWS
    assert [summary(f) for f in own["departments"]] == [FGW_TOTAL]
    assert summary(own["total"]) == in_all(FGW_TOTAL)
    named = ok(api.get("/statistics", params={"year": 2026, "department": "zwb"}, headers=ZWB))
    assert [summary(f) for f in named["departments"]] == [ZWB_TOTAL]


@pytest.mark.parametrize("path", ["/statistics", "/statistics/monthly", "/statistics/coverage"])
def test_a_committee_asking_for_another_department_is_refused(api: Contract, path: str) -> None:
    detail = refused(api.get(path, params={"year": 2026, "department": "zwb"}, headers=FGW), 403)
    assert detail == "you act for department 'fgw', not 'zwb'"


@pytest.mark.parametrize(
    "who",
    [bearer(Role.MEMBER, "fgw", "fgw-b1"), bearer(Role.SECRETARY, "fgw", "fgw-b1"), bearer(Role.PANELIST)],
    ids=["member", "secretary", "panelist"],
)
@pytest.mark.parametrize("path", ["/statistics", "/statistics/monthly", "/statistics/coverage"])
def test_other_roles_are_told_who_may_read_the_statistics(api: Contract, who: dict[str, str], path: str) -> None:
    detail = refused(api.get(path, params={"year": 2026}, headers=who), 403)
    assert "may not do this; it needs: organiser (组织部(考核评价))、auditor (审计员)" in detail
    assert "committee (部门党委(党组))" in detail


def test_a_department_may_be_read_by_a_cross_department_reader(api: Contract) -> None:
    found = ok(api.get("/statistics", params={"year": 2026, "department": "zwb"}, headers=bearer(Role.INSPECTOR)))
    assert [summary(f) for f in found["rows"]] == ZWB_ROWS
    assert summary(found["total"]) == in_all(ZWB_TOTAL)


MONTHS = ("projects_approved", "milestones_met", "inspections", "rectifications_ordered", "projects_graded")


def by_month(found: dict[str, Any]) -> dict[int, dict[str, int]]:
    """The months with anything in them."""
    assert [m["month"] for m in found["months"]] == list(range(1, 13))
    return {m["month"]: {k: m[k] for k in MONTHS if m[k]} for m in found["months"] if any(m[k] for k in MONTHS)}


def test_each_month_counts_approvals_milestones_inspections_rectifications_and_grades(api: Contract) -> None:
    found = ok(api.get("/statistics/monthly", params={"year": 2026}, headers=ORGANISER))
    assert (found["year"], found["department"]) == (2026, None)
    assert by_month(found) == {
        1: {"projects_approved": 1},  # 00:30 on 1 January in Beijing is still 2025 in UTC
        3: {"projects_approved": 2, "milestones_met": 1, "inspections": 1, "rectifications_ordered": 1},
        4: {"projects_approved": 1, "milestones_met": 1},
        5: {"projects_approved": 1, "milestones_met": 1, "inspections": 1, "rectifications_ordered": 1},
        6: {"projects_graded": 1},
    }


def test_a_committees_months_are_its_departments(api: Contract) -> None:
    found = ok(api.get("/statistics/monthly", params={"year": 2026}, headers=ZWB))
    assert found["department"] == "zwb"
    assert by_month(found) == {
        3: {"projects_approved": 1},
        5: {"projects_approved": 1, "inspections": 1, "rectifications_ordered": 1},
    }
    last_year = ok(api.get("/statistics/monthly", params={"year": 2025, "department": "fgw"}, headers=AUDITOR))
    assert by_month(last_year) == {}


def uncovered(found: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(b["department"], b["branch"], b["secretary_id"], b["projects_under_way"]) for b in found["items"]]


def test_coverage_lists_the_branches_without_an_approved_project(api: Contract) -> None:
    found = ok(api.get("/statistics/coverage", params={"year": 2026}, headers=ORGANISER))
    assert {k: found[k] for k in ("year", "total", "limit", "offset")} == {
        "year": 2026,
        "total": 2,
        "limit": 100,
        "offset": 0,
    }
    # fgw-b3's project is only submitted (its approved one is of 2025); zwb-b1's was withdrawn
    assert uncovered(found) == [("fgw", "fgw-b3", "s-fgw-b3", 1), ("zwb", "zwb-b1", "s-zwb-b1", 0)]
    first = found["items"][0]
    assert (first["department_name"], first["name"], first["secretary_name"]) == ("市发改委", "第3党支部", "王强")


def test_coverage_comes_a_page_at_a_time_with_the_total(api: Contract) -> None:
    pages = [
        ok(api.get("/statistics/coverage", params={"year": 2026, "limit": 1, "offset": n}, headers=AUDITOR))
        for n in range(3)
    ]
    assert [(p["total"], p["limit"], p["offset"], uncovered(p)) for p in pages] == [
        (2, 1, 0, [("fgw", "fgw-b3", "s-fgw-b3", 1)]),
        (2, 1, 1, [("zwb", "zwb-b1", "s-zwb-b1", 0)]),
        (2, 1, 2, []),
    ]
    every = ok(api.get("/statistics/coverage", params={"year": 2030}, headers=AUDITOR))
    assert every["total"] == 5


def test_a_committees_coverage_is_its_departments(api: Contract) -> None:
    found = ok(api.get("/statistics/coverage", params={"year": 2026}, headers=ZWB))
    assert (found["total"], uncovered(found)) == (1, [("zwb", "zwb-b1", "s-zwb-b1", 0)])


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/statistics", {"year": 1999}, "year"),
        ("/statistics", {"year": 2101}, "year"),
        ("/statistics", {}, "year"),
        ("/statistics", {"year": 2026, "direction": "sports"}, "direction"),
        ("/statistics/monthly", {"year": 1999}, "year"),
        ("/statistics/coverage", {"year": 2026, "limit": 0}, "limit"),
        ("/statistics/coverage", {"year": 2026, "limit": 501}, "limit"),
        ("/statistics/coverage", {"year": 2026, "offset": -1}, "offset"),
        ("/projects", {"limit": 0}, "limit"),
        ("/projects", {"limit": 1001}, "limit"),
        ("/projects", {"offset": -1}, "offset"),
    ],
)
def test_bad_query_parameters_are_refused_naming_the_parameter(
    api: Contract, path: str, params: dict[str, Any], field: str
) -> None:
    assert field in refused(api.get(path, params=params, headers=AUDITOR), 422)


def listed(response: httpx.Response) -> tuple[int, list[str]]:
    assert response.status_code == 200, response.text
    return int(response.headers["X-Total-Count"]), [p["id"] for p in response.json()]


@pytest.mark.parametrize(
    ("who", "params", "expected"),
    [
        pytest.param(AUDITOR, {}, (6, [P6, P1, P2, P3, P4, P5]), id="an auditor: all"),
        pytest.param(AUDITOR, {"limit": 2, "offset": 1}, (6, [P1, P2]), id="an auditor: a page"),
        pytest.param(AUDITOR, {"offset": 6}, (6, []), id="an auditor: past the end"),
        pytest.param(FGW, {}, (4, [P6, P1, P2, P3]), id="a committee: its department"),
        pytest.param(FGW, {"limit": 3, "offset": 3}, (4, [P3]), id="a committee: the last page"),
        pytest.param(FGW, {"year": 2026, "limit": 1}, (3, [P1]), id="a committee: a year, one at a time"),
        pytest.param(FGW, {"department": "zwb"}, (0, []), id="a committee asking for another department"),
        pytest.param(bearer(Role.SECRETARY, "fgw", "fgw-b3"), {}, (2, [P6, P3]), id="a secretary: their branch"),
        pytest.param(bearer(Role.SECRETARY, "fgw", "fgw-b1"), {"department": "zwb"}, (0, []), id="another department"),
        pytest.param(bearer(Role.SECRETARY, "fgw", "fgw-b1"), {"branch": "fgw-b2"}, (0, []), id="another branch"),
        pytest.param(bearer(Role.MEMBER, "zwb", "zwb-b2"), {}, (1, [P5]), id="a member: their branch"),
        pytest.param(bearer(Role.MEMBER, "zwb"), {}, (0, []), id="a member without a branch"),
    ],
)
def test_the_project_list_is_scoped_and_paged_in_the_query(
    api: Contract, who: dict[str, str], params: dict[str, Any], expected: tuple[int, list[str]]
) -> None:
    assert listed(api.get("/projects", params=params, headers=who)) == expected


async def _roster_replayed(dsn: str) -> tuple[list[tuple], list[tuple], list[tuple], int]:
    """The roster as fed, as the upgrade refills it from the audit trail, and as a second replay leaves it."""
    conn = await asyncpg.connect(dsn)
    read = "SELECT * FROM departments ORDER BY code", "SELECT * FROM branches ORDER BY department, branch"
    name = "2027-01 the roster (departments and branches) from the registry's events"
    try:
        fed = [tuple(r) for q in read for r in await conn.fetch(q)]
        await conn.execute("DELETE FROM departments; DELETE FROM branches")
        await conn.execute("DELETE FROM projection_upgrades WHERE name = $1", name)
        await upgrade(conn)
        refilled = [tuple(r) for q in read for r in await conn.fetch(q)]
        await conn.execute("DELETE FROM projection_upgrades WHERE name = $1", name)
        await upgrade(conn)
        again = [tuple(r) for q in read for r in await conn.fetch(q)]
        trail = await conn.fetchval("SELECT count(*) FROM audit_trail WHERE type LIKE 'filing.Department.%'")
        return fed, refilled, again, trail
    finally:
        await conn.close()


def test_the_roster_is_refilled_from_the_audit_trail_by_the_upgrade(new_database: Callable[[str], str]) -> None:
    dsn = new_database("projection")
    feed(dsn, roster())
    fed, refilled, again, trail = asyncio.run(_roster_replayed(dsn))
    assert len(fed) == 2 + 5
    assert fed[0] == ("fgw", "市发改委")
    assert fed[2][:5] == ("fgw", "fgw-b1", "第1党支部", "s-fgw-b1", "王强")
    assert refilled == fed
    assert again == fed
    assert trail == 7  # every registry event is in the audit trail too
