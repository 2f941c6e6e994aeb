"""公开验收 end to end, all five steps for two projects of two departments: one graded 优秀, commended,
branded and put in the casebook; one graded 合格 after the branch answered an objection. Every rule
on the way is refused with a clear error. Time moves by the manual clock, never by sleeping."""

from __future__ import annotations

import io
import warnings
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from shared.auth import Role
from shared.contracts import topic_name
from shared.devstack.stack import Stack
from tests.support import ORGANISATION, eventually, headers, milestones, project_body, token

pytestmark = pytest.mark.e2e

ORGANISER = "org-1"
WAIT = 120  # seconds for what crosses the broker: generous, since a busy machine is slow, never sleeps
SCRIPT = "<script>alert(1)</script>"


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


def refused(response: httpx.Response, status: int, *phrases: str) -> str:
    assert response.status_code == status, response.text
    detail = str(response.json()["detail"])
    for phrase in phrases:
        assert phrase in detail, detail
    return detail


def as_subject(role: Role, subject: str, department: str | None = None, branch: str | None = None) -> dict[str, str]:
    return {**headers(role, department, branch), "Authorization": f"Bearer {token(role, department, branch, subject)}"}


def citizen(address: str) -> dict[str, str]:
    """The public: no account; the API sees the client address a trusted proxy reports."""
    return {"X-Forwarded-For": address}


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    with warnings.catch_warnings():  # kafka-python loads its protocol through deprecated importlib calls
        warnings.simplefilter("ignore", DeprecationWarning)
        from shared.messaging import kafka
    kafka.ensure_topic(bootstrap, topic, partitions)


