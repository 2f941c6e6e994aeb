"""Every answer of a short flow through each service, held to that service's OpenAPI document: the
status and content type declared, the body valid against the declared schema. Each flow answers
every documented JSON operation with a success at least once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.acceptance.config import AcceptanceSettings
from services.acceptance.main import create_app as acceptance_app
from services.filing.config import FilingSettings
from services.filing.main import create_app as filing_app
from services.inspection.config import InspectionSettings
from services.inspection.main import create_app as inspection_app
from services.tasking.config import TaskingSettings
from services.tasking.main import create_app as tasking_app
from shared.auth import Role
from tests.acceptance_seed import CRITERIA, SYSTEM, TARGET, filed
from tests.contract import Contract
from tests.projection_history import excellent_project, feed, projection_api
from tests.support import ORGANISATION, TRUST, headers, project_body, token

pytestmark = pytest.mark.integration


def admin() -> dict[str, str]:
    return headers(Role.ADMIN)


def auditor() -> dict[str, str]:
    return headers(Role.AUDITOR)


def committee() -> dict[str, str]:
    return headers(Role.COMMITTEE, "fgw")


def secretary() -> dict[str, str]:
    return headers(Role.SECRETARY, "fgw", "fgw-b1")


def inspector() -> dict[str, str]:
    return headers(Role.INSPECTOR)


def member() -> dict[str, str]:
    return as_(Role.MEMBER, "m-001", "fgw", "fgw-b1")


PLAN = [
    {"id": "m1", "title": "调研", "due": "2026-03-31", "deliverable": "调研报告"},
    {"id": "m2", "title": "实施", "due": "2026-06-30", "deliverable": "服务台账"},
]
DELIVERED = {"title": "调研报告", "link": "https://example.org/m1"}


def as_(role: Role, subject: str, department: str | None = None, branch: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, department, branch, subject)}", "Idempotency-Key": uuid.uuid4().hex}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def every_operation_answered(c: Contract, *but: tuple[str, str]) -> None:
    """Every documented JSON operation was answered with a success (and checked)."""
    assert c.operations() - c.answered - set(but) == set()


def test_filing_answers_as_its_document_says(new_database: Callable[[str], str]) -> None:
    settings = FilingSettings(database_dsn=new_database("filing"), departments="fgw", token_keys=TRUST, clock="manual")
    with TestClient(filing_app(settings)) as client:
        f = Contract(client)
        ok(f.post("/admin/clock", json={"now": "2026-02-01T09:00:00+08:00"}, headers=admin()))
        ok(f.get("/clock")), ok(f.get("/health"))
        ok(f.post("/organisation", json={"departments": ORGANISATION["departments"][:1]}, headers=admin()))
        ok(f.get("/organisation", headers=admin()))
        topic = ok(
            f.post(
                "/topics", json={"year": 2026, "direction": "work_upgrade", "title": "优化审批"}, headers=committee()
            ),
            201,
        )
        topic = ok(
            f.post(
                f"/topics/{topic['id']}/revise",
                json={"expected_version": 1, "title": "优化审批服务"},
                headers=committee(),
            )
        )
        ok(f.get("/topics", headers=committee())), ok(f.get(f"/topics/{topic['id']}", headers=committee()))
        p = ok(f.post("/projects", json=project_body(topic["id"]), headers=secretary()), 201)
        p = ok(
            f.post(
                f"/projects/{p['id']}/revise",
                json={"expected_version": p["version"], "goal": "全程网办"},
                headers=secretary(),
            )
        )
        p = ok(f.post(f"/projects/{p['id']}/submit", json={"expected_version": p["version"]}, headers=secretary()))
        returned = {"expected_version": p["version"], "reasons": ["目标需量化"]}
        p = ok(f.post(f"/projects/{p['id']}/return", json=returned, headers=committee()))
        assert p["return_reasons"] == ["目标需量化"]
        p = ok(f.post(f"/projects/{p['id']}/submit", json={"expected_version": p["version"]}, headers=secretary()))
        p = ok(f.post(f"/projects/{p['id']}/approve", json={"expected_version": p["version"]}, headers=committee()))
        change = {"expected_version": p["version"], "milestones": p["milestones"][:2], "reason": "合并节点"}
        p = ok(f.post(f"/projects/{p['id']}/milestone-change", json=change, headers=secretary()))
        assert p["proposed_milestones"] == change["milestones"]
        ok(f.get("/projects", headers=committee())), ok(f.get(f"/projects/{p['id']}", headers=secretary()))
        other = ok(f.post("/projects", json=project_body(topic["id"], "另一个项目"), headers=secretary()), 201)
        ok(
            f.post(
                f"/projects/{other['id']}/withdraw", json={"expected_version": 1, "reason": "合并"}, headers=secretary()
            )
        )
        ok(
            f.post(
                f"/topics/{topic['id']}/withdraw", json={"expected_version": 2, "reason": "调整"}, headers=committee()
            )
        )
        ok(f.get("/events", headers=auditor()))
        assert ok(f.get("/audit/stored", headers=auditor()))["events"]
    every_operation_answered(f)


def test_tasking_answers_as_its_document_says(new_database: Callable[[str], str]) -> None:
    settings = TaskingSettings(
        database_dsn=new_database("tasking"), departments="fgw", token_keys=TRUST, clock="manual"
    )
    with TestClient(tasking_app(settings)) as client:
        t = Contract(client)
        app = client.app.state.tasking  # type: ignore[attr-defined]
        for member_id, name in [("s-fgw-1", "王强"), ("m-001", "李扬"), ("m-002", "刘莉")]:
            app.enrol_member("fgw", "fgw-b1", member_id, name, SYSTEM, f"evt-enrol-{member_id}")
        pid = str(uuid.uuid4())
        app.open_board("fgw", "fgw-b1", pid, "环保管家", "fgw-2026-1", PLAN, SYSTEM, f"evt-{pid}")
        ok(t.post("/admin/clock", json={"now": "2026-04-01T09:00:00+08:00"}, headers=admin()))
        ok(t.get("/clock")), ok(t.get("/health"))
        task = {"title": "走访企业", "due": "2026-03-15", "milestone_id": "m1", "assignee": "m-002"}
        task = ok(t.post(f"/projects/{pid}/tasks", json=task, headers=secretary()), 201)
        task = ok(
            t.post(
                f"/tasks/{task['id']}/assign", json={"expected_version": 1, "assignee": "m-001"}, headers=secretary()
            )
        )
        upload = {**member(), "X-Filename": "visits.txt", "Content-Type": "text/plain"}
        file = ok(t.put("/evidence", content="走访记录".encode(), headers=upload), 201)
        assert t.get(f"/evidence/{file['sha256']}", headers=member()).content == "走访记录".encode()
        link = {"kind": "link", "url": "https://example.org/visits", "title": "走访台账"}
        report = {"expected_version": task["version"], "percent": 50, "note": "过半", "evidence": [file, link]}
        task = ok(t.post(f"/tasks/{task['id']}/progress", json=report, headers=member()))
        task = ok(t.post(f"/tasks/{task['id']}/complete", json={"expected_version": task["version"]}, headers=member()))
        reopen = {"expected_version": task["version"], "reason": "缺照片"}
        task = ok(t.post(f"/tasks/{task['id']}/reopen", json=reopen, headers=secretary()))
        task = ok(t.post(f"/tasks/{task['id']}/complete", json={"expected_version": task["version"]}, headers=member()))
        spare = {"title": "备用", "due": "2026-03-20", "milestone_id": "m1", "assignee": "m-002"}
        spare = ok(t.post(f"/projects/{pid}/tasks", json=spare, headers=secretary()), 201)
        ok(
            t.post(
                f"/tasks/{spare['id']}/cancel", json={"expected_version": 1, "reason": "不需要"}, headers=secretary()
            )
        )
        board = ok(t.get(f"/projects/{pid}/board", headers=secretary()))
        met = {"expected_version": board["version"], "deliverable": DELIVERED, "met_on": "2026-03-30"}
        board = ok(t.post(f"/projects/{pid}/milestones/m1/met", json=met, headers=secretary()))
        assert board["milestones"][0]["met"] == {"deliverable": DELIVERED, "met_on": "2026-03-30"}
        ok(t.get(f"/tasks/{task['id']}", headers=member())), ok(t.get("/members/m-001/tasks", headers=member()))
        ok(t.get("/events", headers=auditor()))
        ok(t.get("/audit/stored", headers=auditor()))
    every_operation_answered(t)


def test_inspection_answers_as_its_document_says(new_database: Callable[[str], str]) -> None:
    settings = InspectionSettings(database_dsn=new_database("inspection"), token_keys=TRUST, clock="manual")
    with TestClient(inspection_app(settings)) as client:
        i = Contract(client)
        ok(i.post("/admin/clock", json={"now": "2026-03-25T09:00:00+08:00"}, headers=admin()))
        ok(i.get("/clock")), ok(i.get("/health"))
        app = client.app.state.inspection  # type: ignore[attr-defined]
        pid = str(uuid.uuid4())
        app.schedule("fgw", "fgw-b1", pid, "fgw-2026-1", "环保管家", PLAN, SYSTEM, f"evt-approved-{pid}")
        app.progress_reported(pid, "m1", str(uuid.uuid4()), 60, "过半", SYSTEM, f"evt-progress-{pid}")
        assert [c["milestone_id"] for c in ok(i.get("/checkpoints", headers=auditor()))] == ["m1"]
        inspection = {
            "expected_version": ok(i.get(f"/supervisions/{pid}", headers=auditor()))["version"],
            "milestone_id": "m1",
            "rating": "lagging",
            "findings": "走访覆盖面不足",
            "rectification": {"items": ["补充走访8家企业"], "deadline": "2026-04-30"},
        }
        s = ok(i.post(f"/supervisions/{pid}/inspections", json=inspection, headers=inspector()), 201)
        assert s["recorded"] == {"inspection_id": "i1", "order_id": "r1"}
        orders = f"/supervisions/{pid}/rectifications/r1"
        s = ok(
            i.post(f"{orders}/answer", json={"expected_version": s["version"], "answer": "已补充"}, headers=secretary())
        )
        s = ok(
            i.post(f"{orders}/reject", json={"expected_version": s["version"], "reason": "缺台账"}, headers=inspector())
        )
        s = ok(
            i.post(
                f"{orders}/answer", json={"expected_version": s["version"], "answer": "已补台账"}, headers=secretary()
            )
        )
        s = ok(i.post(f"{orders}/verify", json={"expected_version": s["version"]}, headers=inspector()))
        app.milestone_met(pid, "m1", "2026-03-30", DELIVERED, SYSTEM, f"evt-met-{pid}")
        ok(i.post("/admin/clock", json={"now": "2026-07-05T09:00:00+08:00"}, headers=admin()))
        assert [c["milestone_id"] for c in ok(i.get("/checkpoints/overdue", headers=auditor()))] == ["m2"]
        s = ok(i.get(f"/supervisions/{pid}", headers=auditor()))
        assert s["checkpoints"][0]["met_deliverable"] == DELIVERED
        assert [o["state"] for o in ok(i.get("/rectifications", headers=auditor()))] == ["verified"]
        ok(i.get("/supervisions", headers=auditor())), ok(i.get("/events", headers=auditor()))
        ok(i.get("/audit/stored", headers=auditor()))
    every_operation_answered(i)


def test_acceptance_answers_as_its_document_says(new_database: Callable[[str], str]) -> None:
    settings = AcceptanceSettings(
        database_dsn=new_database("acceptance"), token_keys=TRUST, clock="manual", organisers="org-2"
    )
    with TestClient(acceptance_app(settings)) as client:
        a = Contract(client)
        ok(a.post("/admin/clock", json={"now": "2026-10-30T09:00:00+08:00"}, headers=admin()))
        ok(a.get("/clock")), ok(a.get("/health"))
        app = client.app.state.acceptance  # type: ignore[attr-defined]
        app.register_department("fgw", "市发改委", SYSTEM, "evt-dept-fgw")
        app.enrol_branch("fgw", "fgw-b1", "第一党支部", "s-fgw-1", "王强", SYSTEM, "evt-branch-fgw-b1")
        pid = filed(app)
        app.approve_project(pid, "fgw-2026-1", "", PLAN[:1], SYSTEM, f"evt-approve-{pid}")
        app.milestone_met(pid, "m1", "2026-03-30", DELIVERED, SYSTEM, f"evt-met-{pid}")
        here = f"/acceptances/{pid}"

        def version() -> int:
            return int(ok(a.get(here, headers=admin()))["version"])

        application = {
            "expected_version": version(),
            "summary": "上门服务企业120家",
            "outcomes": [{"target": TARGET, "result": "已压缩至1个工作日"}],
            "evidence": [{"url": "https://example.org/report.pdf", "title": "总结报告"}],
        }
        ok(a.post(f"{here}/apply", json=application, headers=secretary()))
        ok(a.post(f"{here}/notice", json={"expected_version": version()}, headers=admin()))
        ok(a.post(f"/notices/{pid}/feedback", json={"kind": "support", "text": "点赞"}), 201)
        ok(a.post(f"/notices/{pid}/feedback", json={"kind": "objection", "text": "覆盖面不够", "name": "赵"}), 201)
        ok(a.get("/notices")), ok(a.get(f"/notices/{pid}"))
        answer = {"expected_version": version(), "answer": "下半年覆盖乡镇"}
        ok(a.post(f"{here}/feedback/f2/answer", json=answer, headers=secretary()))
        panel = [{"id": f"p-{n}", "name": f"专家{n}", "department": "jggw", "branch": ""} for n in (1, 2, 3)]
        ok(a.post(f"{here}/panel", json={"expected_version": version(), "members": panel}, headers=admin()))
        for n in (1, 2, 3):
            sheet = {"scores": dict.fromkeys(CRITERIA, 95), "comment": "好"}
            ok(a.post(f"{here}/scores", json=sheet, headers=as_(Role.PANELIST, f"p-{n}")))
        ok(a.post("/admin/clock", json={"now": "2026-11-20T09:00:00+08:00"}, headers=admin()))
        ok(a.post(f"{here}/notice/close", headers=admin()))
        graded = ok(a.post(f"{here}/conclude", json={"expected_version": version()}, headers=admin()))
        assert graded["grade"] == "excellent"
        of_the_branch = ok(a.get(here, headers=as_(Role.PANELIST, "org-2", "fgw", "fgw-b1")))
        assert "weighted" not in of_the_branch["result"]["panel"][0] and of_the_branch["scores_withheld"]
        ok(a.post(f"{here}/casebook", json={"expected_version": version()}, headers=admin()))
        ok(a.post(f"{here}/brand", json={"expected_version": version(), "name": "环保管家"}, headers=admin()))
        honour = {"level": "provincial", "issuer": "省委组织部", "title": "优秀品牌", "awarded_on": "2026-11-19"}
        ok(a.post(f"{here}/commendations", json={"expected_version": version(), **honour}, headers=admin()), 201)
        ok(a.get("/accepted")), ok(a.get("/commendations")), ok(a.get("/rubrics")), ok(a.get("/rubrics/2026-v1"))
        assert ok(a.get("/casebook/2026"))["count"] == 1
        assert a.get("/casebook/2026.html").status_code == a.get("/casebook/2026.pdf").status_code == 200
        ok(a.get("/acceptances", headers=admin())), ok(a.get("/events", headers=auditor()))
        ok(a.get("/audit/stored", headers=auditor()))
    every_operation_answered(a)


def test_projection_answers_as_its_document_says(new_database: Callable[[str], str], kafka_bootstrap: str) -> None:
    dsn = new_database("projection")
    history = excellent_project()
    with projection_api(dsn, kafka_bootstrap) as client:
        p = Contract(client)
        feed(dsn, history.all())
        pid = history.project_id
        detail = ok(p.get(f"/projects/{pid}", headers=auditor()))
        assert (detail["grade"], detail["in_casebook"]) == ("excellent", True)
        ok(p.get("/projects", headers=auditor())), ok(p.get(f"/projects/{pid}/audit-trail", headers=auditor()))
        ok(p.get("/departments/fgw/audit-trail", headers=secretary()))
        record = ok(p.get(f"/public/projects/{pid}"))
        assert {e["event"] for e in record["events"]} >= {
            "approved",
            "milestone_met",
            "inspected",
            "graded",
            "commended",
        }
        assert p.get(f"/public/projects/{pid}.html").status_code == 200
        assert ok(p.get("/clock"))["clock"] == "system"  # no shared clock database given: the system's
        ok(p.get("/health"))
        for path in ("/statistics", "/statistics/monthly", "/statistics/coverage"):
            ok(p.get(path, params={"year": 2026}, headers=auditor()))
        assessment_answers(p)
        assert ok(p.get("/audit/events", params={"limit": 2}, headers=auditor()))["more"] is True
        ok(p.get("/audit/checkpoints", headers=auditor())), ok(p.get("/audit/stored", headers=auditor()))
    every_operation_answered(p, ("post", "/admin/clock"))  # the system clock cannot be moved: a 409


def assessment_answers(p: Contract) -> None:
    """考核评价: every operation once, in an order that lets the next succeed."""

    def org_a() -> dict[str, str]:
        return as_(Role.ORGANISER, "org-a")

    def org_b() -> dict[str, str]:
        return as_(Role.ORGANISER, "org-b")

    ok(p.get("/assessment/schemes", headers=auditor()))
    ok(p.get("/assessment/schemes/2026-v1", headers=auditor()))
    assert [x["period"] for x in ok(p.get("/assessment/periods", headers=auditor()))] == [2026]
    ok(p.get("/assessment/periods/2026/scores", headers=auditor()))
    ok(p.get("/assessment/periods/2026/scores/branch/fgw-b1", headers=auditor()))
    body = {"subject_type": "branch", "subject_id": "fgw-b1", "points": 1, "reason": "专项工作表现突出"}
    first = ok(p.post("/assessment/periods/2026/adjustments", json=body, headers=org_a()), 201)
    ok(p.post(f"/assessment/periods/2026/adjustments/{first['adjustment_id']}/approve", json={}, headers=org_b()))
    second = ok(p.post("/assessment/periods/2026/adjustments", json=body, headers=org_a()), 201)
    ok(
        p.post(
            f"/assessment/periods/2026/adjustments/{second['adjustment_id']}/reject",
            json={"reason": "重复"},
            headers=org_b(),
        )
    )
    ok(p.get("/assessment/periods/2026/adjustments", headers=auditor()))
    ok(p.post("/assessment/periods/2026/publications", json={}, headers=org_a()), 201)
    ok(p.get("/assessment/periods/2026/publications", headers=auditor()))
    ok(p.get("/assessment/periods/2026/publications/1", headers=auditor()))
    ok(p.get("/assessment/periods/2026/publications/1/branch/fgw-b1", headers=auditor()))
    ok(p.get("/assessment/periods/2026/what-if", params={"scheme": "2026-v2"}, headers=auditor()))
    for extension in ("csv", "xlsx"):
        assert p.get(f"/assessment/periods/2026/export.{extension}", headers=auditor()).status_code == 200
