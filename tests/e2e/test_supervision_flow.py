"""任务到人 and 节点督查 end to end: three milestones — one met on time, one inspected as lagging with a
rectification answered and verified, one passing its date unmet (red) and then made up."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.auth import Role
from shared.devstack.stack import Stack
from tests.support import ORGANISATION, eventually, headers, project_body, token

pytestmark = pytest.mark.e2e


def as_member(member_id: str) -> dict[str, str]:
    out = headers(Role.MEMBER, "fgw", "fgw-b1")
    out["Authorization"] = f"Bearer {token(Role.MEMBER, 'fgw', 'fgw-b1', subject=member_id)}"
    return out


def secretary() -> dict[str, str]:
    return headers(Role.SECRETARY, "fgw", "fgw-b1")


def inspector() -> dict[str, str]:
    return headers(Role.INSPECTOR)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_a_project_is_tasked_supervised_goes_red_when_a_milestone_passes_unmet_and_steps_down(stack: Stack) -> None:
    filing = stack.filing("fgw", "fgw")
    tasking = stack.tasking("fgw", "fgw")
    inspection = stack.inspection(clock="manual", due_soon_days=7, scheduler_interval_seconds=0.2)
    projection = stack.projection()
    for process in (*filing, *tasking, *inspection, projection):
        process.start()
    f, t, i, p = (stack.url(x) for x in (filing[0], tasking[0], inspection[0], projection))
    admin = headers(Role.ADMIN)

    def clock(now: str) -> None:
        ok(httpx.post(f"{i}/admin/clock", headers=admin, json={"now": now}))

    clock("2026-01-10T09:00:00+08:00")
    ok(httpx.post(f"{f}/organisation", json={"departments": [ORGANISATION["departments"][0]]}, headers=admin))
    topic = ok(
        httpx.post(
            f"{f}/topics",
            headers=headers(Role.COMMITTEE, "fgw"),
            json={"year": 2026, "direction": "high_quality_development", "title": "环保管家"},
        )
    )
    pid = ok(httpx.post(f"{f}/projects", headers=secretary(), json=project_body(topic["id"])))["id"]
    ok(httpx.post(f"{f}/projects/{pid}/submit", headers=secretary(), json={"expected_version": 1}))
    ok(httpx.post(f"{f}/projects/{pid}/approve", headers=headers(Role.COMMITTEE, "fgw"), json={"expected_version": 2}))

    eventually(
        lambda: httpx.get(f"{t}/projects/{pid}/board", headers=secretary()).status_code == 200, what="the task board"
    )
    supervision = eventually(
        lambda: httpx.get(f"{i}/supervisions/{pid}", headers=inspector()).json().get("checkpoints"),
        what="the checkpoints scheduled from the approval",
    )
    assert [c["milestone_id"] for c in supervision] == ["m1", "m2", "m3"]

    def task(milestone: str, member: str, title: str) -> dict[str, Any]:
        return ok(
            httpx.post(
                f"{t}/projects/{pid}/tasks",
                headers=secretary(),
                json={"title": title, "due": "2026-03-01", "milestone_id": milestone, "assignee": member},
            )
        )

    t1, t2, t3 = task("m1", "m-001", "调研走访"), task("m2", "m-002", "建立台账"), task("m3", "m-001", "总结推广")

    # Refused, and nothing recorded: a member completing someone else's task, another branch's
    # secretary assigning, anyone but an inspector recording an inspection.
    other = httpx.post(f"{t}/tasks/{t1['id']}/complete", headers=as_member("m-002"), json={"expected_version": 1})
    assert other.status_code == 403 and "assigned to m-001" in other.json()["detail"]
    foreign = httpx.post(
        f"{t}/tasks/{t1['id']}/assign",
        headers=headers(Role.SECRETARY, "fgw", "fgw-b9"),
        json={"expected_version": 1, "assignee": "m-002"},
    )
    assert foreign.status_code == 403 and "branch" in foreign.json()["detail"]
    not_inspector = httpx.post(
        f"{i}/supervisions/{pid}/inspections",
        headers=secretary(),
        json={"expected_version": 1, "milestone_id": "m2", "rating": "lagging", "findings": "自查"},
    )
    assert not_inspector.status_code == 403 and "inspector" in not_inspector.json()["detail"]
    assert httpx.get(f"{t}/tasks/{t1['id']}", headers=secretary()).json()["version"] == 1

    def board_version() -> int:
        return int(httpx.get(f"{t}/projects/{pid}/board", headers=secretary()).json()["version"])

    def met(milestone: str, on: str) -> None:
        ok(
            httpx.post(
                f"{t}/projects/{pid}/milestones/{milestone}/met",
                headers=secretary(),
                json={"expected_version": board_version(), "deliverable": {"title": f"{milestone}成果"}, "met_on": on},
            )
        )

    def colour() -> str:
        return str(httpx.get(f"{i}/supervisions/{pid}", headers=inspector()).json()["colour"])

    # m1: done and met on time.
    clock("2026-03-20T10:00:00+08:00")
    ok(httpx.post(f"{t}/tasks/{t1['id']}/complete", headers=as_member("m-001"), json={"expected_version": 1}))
    met("m1", "2026-03-20")
    # Inspection learns of it through tasking's events: wait for that before time moves on, as an
    # inspector would (moving the clock first would rightly make m1 overdue).
    eventually(
        lambda: httpx.get(f"{i}/supervisions/{pid}", headers=inspector()).json()["checkpoints"][0]["met_on"],
        what="inspection to see m1 met",
    )

    # m2: inspected as lagging with a rectification order: yellow; answered, verified; met: green.
    clock("2026-05-01T10:00:00+08:00")
    version = httpx.get(f"{i}/supervisions/{pid}", headers=inspector()).json()["version"]
    recorded = ok(
        httpx.post(
            f"{i}/supervisions/{pid}/inspections",
            headers=inspector(),
            json={
                "expected_version": version,
                "milestone_id": "m2",
                "rating": "lagging",
                "findings": "台账不全",
                "rectification": {"items": ["补齐台账"], "deadline": "2026-05-31"},
            },
        )
    )
    order = recorded["recorded"]["order_id"]
    assert recorded["colour"] == "yellow"
    # kill -9 the inspection consumer mid-run: nothing lost, nothing doubled
    inspection[2].kill9()
    inspection[2].start(wait=False)
    answered = ok(
        httpx.post(
            f"{i}/supervisions/{pid}/rectifications/{order}/answer",
            headers=secretary(),
            json={"expected_version": recorded["version"], "answer": "已补齐"},
        )
    )
    ok(
        httpx.post(
            f"{i}/supervisions/{pid}/rectifications/{order}/verify",
            headers=inspector(),
            json={"expected_version": answered["version"]},
        )
    )
    ok(httpx.post(f"{t}/tasks/{t2['id']}/complete", headers=as_member("m-002"), json={"expected_version": 1}))
    clock("2026-06-20T10:00:00+08:00")
    met("m2", "2026-06-20")
    eventually(lambda: colour() == "green", what="green once m2 is met and the rectification verified")

    # m3 passes its date unmet: red, raised once; made up late: back down to green.
    tasking[2].kill9()
    tasking[2].start(wait=False)
    inspection[2].kill9()  # the scheduler is down while m3's date passes ...
    clock("2026-10-02T10:00:00+08:00")
    for process in inspection[:2]:
        process.kill9()  # ... and so is the rest of inspection; after the restart nothing is missed
    for process in inspection:
        process.start()
    eventually(lambda: colour() == "red", what="red after m3's due date passed")
    ok(httpx.post(f"{t}/tasks/{t3['id']}/complete", headers=as_member("m-001"), json={"expected_version": 1}))
    met("m3", "2026-10-05")
    eventually(lambda: colour() == "green", what="green once m3 is made up")

    # The projection shows it all, in order.
    seen: list[list[str]] = []

    def overview() -> dict[str, Any]:
        view = httpx.get(f"{p}/projects/{pid}", headers=headers(Role.AUDITOR)).json()
        seen.append([h["colour"] for h in view.get("colour_history", [])])
        return view if seen[-1][-4:] == ["yellow", "green", "red", "green"] else {}

    try:
        view = eventually(overview, timeout=60, what="the colour history in the projection")
    except AssertionError as error:
        import asyncio

        import asyncpg

        async def debug() -> object:
            conn = await asyncpg.connect(projection.env["VANGUARD_DATABASE_DSN"])
            return (
                await conn.fetch("SELECT dependency, envelope->>'type' FROM inbox_waiting"),
                await conn.fetch("SELECT error FROM inbox_dead_letters"),
                await conn.fetch("SELECT type, count(*) FROM audit_trail GROUP BY type"),
            )

        raise AssertionError(f"{error}; colours seen: {seen[-1:]}; {asyncio.run(debug())}") from None
    assert [(m["milestone_id"], m["met_on"]) for m in view["milestone_progress"]] == [
        ("m1", "2026-03-20"),
        ("m2", "2026-06-20"),
        ("m3", "2026-10-05"),
    ]
    assert all(m["done"] == m["tasks"] == 1 for m in view["milestone_progress"])
    assert [(r["order_id"], r["state"]) for r in view["rectifications"]] == [(order, "verified")]
    assert [x["rating"] for x in view["inspections"]] == ["lagging"]
    trail = httpx.get(f"{p}/projects/{pid}/audit-trail", headers=headers(Role.AUDITOR)).json()
    types = [row["type"] for row in trail]
    assert types[0] == "filing.Project.Drafted"
    overdue_in_trail = [
        row["payload"]["milestone_id"] for row in trail if row["type"] == "inspection.Supervision.MilestoneOverdue"
    ]
    assert overdue_in_trail == ["m3"]
    assert types.index("inspection.Supervision.RectificationOrdered") < types.index(
        "inspection.Supervision.RectificationVerified"
    )

    # The inspection store holds exactly one overdue event for m3, even across the crashes.
    feed = httpx.get(f"{i}/events", headers=headers(Role.AUDITOR), params={"limit": 1000}).json()["events"]
    overdue = [e for e in feed if e["type"] == "inspection.Supervision.MilestoneOverdue"]
    assert [e["payload"]["milestone_id"] for e in overdue] == ["m3"]