def test_two_projects_are_accepted_in_public_one_excellent_and_one_passed_after_an_objection(stack: Stack) -> None:
    filing_fgw, filing_zwb = stack.filing("fgw", "fgw"), stack.filing("zwb", "zwb")
    tasking = stack.tasking("main", "fgw,zwb")
    # Inspection on a manual clock of its own, standing before any milestone falls due, while
    # acceptance's moves through the notice periods: no overdue warnings race the test.
    inspection = stack.inspection(clock="manual", clock_dsn="")
    projection = stack.projection()
    p = stack.url(projection)
    # Two API workers: the feedback rate limit is counted in PostgreSQL, so both agree.
    acceptance = stack._domain_service(
        "acceptance",
        "main",
        "",
        None,
        2,
        None,
        clock="manual",
        organisers=ORGANISER,
        projection_url=p,
        sealer_interval_seconds=0.2,
        trusted_proxies="127.0.0.1",  # the test stands in for the proxy: citizen() says who is asking
    )
    # Every topic exists before anyone subscribes: a topic appearing later sends pattern consumers
    # into a rebalance that the embedded broker sometimes never completes (the projection's, here).
    for service, instance in (
        ("filing", "fgw"),
        ("filing", "zwb"),
        ("tasking", "main"),
        ("inspection", "main"),
        ("acceptance", "main"),
    ):
        ensure_topic(stack.kafka_bootstrap, topic_name(stack.topic_prefix, service, instance), 3)
    for process in (*filing_fgw, *filing_zwb, *tasking, *inspection, *acceptance, projection):
        process.start()
    f = {"fgw": stack.url(filing_fgw[0]), "zwb": stack.url(filing_zwb[0])}
    t, i, a = stack.url(tasking[0]), stack.url(inspection[0]), stack.url(acceptance[0])
    admin = lambda: headers(Role.ADMIN)  # noqa: E731
    organiser = lambda: as_subject(Role.PANELIST, ORGANISER)  # noqa: E731
    secretary = {
        "fgw": lambda: headers(Role.SECRETARY, "fgw", "fgw-b1"),
        "zwb": lambda: headers(Role.SECRETARY, "zwb", "zwb-b5"),
    }
    branch, member = {"fgw": "fgw-b1", "zwb": "zwb-b5"}, {"fgw": "m-001", "zwb": "m-101"}

    def clock(now: str) -> None:
        assert ok(httpx.post(f"{a}/admin/clock", headers=admin(), json={"now": now}))["now"].startswith(now[:16])

    clock("2026-11-02T09:00:00+08:00")  # a Monday
    # Inspection's own clock stands before any milestone falls due: no warnings race the test.
    ok(httpx.post(f"{i}/admin/clock", headers=admin(), json={"now": "2026-03-01T09:00:00+08:00"}))

    # 1 党委出题, 2 支部立项: each department's committee poses a topic; a branch files a project.
    pids: dict[str, str] = {}
    for n, (dept, direction, title, dues) in enumerate(
        [
            ("fgw", "high_quality_development", "环保管家进企业", ("2026-03-31", "2026-06-30")),
            ("zwb", "business_environment", "船员注册不见面审批", ("2026-05-31",)),
        ]
    ):
        ok(
            httpx.post(
                f"{f[dept]}/organisation", json={"departments": [ORGANISATION["departments"][n]]}, headers=admin()
            )
        )
        topic = ok(
            httpx.post(
                f"{f[dept]}/topics",
                headers=headers(Role.COMMITTEE, dept),
                json={"year": 2026, "direction": direction, "title": title},
            )
        )
        body = {**project_body(topic["id"], title), "milestones": milestones(*dues)}
        pids[dept] = ok(httpx.post(f"{f[dept]}/projects", headers=secretary[dept](), json=body))["id"]
    p1, p2 = pids["fgw"], pids["zwb"]

    def state(dept: str) -> dict[str, Any]:
        return ok(httpx.get(f"{a}/acceptances/{pids[dept]}", headers=secretary[dept]()))

    def apply(dept: str, summary: str = "建立环保管家服务队,上门服务企业120家") -> httpx.Response:
        current = state(dept)
        return httpx.post(
            f"{a}/acceptances/{pids[dept]}/apply",
            headers=secretary[dept](),
            json={
                "expected_version": current["version"],
                "summary": summary,
                "outcomes": [{"target": target, "result": f"完成:{target}"} for target in current["targets"]],
                "evidence": [{"url": "https://example.org/report.pdf", "title": "总结报告"}],
            },
        )

    # Refused: applying for acceptance before the project is approved.
    eventually(
        lambda: httpx.get(f"{a}/acceptances/{p1}", headers=secretary["fgw"]()).status_code == 200,
        timeout=WAIT,
        what="the filed project in acceptance",
    )
    refused(apply("fgw"), 409, "not approved (立项备案) yet")

    for dept in ("fgw", "zwb"):
        ok(
            httpx.post(
                f"{f[dept]}/projects/{pids[dept]}/submit", headers=secretary[dept](), json={"expected_version": 1}
            )
        )
        ok(
            httpx.post(
                f"{f[dept]}/projects/{pids[dept]}/approve",
                headers=headers(Role.COMMITTEE, dept),
                json={"expected_version": 2},
            )
        )
        eventually(
            lambda dept=dept: state(dept)["state"] == "approved", timeout=WAIT, what=f"{dept}'s approval in acceptance"
        )

    # 3 任务到人: a task per milestone, done by a member; the milestone declared met.
    def meet(dept: str, milestone: str) -> None:
        pid = pids[dept]
        eventually(
            lambda: httpx.get(f"{t}/projects/{pid}/board", headers=secretary[dept]()).status_code == 200,
            timeout=WAIT,
            what="the task board",
        )
        task = ok(
            httpx.post(
                f"{t}/projects/{pid}/tasks",
                headers=secretary[dept](),
                json={
                    "title": f"落实{milestone}",
                    "due": "2026-03-15",
                    "milestone_id": milestone,
                    "assignee": member[dept],
                },
            )
        )
        ok(
            httpx.post(
                f"{t}/tasks/{task['id']}/complete",
                json={"expected_version": 1},
                headers=as_subject(Role.MEMBER, member[dept], dept, branch[dept]),
            )
        )
        board = ok(httpx.get(f"{t}/projects/{pid}/board", headers=secretary[dept]()))
        ok(
            httpx.post(
                f"{t}/projects/{pid}/milestones/{milestone}/met",
                headers=secretary[dept](),
                json={
                    "expected_version": board["version"],
                    "deliverable": {"title": f"{milestone}成果"},
                    "met_on": "2026-06-01",
                },
            )
        )
        eventually(
            lambda: state(dept)["milestones"][int(milestone[1:]) - 1]["met"], timeout=WAIT, what=f"{milestone} met"
        )

    meet("fgw", "m1")
    meet("zwb", "m1")
    # Refused: applying while a milestone is unmet.
    refused(apply("fgw"), 409, "milestone m2 「节点2」 (due 2026-06-30) is not met")

    # 4 节点督查: an inspection at m2 orders a rectification; acceptance waits for its verification.
    inspector = lambda: headers(Role.INSPECTOR)  # noqa: E731 - a fresh request id each time
    supervision = eventually(
        lambda: httpx.get(f"{i}/supervisions/{p1}", headers=inspector()).json().get("version"),
        timeout=WAIT,
        what="the supervision",
    )
    recorded = ok(
        httpx.post(
            f"{i}/supervisions/{p1}/inspections",
            headers=inspector(),
            json={
                "expected_version": supervision,
                "milestone_id": "m2",
                "rating": "lagging",
                "findings": "台账不全",
                "rectification": {"items": ["补齐台账"], "deadline": "2026-07-31"},
            },
        )
    )
    order = recorded["recorded"]["order_id"]
    meet("fgw", "m2")
    eventually(lambda: state("fgw")["rectifications"], timeout=WAIT, what="the rectification order in acceptance")
    refused(apply("fgw"), 409, f"rectification order {order}", "is not verified")
    version = ok(httpx.get(f"{i}/supervisions/{p1}", headers=inspector()))["version"]
    answered = ok(
        httpx.post(
            f"{i}/supervisions/{p1}/rectifications/{order}/answer",
            headers=secretary["fgw"](),
            json={"expected_version": version, "answer": "已补齐"},
        )
    )
    ok(
        httpx.post(
            f"{i}/supervisions/{p1}/rectifications/{order}/verify",
            headers=inspector(),
            json={"expected_version": answered["version"]},
        )
    )

    def clear() -> bool:
        blockers = state("fgw")["blockers"]
        assert not blockers, blockers
        return True

    eventually(clear, timeout=WAIT, what="the verified rectification in acceptance")

    # 5 公开验收: apply; the organiser opens the public notice for five working days.
    ok(apply("fgw", f"建立环保管家服务队 <b>上门服务</b> {SCRIPT}"))
    ok(apply("zwb", "网上申报、线上审批、快递送达"))
    not_organiser = httpx.post(
        f"{a}/acceptances/{p1}/notice",
        headers=as_subject(Role.PANELIST, "p-1"),
        json={"expected_version": state("fgw")["version"]},
    )
    refused(not_organiser, 403, "not an organiser")
    clock("2026-11-02T10:00:00+08:00")
    for dept in ("fgw", "zwb"):
        notice = ok(
            httpx.post(
                f"{a}/acceptances/{pids[dept]}/notice",
                headers=organiser(),
                json={"expected_version": state(dept)["version"]},
            )
        )["notice"]
        assert notice["closes_at"] == "2026-11-10T00:00:00+08:00"  # Tue 3 … Mon 9, the weekend excluded

    # The public reads open notices and leaves feedback, without an account.
    notices = ok(httpx.get(f"{a}/notices"))
    assert sorted(n["project_id"] for n in notices) == sorted([p1, p2])
    ok(httpx.post(f"{a}/notices/{p1}/feedback", headers=citizen("10.0.0.1"), json={"kind": "support", "text": "好"}))
    objection = ok(
        httpx.post(
            f"{a}/notices/{p2}/feedback",
            headers=citizen("10.0.0.2"),
            json={"kind": "objection", "text": f"快递费用谁承担? {SCRIPT}"},
        )
    )
    refused(
        httpx.post(
            f"{a}/notices/{p2}/feedback", headers=citizen("10.0.0.3"), json={"kind": "support", "text": "好" * 501}
        ),
        422,
        "at most 500 characters",
    )
    for n in range(5):
        ok(
            httpx.post(
                f"{a}/notices/{p2}/feedback", headers=citizen("10.0.0.4"), json={"kind": "support", "text": f"支持{n}"}
            )
        )
    refused(
        httpx.post(
            f"{a}/notices/{p2}/feedback", headers=citizen("10.0.0.4"), json={"kind": "support", "text": "再次支持"}
        ),
        429,
        "at most 5 in 60 seconds",
    )
    ok(httpx.post(f"{a}/notices/{p2}/feedback", headers=citizen("10.0.0.5"), json={"kind": "support", "text": "赞"}))

    # The panels: a member of the project's own branch is refused (回避).
    def appoint(dept: str, members: list[dict[str, str]]) -> httpx.Response:
        return httpx.post(
            f"{a}/acceptances/{pids[dept]}/panel",
            headers=organiser(),
            json={"expected_version": state(dept)["version"], "members": members},
        )

    experts = [
        {"id": "p-1", "name": "张教授", "department": "jggw"},
        {"id": "p-2", "name": "李处长", "department": "sw", "branch": "sw-b2"},
        {"id": "p-3", "name": "王主任", "department": "jggw"},
    ]
    refused(
        appoint("fgw", [*experts[:2], {"id": "m-002", "name": "刘莉"}]),
        409,
        "conflict of interest (回避)",
        "刘莉 (m-002)",
        "fgw-b1",
    )
    ok(appoint("fgw", experts))
    ok(appoint("zwb", experts))

    def score(dept: str, panelist: str, value: int) -> httpx.Response:
        scores = {
            "target_achievement": value,
            "innovation": value,
            "main_work_effect": value,
            "member_participation": value,
            "public_response": value,
        }
        return httpx.post(
            f"{a}/acceptances/{pids[dept]}/scores",
            headers=as_subject(Role.PANELIST, panelist),
            json={"scores": scores, "comment": "评审意见"},
        )

    for panelist, high, low in (("p-1", 95, 72), ("p-2", 92, 65), ("p-3", 94, 70)):
        ok(score("fgw", panelist, high))
        ok(score("zwb", panelist, low))
    refused(score("fgw", "p-9", 100), 403, "you (p-9) are not on this project's panel")
    assert len(state("fgw")["scores"]) == 3 and state("fgw")["scores"][0]["rubric"] == "2026-v1"

    # Refused: a grade before the notice has run its period.
    def conclude(dept: str) -> httpx.Response:
        return httpx.post(
            f"{a}/acceptances/{pids[dept]}/conclude",
            headers=organiser(),
            json={"expected_version": state(dept)["version"]},
        )

    refused(conclude("fgw"), 409, "runs until 2026-11-10T00:00:00+08:00", "no grade before it has run its period")

    # The period ends: the ledger is sealed (by the sealer), and feedback is refused.
    clock("2026-11-10T00:00:05+08:00")
    eventually(lambda: state("fgw")["state"] == "notice_closed", timeout=WAIT, what="the sealed notice")
    refused(
        httpx.post(f"{a}/notices/{p1}/feedback", headers=citizen("10.0.0.6"), json={"kind": "support", "text": "晚了"}),
        409,
        "sealed",
    )
    sealed = state("zwb")["notice"]
    assert (sealed["support"], sealed["objections"], len(sealed["ledger_sha256"])) == (6, 1, 64)

    # 合格 only once the branch has answered the objection.
    refused(conclude("zwb"), 409, "objections (异议) must be answered", objection["feedback_id"])
    ok(
        httpx.post(
            f"{a}/acceptances/{p2}/feedback/{objection['feedback_id']}/answer",
            headers=secretary["zwb"](),
            json={"expected_version": state("zwb")["version"], "answer": "快递费用由财政承担"},
        )
    )
    passed = ok(conclude("zwb"))["result"]
    assert (passed["grade"], passed["grade_label"], passed["score"]) == ("pass", "合格", 69.0)
    excellent = ok(conclude("fgw"))["result"]
    assert (excellent["grade"], excellent["grade_label"], excellent["score"]) == ("excellent", "优秀", 93.67)

    # Honours: casebook, brand, a provincial commendation; none for the project graded 合格.
    def organise(dept: str, path: str, **body: Any) -> httpx.Response:
        return httpx.post(
            f"{a}/acceptances/{pids[dept]}/{path}",
            headers=organiser(),
            json={"expected_version": state(dept)["version"], **body},
        )

    ok(organise("fgw", "casebook"))
    refused(organise("zwb", "casebook"), 409, "only projects graded 优秀", "合格")
    ok(organise("fgw", "brand", name="环保管家"))
    ok(
        organise(
            "fgw",
            "commendations",
            level="provincial",
            issuer="中共江苏省委组织部",
            title="全省机关党建优秀品牌",
            awarded_on="2026-11-09",  # not after the programme's today
        )
    )

    # The public reads the results: accepted projects by grade, commendations, the casebook.
    assert [x["project_id"] for x in ok(httpx.get(f"{a}/accepted", params={"grade": "pass"}))] == [p2]
    assert [x["project_id"] for x in ok(httpx.get(f"{a}/accepted", params={"grade": "excellent"}))] == [p1]
    honours = ok(httpx.get(f"{a}/commendations"))
    assert honours["by_department"] == [
        {
            "department": "fgw",
            "department_name": "市发改委",
            "municipal": 0,
            "provincial": 1,
            "central": 0,
            "central_or_provincial": 1,
        }
    ]
    book = ok(httpx.get(f"{a}/casebook/2026"))
    assert book["count"] == 1 and book["directions"][0]["label"] == "推进高质量发展"
    assert [c["project_id"] for c in book["directions"][0]["entries"]] == [p1]
    html = httpx.get(f"{a}/casebook/2026.html")
    assert html.status_code == 200 and "环保管家进企业" in html.text and "船员注册不见面审批" not in html.text
    assert "&lt;b&gt;上门服务&lt;/b&gt;" in html.text and "<script" not in html.text
    assert "中共江苏省委组织部" in html.text and f'href="{p}/public/projects/{p1}.html"' in html.text
    pdf = httpx.get(f"{a}/casebook/2026.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "环保管家进企业" in text and SCRIPT in text and "船员注册不见面审批" not in text

    # The casebook's link leads to the project's audit trail, acceptance events included.
    def trail() -> list[str]:
        rows = httpx.get(f"{p}/projects/{p1}/audit-trail", headers=headers(Role.AUDITOR)).json()
        types = [r["type"] for r in rows] if isinstance(rows, list) else []
        return types if "acceptance.Acceptance.CommendationRecorded" in types else []

    types = eventually(trail, timeout=WAIT, what="acceptance events in the projection's audit trail")
    assert types.index("acceptance.Acceptance.NoticeClosed") < types.index("acceptance.Acceptance.Concluded")

    # The projection's overview ends where the programme did: graded, with the grade and honours.
    def overview(pid: str) -> dict[str, Any]:
        view = httpx.get(f"{p}/projects/{pid}", headers=headers(Role.AUDITOR)).json()
        return view if view.get("commendations") or (pid == p2 and view.get("grade")) else {}

    first = eventually(lambda: overview(p1), timeout=WAIT, what="p1's grade in the projection's overview")
    assert (first["state"], first["grade"], first["grade_label"]) == ("graded", "excellent", "优秀")
    assert first["in_casebook"] is True and first["brand"] == "环保管家"
    assert [c["level"] for c in first["commendations"]] == ["provincial"]
    second = eventually(lambda: overview(p2), timeout=WAIT, what="p2's grade in the projection's overview")
    assert (second["state"], second["grade"], second["grade_label"]) == ("graded", "pass", "合格")
    assert [
        x["id"] for x in ok(httpx.get(f"{p}/projects", params={"grade": "excellent"}, headers=headers(Role.AUDITOR)))
    ] == [p1]
    public = httpx.get(f"{p}/public/projects/{p1}")
    assert public.status_code == 200 and "环保管家进企业" in public.text
