"""党委出题 → 支部立项 → 退回 → 修改 → 审核通过, across two departments' filing instances."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from shared.auth import Role
from shared.devstack.stack import Stack
from tests.support import ORGANISATION, eventually, headers, project_body

pytestmark = pytest.mark.e2e


def test_a_project_is_filed_returned_revised_and_approved_and_the_audit_trail_shows_it_all(stack: Stack) -> None:
    fgw, fgw_relay = stack.filing("fgw", "fgw")
    zwb, zwb_relay = stack.filing("zwb", "zwb")
    projection = stack.projection()
    for process in (fgw, fgw_relay, zwb, zwb_relay, projection):
        process.start()
    fgw_url, zwb_url, proj_url = stack.url(fgw), stack.url(zwb), stack.url(projection)
    admin = headers(Role.ADMIN)
    for url, dept in ((fgw_url, 0), (zwb_url, 1)):
        org = {"departments": [ORGANISATION["departments"][dept]]}
        assert httpx.post(f"{url}/organisation", json=org, headers=admin).status_code == 200

    committee = headers(Role.COMMITTEE, "fgw")
    topic = httpx.post(
        f"{fgw_url}/topics",
        headers=committee,
        json={"year": 2026, "direction": "business_environment", "title": "优化审批服务", "description": "放管服"},
    )
    assert topic.status_code == 201, topic.text
    topic_id = topic.json()["id"]

    secretary = lambda: headers(Role.SECRETARY, "fgw", "fgw-b1")  # noqa: E731 - a fresh request id each call
    drafted = httpx.post(f"{fgw_url}/projects", headers=secretary(), json=project_body(topic_id))
    assert drafted.status_code == 201, drafted.text
    project = drafted.json()
    pid = project["id"]
    assert project["state"] == "draft" and project["direction_label"] == "优化营商环境建设"

    def act(url: str, path: str, who: dict[str, str], **body: object) -> dict[str, object]:
        response = httpx.post(f"{url}/projects/{pid}/{path}", headers=who, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    v = act(fgw_url, "submit", secretary(), expected_version=1)["version"]
    returned = act(fgw_url, "return", headers(Role.COMMITTEE, "fgw"), expected_version=v, reasons=["目标需量化"])
    assert returned["state"] == "returned" and returned["return_reasons"] == ["目标需量化"]
    revised = act(
        fgw_url,
        "revise",
        secretary(),
        expected_version=returned["version"],
        targets=["办理时限压缩至1个工作日", "年服务船员≥2000人次"],
    )
    resubmitted = act(fgw_url, "submit", secretary(), expected_version=revised["version"])
    approved = act(fgw_url, "approve", headers(Role.COMMITTEE, "fgw"), expected_version=resubmitted["version"])
    assert approved["state"] == "approved" and approved["record_no"].startswith("fgw-2026-")

    # A secretary of another department, and a member, are refused; nothing is recorded.
    other = httpx.post(
        f"{fgw_url}/projects/{pid}/withdraw",
        headers=headers(Role.SECRETARY, "zwb", "zwb-b5"),
        json={"expected_version": approved["version"], "reason": "x"},
    )
    assert other.status_code == 403 and "department" in other.json()["detail"]
    member = httpx.post(
        f"{fgw_url}/projects/{pid}/approve",
        headers=headers(Role.MEMBER, "fgw", "fgw-b1"),
        json={"expected_version": approved["version"]},
    )
    assert member.status_code == 403 and "committee" in member.json()["detail"]
    # The other department's instance refuses fgw's commands outright.
    misdirected = httpx.post(
        f"{zwb_url}/topics", headers=committee, json={"year": 2026, "direction": "work_upgrade", "title": "x"}
    )
    assert misdirected.status_code == 421 and "zwb" in misdirected.json()["detail"]
    # zwb files its own topic on its own instance.
    zwb_topic = httpx.post(
        f"{zwb_url}/topics",
        headers=headers(Role.COMMITTEE, "zwb"),
        json={"year": 2026, "direction": "work_upgrade", "title": "船员注册不见面审批"},
    )
    assert zwb_topic.status_code == 201

    auditor = headers(Role.AUDITOR)

    def trail() -> list[dict[str, object]]:
        response = httpx.get(f"{proj_url}/projects/{pid}/audit-trail", headers=auditor)
        rows = response.json() if response.status_code == 200 else []
        return rows if len(rows) == 6 else []

    rows = eventually(trail, what="the full audit trail in the projection")
    assert [r["type"] for r in rows] == [
        "filing.Project.Drafted",
        "filing.Project.Submitted",
        "filing.Project.Returned",
        "filing.Project.Revised",
        "filing.Project.Submitted",
        "filing.Project.Approved",
    ]
    assert [r["aggregate_version"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[2]["actor"]["role"] == "committee" and rows[0]["actor"]["role"] == "secretary"
    assert all(r["source_service"] == "filing" and r["source_instance"] == "fgw" for r in rows)
    returned = rows[2]["payload"]
    assert returned["reasons"] == ["目标需量化"] and set(returned) == {"reasons", "at"}  # at: the programme time
    assert dt.datetime.fromisoformat(returned["at"]).tzinfo is not None
    overview = httpx.get(f"{proj_url}/projects/{pid}", headers=auditor).json()
    assert overview["state"] == "approved" and overview["targets"][1] == "年服务船员≥2000人次"
    eventually(
        lambda: httpx.get(f"{proj_url}/departments/zwb/audit-trail", headers=auditor).json(),
        what="zwb's topic in the projection",
    )
    # The projection keeps departments apart for their committees.
    forbidden = httpx.get(f"{proj_url}/projects/{pid}", headers=headers(Role.COMMITTEE, "zwb"))
    assert forbidden.status_code == 403
