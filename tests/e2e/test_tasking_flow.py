"""任务到人 end to end: an approved project opens its task board; tasks to named members."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import httpx
import pytest

from shared.auth import Role
from shared.devstack.stack import Stack
from tests.support import ORGANISATION, eventually, headers, project_body, token

pytestmark = pytest.mark.e2e


def member(member_id: str) -> dict[str, str]:
    out = headers(Role.MEMBER, "fgw", "fgw-b1")
    out["Authorization"] = f"Bearer {token(Role.MEMBER, 'fgw', 'fgw-b1', subject=member_id)}"
    return out


def test_an_approved_project_is_tasked_to_named_members_who_report_and_complete(stack: Stack) -> None:
    filing, filing_relay = stack.filing("fgw", "fgw")
    tasking, tasking_relay, tasking_consumer = stack.tasking("fgw", "fgw")
    for process in (filing, filing_relay, tasking, tasking_relay, tasking_consumer):
        process.start()
    f, t = stack.url(filing), stack.url(tasking)
    assert (
        httpx.post(
            f"{f}/organisation", json={"departments": [ORGANISATION["departments"][0]]}, headers=headers(Role.ADMIN)
        ).status_code
        == 200
    )
    topic = httpx.post(
        f"{f}/topics",
        headers=headers(Role.COMMITTEE, "fgw"),
        json={"year": 2026, "direction": "high_quality_development", "title": "环保管家"},
    ).json()
    secretary = lambda: headers(Role.SECRETARY, "fgw", "fgw-b1")  # noqa: E731
    project = httpx.post(f"{f}/projects", headers=secretary(), json=project_body(topic["id"])).json()
    pid = project["id"]

    # Nothing can be tasked before approval.
    early = httpx.post(
        f"{t}/projects/{pid}/tasks",
        headers=secretary(),
        json={"title": "走访企业", "due": "2026-03-15", "milestone_id": "m1", "assignee": "m-001"},
    )
    assert early.status_code == 404 and "not approved" in early.json()["detail"]

    httpx.post(f"{f}/projects/{pid}/submit", headers=secretary(), json={"expected_version": 1}).raise_for_status()
    httpx.post(
        f"{f}/projects/{pid}/approve", headers=headers(Role.COMMITTEE, "fgw"), json={"expected_version": 2}
    ).raise_for_status()
    board = eventually(
        lambda: httpx.get(f"{t}/projects/{pid}/board", headers=secretary()).json().get("milestones"),
        what="the task board opened from filing's approval",
    )
    assert [m["id"] for m in board] == ["m1", "m2", "m3"]

    created = httpx.post(
        f"{t}/projects/{pid}/tasks",
        headers=secretary(),
        json={"title": "走访企业", "due": "2026-03-15", "milestone_id": "m1", "assignee": "m-001"},
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["assignee_name"] == "李扬"
    stranger = httpx.post(
        f"{t}/projects/{pid}/tasks",
        headers=secretary(),
        json={"title": "x", "due": "2026-03-15", "milestone_id": "m1", "assignee": "m-999"},
    )
    assert stranger.status_code == 422 and "not a registered member" in stranger.json()["detail"]

    # Another member may not report on 李扬's task; 李扬 reports with a file of evidence.
    other = httpx.post(
        f"{t}/tasks/{task['id']}/progress", headers=member("m-002"), json={"expected_version": 1, "percent": 50}
    )
    assert other.status_code == 403 and "assigned to m-001" in other.json()["detail"]
    content = "走访记录：10家企业".encode()
    upload = httpx.put(
        f"{t}/evidence",
        content=content,
        headers={**member("m-001"), "X-Filename": quote("走访记录.txt"), "Content-Type": "text/plain"},
    )
    assert upload.status_code == 201 and upload.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert upload.json()["name"] == "走访记录.txt"
    download = httpx.get(f"{t}/evidence/{upload.json()['sha256']}", headers=secretary())
    assert download.content == content and "UTF-8''" in download.headers["content-disposition"]
    elsewhere = httpx.get(f"{t}/evidence/{upload.json()['sha256']}", headers=headers(Role.COMMITTEE, "zwb"))
    assert elsewhere.status_code == 404
    reported = httpx.post(
        f"{t}/tasks/{task['id']}/progress",
        headers=member("m-001"),
        json={
            "expected_version": 1,
            "percent": 60,
            "note": "已走访10家",
            "evidence": [
                {"kind": "file", "sha256": upload.json()["sha256"]},
                {"kind": "link", "url": "https://example.org/report"},
            ],
        },
    )
    assert reported.status_code == 200, reported.text
    assert reported.json()["reports"][0]["evidence"][0]["size"] == len(content)

    # The milestone can't be met while its task is open; once complete, it can.
    board_version = httpx.get(f"{t}/projects/{pid}/board", headers=secretary()).json()["version"]
    premature = httpx.post(
        f"{t}/projects/{pid}/milestones/m1/met",
        headers=secretary(),
        json={"expected_version": board_version, "deliverable": {"title": "走访报告"}, "met_on": "2026-03-20"},
    )
    assert premature.status_code == 409 and "走访企业" in premature.json()["detail"]
    httpx.post(
        f"{t}/tasks/{task['id']}/complete", headers=member("m-001"), json={"expected_version": 2}
    ).raise_for_status()
    met = httpx.post(
        f"{t}/projects/{pid}/milestones/m1/met",
        headers=secretary(),
        json={"expected_version": board_version, "deliverable": {"title": "走访报告"}, "met_on": "2026-03-20"},
    )
    assert met.status_code == 200, met.text
    m1 = met.json()["milestones"][0]
    assert (m1["met"]["met_on"], m1["tasks"], m1["done"], m1["percent"]) == ("2026-03-20", 1, 1, 100)

    frozen = httpx.post(
        f"{t}/tasks/{task['id']}/reopen", headers=secretary(), json={"expected_version": 3, "reason": "返工"}
    )
    assert frozen.status_code == 409 and "already met" in frozen.json()["detail"]

    mine = httpx.get(f"{t}/members/m-001/tasks", headers=member("m-001")).json()
    assert [x["title"] for x in mine] == ["走访企业"]
    assert httpx.get(f"{t}/members/m-001/tasks", headers=member("m-002")).status_code == 403
