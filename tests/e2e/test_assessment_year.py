"""考核评价 end to end: a year of two departments, three branches each, played through the real
services on one shared manual programme clock (filing, tasking, inspection, acceptance), then scored
by the projection.

fgw holds the issue's three kinds of branch: fgw-b1 graded 优秀 with a provincial commendation (and a
brand, and an answered objection); fgw-b2 returned once, with red time and a late rectification,
graded 合格; fgw-b3 without a project. zwb has an on-time branch with a late milestone (which, in
the real services, turns it red), one returned and revised in time, and one without a project.

Every figure asserted is computed by hand from deploy/assessment/2026-v1.yaml in the comments
beside the steps that earn it (the same year as tests/integration/test_assessment_api.py, as far as
the real services allow: a late milestone is red time there, and a project is filed after its topic).
Publication 1 freezes: an event after it changes the live scores only; a second publication needs a
reason. Time moves by the shared manual clock, never by sleeping.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.auth import Role
from shared.devstack.stack import Stack
from tests.support import eventually, token

pytestmark = pytest.mark.e2e

WAIT = 90  # seconds for what crosses the broker: generous for a busy machine; never sleeps
YEAR = 2026
DEPARTMENTS = {"fgw": "市发改委", "zwb": "市政务办"}
ORGANISATION = {
    "departments": [
        {
            "code": dept,
            "name": name,
            "branches": [
                {
                    "code": f"{dept}-b{n}",
                    "name": f"{name}第{n}支部",
                    "secretary": {"id": f"s-{dept}-{n}", "name": f"书记{dept}{n}"},
                    "members": [{"id": f"m-{dept}-{n}", "name": f"党员{dept}{n}"}],
                }
                for n in (1, 2, 3)
            ],
        }
        for dept, name in DEPARTMENTS.items()
    ]
}
RUBRIC = ("target_achievement", "innovation", "main_work_effect", "member_participation", "public_response")

LINE_TYPES = {  # the event types each branch line may cite
    "project_approved": {"filing.Project.Approved"},
    "project_approved_late": {"filing.Project.Approved"},
    "milestone_on_time": {"filing.Project.Approved", "tasking.TaskBoard.MilestoneMet"},
    "milestone_late": {"filing.Project.Approved", "tasking.TaskBoard.MilestoneMet"},
    "inspection_rated": {"inspection.Supervision.InspectionRecorded"},
    "warning": {"inspection.Supervision.ColourChanged"},
    "rectification_on_time": {
        f"inspection.Supervision.Rectification{x}" for x in ("Ordered", "Answered", "Verified", "Rejected")
    },
    "rectification_overdue": {
        f"inspection.Supervision.Rectification{x}" for x in ("Ordered", "Answered", "Verified", "Rejected")
    },
    "acceptance_grade": {"acceptance.Acceptance.Concluded"},
    "objection_answered": {"acceptance.Acceptance.FeedbackReceived", "acceptance.Acceptance.ObjectionAnswered"},
    "commendation": {"acceptance.Acceptance.CommendationRecorded"},
    "brand": {"acceptance.Acceptance.BrandDesignated"},
    "not_filed": set(),
}


def auth(role: Role, department: str | None = None, branch: str | None = None, subject: str | None = None):
    return {
        "Authorization": f"Bearer {token(role, department, branch, subject)}",
        "Idempotency-Key": uuid.uuid4().hex,
    }


def admin() -> dict[str, str]:
    return auth(Role.ADMIN, subject="admin-1")


def auditor() -> dict[str, str]:
    return auth(Role.AUDITOR, subject="aud-1")


def inspector() -> dict[str, str]:
    return auth(Role.INSPECTOR, subject="insp-1")


def committee(dept: str) -> dict[str, str]:
    return auth(Role.COMMITTEE, dept, subject=f"c-{dept}")


def secretary(branch: str) -> dict[str, str]:
    dept, n = branch.split("-b")
    return auth(Role.SECRETARY, dept, branch, f"s-{dept}-{n}")


def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def test_a_year_of_two_departments_is_scored_ranked_explained_and_published(stack: Stack) -> None:
    # -- the system: the domain services on the one manual clock (Stack._env gives each its DSN) ------
    filing = stack.filing("main", "fgw,zwb", clock="manual")
    tasking = stack.tasking("main", "fgw,zwb", clock="manual")
    inspection = stack.inspection(clock="manual", scheduler_interval_seconds=0.2)
    acceptance = stack.acceptance(clock="manual", sealer_interval_seconds=0.2)
    # The projection takes live scores as of the programme's today, on the same clock.
    projection = stack.projection(clock="manual")
    processes = (*filing, *tasking, *inspection, *acceptance, projection)
    for process in processes:
        process.start(wait=False)
    for process in processes:
        process.wait_ready()
    f, t, i, a, p = (stack.url(x) for x in (filing[0], tasking[0], inspection[0], acceptance[0], projection))

    def clock(day: str, time: str = "09:00:00") -> None:
        now = ok(httpx.post(f"{i}/admin/clock", headers=admin(), json={"now": f"{YEAR}-{day}T{time}+08:00"}))["now"]
        assert now.startswith(f"{YEAR}-{day}T{time[:5]}"), now

    # -- 党委出题, 支部立项 (filing stamps each with the clock's time) -----------------------------------
    clock("02-10")
    ok(httpx.post(f"{f}/organisation", json=ORGANISATION, headers=admin()))

    def pose(dept: str, title: str) -> str:
        body = {"year": YEAR, "direction": "business_environment", "title": title}
        return ok(httpx.post(f"{f}/topics", headers=committee(dept), json=body))["id"]

    versions: dict[str, int] = {}
    pids: dict[str, str] = {}

    def draft(branch: str, topic: str, *dues: str) -> None:
        body = {
            "topic_id": topic,
            "title": f"{branch}的项目",
            "goal": "网上申报、线上审批、快递送达",
            "targets": ["办理时限压缩至1个工作日"],
            "milestones": [
                {"title": f"节点{n}", "due": f"{YEAR}-{due}", "deliverable": f"成果{n}"}
                for n, due in enumerate(dues, start=1)
            ],
            "responsible": {"id": f"m-{branch.replace('-b', '-')}", "name": "负责人"},
        }
        project = ok(httpx.post(f"{f}/projects", headers=secretary(branch), json=body))
        pids[branch], versions[branch] = project["id"], project["version"]

    def filing_step(branch: str, action: str) -> None:
        who = secretary(branch) if action == "submit" else committee(branch.split("-")[0])
        body: dict[str, Any] = {"expected_version": versions[branch]}
        if action == "return":
            body["reasons"] = ["目标不够具体"]
        project = ok(httpx.post(f"{f}/projects/{pids[branch]}/{action}", headers=who, json=body))
        versions[branch] = project["version"]

    fgw_topic = pose("fgw", "优化营商环境")  # posed 02-10, by 02-28: fgw topics_posed_on_time +3
    clock("02-20")
    draft("fgw-b1", fgw_topic, "04-30", "09-30")
    filing_step("fgw-b1", "submit")
    clock("02-25")
    filing_step("fgw-b1", "approve")  # by 03-31: project_approved +10; reviewed in 5 days ≤ 7: fgw +0.5
    clock("03-01")
    zwb_topic = pose("zwb", "船员注册不见面审批")  # after 02-28: zwb topics_posed_late −3
    clock("03-02")
    draft("zwb-b1", zwb_topic, "05-31", "08-31")
    filing_step("zwb-b1", "submit")
    draft("zwb-b2", zwb_topic, "12-31")
    filing_step("zwb-b2", "submit")
    clock("03-03")
    filing_step("zwb-b1", "approve")  # project_approved +10; reviewed in 1 day: zwb +0.5
    clock("03-04")
    filing_step("zwb-b2", "return")  # reviewed in 2 days: zwb +0.5
    clock("03-09")
    filing_step("zwb-b2", "submit")  # revised 5 days after the return ≤ 10: s-zwb-2 revision_on_time +1
    clock("03-10")
    draft("fgw-b2", fgw_topic, "06-30", "10-31")
    filing_step("fgw-b2", "submit")
    clock("03-12")
    filing_step("fgw-b2", "return")  # reviewed in 2 days: fgw +0.5
    filing_step("zwb-b2", "approve")  # project_approved +10; reviewed in 3 days: zwb +0.5
    clock("03-30")
    filing_step("fgw-b2", "submit")  # revised 18 days after the return > 10: s-fgw-2 revision_late −2
    # fgw-b3 and zwb-b3 file nothing: 未立项, 0.

    # -- 任务到人, 节点督查 -------------------------------------------------------------------------------
    def supervision(branch: str) -> dict[str, Any]:
        return ok(httpx.get(f"{i}/supervisions/{pids[branch]}", headers=inspector()))

    def scheduled(branch: str) -> None:
        eventually(lambda: supervision(branch)["checkpoints"], timeout=WAIT, what=f"{branch}'s supervision")
        eventually(
            lambda: httpx.get(f"{t}/projects/{pids[branch]}/board", headers=secretary(branch)).status_code == 200,
            timeout=WAIT,
            what=f"{branch}'s task board",
        )

    def colour(branch: str, wanted: str) -> None:
        eventually(lambda: supervision(branch)["colour"] == wanted, timeout=WAIT, what=f"{branch} {wanted}")

    def inspect(branch: str, milestone: str, rating: str, rectification: dict[str, Any] | None = None) -> dict:
        body: dict[str, Any] = {
            "expected_version": supervision(branch)["version"],
            "milestone_id": milestone,
            "rating": rating,
            "findings": "现场督查",
        }
        if rectification:
            body["rectification"] = rectification
        return ok(httpx.post(f"{i}/supervisions/{pids[branch]}/inspections", headers=inspector(), json=body))

    def meet(branch: str, milestone: str, on: str) -> None:
        """Declared met in tasking; inspection must have seen it before the clock moves past its date."""
        board = ok(httpx.get(f"{t}/projects/{pids[branch]}/board", headers=secretary(branch)))
        ok(
            httpx.post(
                f"{t}/projects/{pids[branch]}/milestones/{milestone}/met",
                headers=secretary(branch),
                json={
                    "expected_version": board["version"],
                    "deliverable": {"title": f"{milestone}成果"},
                    "met_on": f"{YEAR}-{on}",
                },
            )
        )
        eventually(
            lambda: next(c for c in supervision(branch)["checkpoints"] if c["milestone_id"] == milestone)["met_on"],
            timeout=WAIT,
            what=f"inspection to see {branch} {milestone} met",
        )

    for branch in ("fgw-b1", "zwb-b1", "zwb-b2"):
        scheduled(branch)
    clock("04-01")
    assert inspect("fgw-b1", "m1", "on_track")["colour"] == "green"  # inspection_rated on_track +1
    clock("04-10")
    filing_step("fgw-b2", "approve")  # after 03-31: project_approved_late +4; reviewed in 11 days > 7: fgw −1
    scheduled("fgw-b2")
    clock("04-28")
    meet("fgw-b1", "m1", "04-28")  # due 04-30: milestone_on_time +2 (a due-soon blue before it counts nothing)

    clock("06-01")  # zwb-b1's m1 (due 05-31) passes unmet: the scheduler turns it red
    colour("zwb-b1", "red")  # warning red −2
    order = inspect(
        "fgw-b2", "m1", "at_risk", {"items": ["补齐台账"], "deadline": f"{YEAR}-06-20"}
    )  # inspection_rated at_risk −2; an open rectification: yellow, warning −1
    assert order["colour"] == "yellow"
    order_id = order["recorded"]["order_id"]
    clock("06-05")
    meet("zwb-b1", "m1", "06-05")  # after 05-31: milestone_late −1
    colour("zwb-b1", "green")  # a fall counts nothing

    clock("06-21")  # fgw-b2's rectification (deadline 06-20) is not answered: red
    colour("fgw-b2", "red")  # warning red −2
    clock("06-25")  # m1 (due 06-30) is due soon: wait for that, or the answer below races its version
    eventually(
        lambda: supervision("fgw-b2")["checkpoints"][0]["due_soon_raised"], timeout=WAIT, what="fgw-b2 m1 due soon"
    )
    answered = ok(
        httpx.post(
            f"{i}/supervisions/{pids['fgw-b2']}/rectifications/{order_id}/answer",
            headers=secretary("fgw-b2"),
            json={"expected_version": supervision("fgw-b2")["version"], "answer": "已补齐"},
        )
    )  # answered after the deadline: s-fgw-2 rectification_answered_late −1
    clock("07-01")
    assert inspect("fgw-b1", "m2", "lagging")["colour"] == "yellow"  # inspection_rated lagging −1; warning −1
    # fgw-b2's m1 (due 06-30) is overdue now: red stays red (no new warning); wait for it to be raised,
    # else the verification below would let the colour fall to yellow and the overdue raise it again.
    eventually(
        lambda: supervision("fgw-b2")["checkpoints"][0]["overdue_raised"], timeout=WAIT, what="fgw-b2 m1 overdue"
    )
    clock("07-05")
    verified = ok(
        httpx.post(
            f"{i}/supervisions/{pids['fgw-b2']}/rectifications/{order_id}/verify",
            headers=inspector(),
            json={"expected_version": supervision("fgw-b2")["version"]},
        )
    )  # answered 06-25 and verified 07-05, after 06-20: rectification_overdue −2
    assert answered["version"] < verified["version"] and verified["colour"] == "red"
    clock("07-10")
    meet("fgw-b2", "m1", "07-10")  # after 06-30: milestone_late −1
    colour("fgw-b2", "green")
    clock("08-28")
    meet("zwb-b1", "m2", "08-28")  # due 08-31: milestone_on_time +2
    clock("09-20")
    meet("fgw-b1", "m2", "09-20")  # due 09-30: milestone_on_time +2
    colour("fgw-b1", "green")  # m2 met: the lagging rating no longer counts; a fall counts nothing
    clock("10-28")
    meet("fgw-b2", "m2", "10-28")  # due 10-31: milestone_on_time +2
    # zwb-b2's only milestone is due 12-31, after the year's last clock: not yet judged.

    # -- 公开验收 ------------------------------------------------------------------------------------
    def state(branch: str) -> dict[str, Any]:
        return ok(httpx.get(f"{a}/acceptances/{pids[branch]}", headers=secretary(branch)))

    def ready(branch: str) -> bool:
        s = state(branch)
        return (
            s["state"] == "approved"
            and all(m["met"] for m in s["milestones"])
            and not s["blockers"]
            and (branch != "fgw-b2" or bool(s["rectifications"]))
        )

    clock("11-02")  # a Monday
    for branch in ("fgw-b1", "fgw-b2"):
        eventually(lambda branch=branch: ready(branch), timeout=WAIT, what=f"{branch} ready for acceptance")
        current = state(branch)
        ok(
            httpx.post(
                f"{a}/acceptances/{pids[branch]}/apply",
                headers=secretary(branch),
                json={
                    "expected_version": current["version"],
                    "summary": "按计划完成全部节点",
                    "outcomes": [{"target": x, "result": f"完成:{x}"} for x in current["targets"]],
                    "evidence": [{"url": "https://example.org/report.pdf", "title": "总结报告"}],
                },
            )
        )

    def organise(branch: str, path: str, **body: Any) -> dict[str, Any]:
        body = {"expected_version": state(branch)["version"], **body}
        return ok(httpx.post(f"{a}/acceptances/{pids[branch]}/{path}", headers=admin(), json=body))

    experts = [
        {"id": "p-1", "name": "张教授", "department": "jggw"},
        {"id": "p-2", "name": "李处长", "department": "sw"},
        {"id": "p-3", "name": "王主任", "department": "jggw"},
    ]
    clock("11-02", "10:00:00")
    for branch, marks in (("fgw-b1", (95, 92, 94)), ("fgw-b2", (72, 65, 70))):
        assert organise(branch, "notice")["notice"]["closes_at"] == f"{YEAR}-11-10T00:00:00+08:00"
        organise(branch, "panel", members=experts)
        for expert, mark in zip(experts, marks, strict=True):
            ok(
                httpx.post(
                    f"{a}/acceptances/{pids[branch]}/scores",
                    headers=auth(Role.PANELIST, subject=expert["id"]),
                    json={"scores": dict.fromkeys(RUBRIC, mark), "comment": "评审意见"},
                )
            )
    objection = ok(
        httpx.post(f"{a}/notices/{pids['fgw-b1']}/feedback", json={"kind": "objection", "text": "服务范围能否扩大?"})
    )
    clock("11-10", "00:00:05")
    for branch in ("fgw-b1", "fgw-b2"):
        eventually(lambda branch=branch: state(branch)["state"] == "notice_closed", timeout=WAIT, what="sealed")
    ok(
        httpx.post(
            f"{a}/acceptances/{pids['fgw-b1']}/feedback/{objection['feedback_id']}/answer",
            headers=secretary("fgw-b1"),
            json={"expected_version": state("fgw-b1")["version"], "answer": "下一步扩大到全市"},
        )
    )  # objection_answered +0.5
    assert organise("fgw-b1", "conclude")["result"]["grade"] == "excellent"  # 93.67: acceptance_grade +20
    assert organise("fgw-b2", "conclude")["result"]["grade"] == "pass"  # 69: acceptance_grade +6
    commendation = {"issuer": "中共江苏省委组织部", "title": "全省机关党建优秀品牌", "awarded_on": f"{YEAR}-11-09"}
    organise("fgw-b1", "commendations", level="provincial", **commendation)  # commendation provincial +10
    organise("fgw-b1", "brand", name="发改先锋")  # brand +5

    # -- the scores, by hand ------------------------------------------------------------------------
    # fgw-b1: 10 + 2 + 2 (milestones) + 1 − 1 (inspections) − 1 (yellow) + 20 + 0.5 + 10 + 5 = 48.5, ★5
    # fgw-b2: 4 + 2 − 1 (milestones) − 2 (at risk) − 1 − 2 (yellow, red) − 2 (rectification) + 6 = 4, ★2
    # zwb-b1: 10 + 2 − 1 (milestones) − 2 (red) = 9, ★2;  zwb-b2: 10, ★3;  fgw-b3, zwb-b3: 0, 未立项, ★1
    branches = [  # (id, total, stars, city rank, department rank): ties share a place, listed by code
        ("fgw-b1", "48.50", 5, 1, 1),
        ("zwb-b2", "10.00", 3, 2, 1),
        ("zwb-b1", "9.00", 2, 3, 2),
        ("fgw-b2", "4.00", 2, 4, 2),
        ("fgw-b3", "0.00", 1, 5, 3),
        ("zwb-b3", "0.00", 1, 5, 3),
    ]
    # Secretaries: their branch's total, s-fgw-2 − 2 (late revision) − 1 (late answer) = 1,
    # s-zwb-2 + 1 (revision in 5 days) = 11.
    secretaries = [
        ("s-fgw-1", "48.50", 1, 1),
        ("s-zwb-2", "11.00", 2, 1),
        ("s-zwb-1", "9.00", 3, 2),
        ("s-fgw-2", "1.00", 4, 2),
        ("s-fgw-3", "0.00", 5, 3),
        ("s-zwb-3", "0.00", 5, 3),
    ]
    # fgw: mean (48.5 + 4 + 0) / 3 = 17.50; approved 2/3 × 10 = 6.67; accepted (优秀, 合格) 2/3 × 10 = 6.67;
    #      topics on time +3; reviews +0.5 (b1) +0.5 (b2 returned) −1 (b2 approved in 11 days) = 0 → 33.84
    # zwb: mean (9 + 10 + 0) / 3 = 6.33; approved 6.67; accepted 0; topics late −3; reviews 3 × 0.5 → 11.50
    departments = [("fgw", "33.84", 1, 1), ("zwb", "11.50", 2, 1)]

    def page(kind: str, path: str = "scores", who: dict[str, str] | None = None) -> dict[str, Any]:
        return ok(
            httpx.get(f"{p}/assessment/periods/{YEAR}/{path}", params={"subject_type": kind}, headers=who or auditor())
        )

    def ranked(kind: str, path: str = "scores") -> list[tuple[Any, ...]]:
        rows = page(kind, path)["items"]
        if kind == "branch":
            return [(r["subject_id"], r["total"], r["stars"], r["city_rank"], r["department_rank"]) for r in rows]
        return [(r["subject_id"], r["total"], r["city_rank"], r["department_rank"]) for r in rows]

    seen: dict[str, Any] = {}

    def settled(kind: str, wanted: list[tuple[Any, ...]], path: str = "scores") -> bool:
        seen[kind] = ranked(kind, path)
        return seen[kind] == wanted

    try:
        eventually(lambda: settled("branch", branches), timeout=WAIT, what="the branches' scores")
    except AssertionError as error:
        raise AssertionError(f"{error}; last ranked: {seen.get('branch')}") from None
    assert ranked("secretary") == secretaries
    assert ranked("department") == departments

    live = page("branch")
    assert (
        live["provisional"] is True and live["scheme_version"] == "2026-v1" and live["as_of"] == f"{YEAR}-11-10"
    )  # the programme's today
    flags = {r["subject_id"]: r["flags"] for r in live["items"]}
    assert flags == {b: (["未立项"] if b.endswith("b3") else []) for b in flags}
    points = {
        r["subject_id"]: {line["code"]: Decimal(line["points"]) for line in r["lines"] if Decimal(line["points"])}
        for r in live["items"]
    }
    assert points["fgw-b1"] == {
        "project_approved": 10,
        "milestone_on_time": 4,
        "warning": -1,
        "acceptance_grade": 20,
        "objection_answered": Decimal("0.5"),
        "commendation": 10,
        "brand": 5,
    }  # inspection_rated: on_track +1 and lagging −1 make 0
    assert points["fgw-b2"] == {
        "project_approved_late": 4,
        "milestone_on_time": 2,
        "milestone_late": -1,
        "inspection_rated": -2,
        "warning": -3,
        "rectification_overdue": -2,
        "acceptance_grade": 6,
    }
    assert points["zwb-b1"] == {"project_approved": 10, "milestone_on_time": 2, "milestone_late": -1, "warning": -2}
    assert points["zwb-b2"] == {"project_approved": 10} and points["fgw-b3"] == points["zwb-b3"] == {}

    # -- each line lists the right events ------------------------------------------------------------
    def explained(kind: str, subject: str) -> dict[str, dict[str, Any]]:
        row = ok(httpx.get(f"{p}/assessment/periods/{YEAR}/scores/{kind}/{subject}", headers=auditor()))
        return {line["code"]: line for line in row["lines"]}

    for branch, *_ in branches:
        for code, line in explained("branch", branch).items():
            events = line["events"]
            assert [e["id"] for e in events] == line["event_ids"], (branch, code)
            assert {e["type"] for e in events} <= LINE_TYPES[code], (branch, code, events)
            assert all(e["service"] == e["type"].split(".")[0] for e in events), (branch, code, events)
            assert all(e["project_id"] == pids[branch] for e in events), (branch, code, events)
            assert all(e["audit_trail"] == f"/projects/{pids[branch]}/audit-trail" for e in events)
            assert bool(events) == bool(line["count"]) or code == "not_filed", (branch, code, line)

    def trail(branch: str) -> list[dict[str, Any]]:
        return ok(httpx.get(f"{p}/projects/{pids[branch]}/audit-trail", headers=auditor()))

    def ids(branch: str, kind: str) -> list[str]:
        return [e["event_id"] for e in trail(branch) if e["type"] == kind]

    b1, b2, z1 = explained("branch", "fgw-b1"), explained("branch", "fgw-b2"), explained("branch", "zwb-b1")
    approval = b1["project_approved"]["events"]
    assert [(e["type"], e["service"], e["at"][:10]) for e in approval] == [
        ("filing.Project.Approved", "filing", f"{YEAR}-02-25")
    ]
    assert [e["id"] for e in approval] == ids("fgw-b1", "filing.Project.Approved")
    late = b2["project_approved_late"]["events"]
    assert [(e["type"], e["service"], e["at"][:10]) for e in late] == [
        ("filing.Project.Approved", "filing", f"{YEAR}-04-10")
    ]
    assert [e["id"] for e in late] == ids("fgw-b2", "filing.Project.Approved")
    warnings = b2["warning"]
    assert (
        warnings["count"] == 2
        and [e["type"] for e in warnings["events"]] == ["inspection.Supervision.ColourChanged"] * 2
    )
    assert {e["service"] for e in warnings["events"]} == {"inspection"}
    assert [e["at"][:10] for e in warnings["events"]] == [f"{YEAR}-06-01", f"{YEAR}-06-21"]  # yellow, then red
    assert set(warnings["event_ids"]) <= set(ids("fgw-b2", "inspection.Supervision.ColourChanged"))
    assert [(e["service"], e["at"][:10]) for e in z1["warning"]["events"]] == [("inspection", f"{YEAR}-06-01")]
    assert [(e["service"], e["at"][:10]) for e in b1["warning"]["events"]] == [("inspection", f"{YEAR}-07-01")]
    assert [e["type"].rsplit(".", 1)[1] for e in b2["rectification_overdue"]["events"]] == [
        "RectificationOrdered",
        "RectificationAnswered",
        "RectificationVerified",
    ]
    assert [e["type"] for e in b2["milestone_late"]["events"]] == [
        "filing.Project.Approved",
        "tasking.TaskBoard.MilestoneMet",
    ]
    assert [e["type"] for e in b1["commendation"]["events"]] == ["acceptance.Acceptance.CommendationRecorded"]
    assert [e["service"] for e in b1["acceptance_grade"]["events"]] == ["acceptance"]

    s2 = explained("secretary", "s-fgw-2")
    assert [e["type"] for e in s2["revision_late"]["events"]] == ["filing.Project.Returned", "filing.Project.Submitted"]
    assert s2["rectification_answered_late"]["count"] == 1
    fgw = explained("department", "fgw")
    assert [(e["type"], e["at"][:10]) for e in fgw["topics_posed_on_time"]["events"]] == [
        ("filing.Topic.Posed", f"{YEAR}-02-10")
    ]
    assert (fgw["review_on_time"]["count"], fgw["review_late"]["count"]) == (2, 1)
    assert [e["type"] for e in fgw["review_late"]["events"]] == ["filing.Project.Submitted", "filing.Project.Approved"]
    zwb = explained("department", "zwb")
    assert [(e["type"], e["at"][:10]) for e in zwb["topics_posed_late"]["events"]] == [
        ("filing.Topic.Posed", f"{YEAR}-03-01")
    ]

    # -- publication freezes; a correction needs a reason ---------------------------------------------
    def organiser() -> dict[str, str]:
        return auth(Role.ORGANISER, subject="org-1")  # a fresh Idempotency-Key: the same key is a replay

    published = httpx.post(f"{p}/assessment/periods/{YEAR}/publications", headers=organiser(), json={"reason": ""})
    assert published.status_code == 201, published.text
    assert published.json()["number"] == 1
    assert ranked("branch", "publications/1") == branches
    assert ranked("secretary", "publications/1") == secretaries
    assert ranked("department", "publications/1") == departments
    frozen = page("branch", "publications/1")
    assert frozen["provisional"] is False and frozen["publication"] == 1

    # After it: a municipal commendation for fgw-b2 (合格): +5 live, 4 + 5 = 9, tying zwb-b1 at the
    # third place (competition: both 3rd, listed by code); publication 1 is unchanged.
    organise(
        "fgw-b2",
        "commendations",
        level="municipal",
        issuer="中共南京市委",
        title="机关党建先进",
        awarded_on=f"{YEAR}-11-09",
    )
    after = [
        ("fgw-b1", "48.50", 5, 1, 1),
        ("zwb-b2", "10.00", 3, 2, 1),
        ("fgw-b2", "9.00", 2, 3, 2),
        ("zwb-b1", "9.00", 2, 3, 2),
        ("fgw-b3", "0.00", 1, 5, 3),
        ("zwb-b3", "0.00", 1, 5, 3),
    ]
    try:
        eventually(lambda: settled("branch", after), timeout=WAIT, what="the commendation in the live scores")
    except AssertionError as error:
        raise AssertionError(f"{error}; last ranked: {seen.get('branch')}") from None
    assert ranked("branch", "publications/1") == branches
    explained_frozen = ok(httpx.get(f"{p}/assessment/periods/{YEAR}/publications/1/branch/fgw-b2", headers=auditor()))
    assert explained_frozen["total"] == "4.00" and explained_frozen["publication"] == 1

    again = httpx.post(f"{p}/assessment/periods/{YEAR}/publications", headers=organiser(), json={"reason": ""})
    assert again.status_code == 409 and "reason" in again.json()["detail"], again.text
    assert [x["number"] for x in ok(httpx.get(f"{p}/assessment/periods/{YEAR}/publications", headers=auditor()))] == [1]
