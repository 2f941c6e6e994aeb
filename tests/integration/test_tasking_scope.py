"""Tasking's scope: member ids are unique only within a branch, so a member acts on and reads a task
only when their token's department and branch are the task's, whatever their subject says."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.tasking.app import TaskingApplication
from services.tasking.config import TaskingSettings
from services.tasking.main import create_app
from shared.auth import Role
from tests.support import TRUST, token

pytestmark = pytest.mark.integration

FILING = {"id": "filing", "role": "system"}
PLAN = [{"id": "m1", "title": "调研", "due": "2026-03-31", "deliverable": "调研报告"}]


def as_member(subject: str, department: str | None, branch: str | None) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token(Role.MEMBER, department, branch, subject)}",
        "Idempotency-Key": uuid.uuid4().hex,
    }


def secretary() -> dict[str, str]:
    return {"Authorization": f"Bearer {token(Role.SECRETARY, 'fgw', 'fgw-b1', 's-fgw-1')}"}


# Someone else whose subject is m-001, and what their token's scope is called in the refusal.
IMPOSTORS = {
    "a member of another department": (as_member("m-001", "zwb", "zwb-b5"), "branch zwb-b5 of department zwb"),
    "a member of another branch": (as_member("m-001", "fgw", "fgw-b2"), "branch fgw-b2 of department fgw"),
    "a member without a branch": (as_member("m-001", "fgw", None), "department fgw, no branch"),
    "a token without a department": (as_member("m-001", None, None), "no department"),
}


@dataclass
class Instance:
    client: TestClient
    app: TaskingApplication
    task: dict[str, Any]  # fgw-b1's task, assigned to fgw-b1's m-001

    def position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def version(self) -> int:
        return int(self.client.get(f"/tasks/{self.task['id']}", headers=secretary()).json()["version"])


@pytest.fixture(scope="module")
def instance(new_database: Callable[[str], str]) -> Iterator[Instance]:
    settings = TaskingSettings(database_dsn=new_database("tasking"), departments="fgw", token_keys=TRUST)
    with TestClient(create_app(settings)) as client:
        app: TaskingApplication = client.app.state.tasking  # type: ignore[attr-defined]
        for branch, member_id, name in [("fgw-b1", "m-001", "李扬"), ("fgw-b2", "m-001", "孙浩")]:
            app.enrol_member("fgw", branch, member_id, name, FILING, f"evt-enrol-{branch}-{member_id}")
        project_id = str(uuid.uuid4())
        app.open_board("fgw", "fgw-b1", project_id, "环保管家", "fgw-2026-1", PLAN, FILING, f"evt-{project_id}")
        body = {"title": "走访企业", "due": "2026-03-15", "milestone_id": "m1", "assignee": "m-001"}
        created = client.post(f"/projects/{project_id}/tasks", json=body, headers=secretary())
        assert created.status_code == 201, created.text
        try:
            yield Instance(client, app, created.json())
        finally:
            app.close()


def refused(response: httpx.Response, status: int, *phrases: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    for phrase in phrases:
        assert phrase in detail, detail


@pytest.mark.parametrize("command", ["progress", "complete"])
@pytest.mark.parametrize("impostor", IMPOSTORS, ids=list(IMPOSTORS))
def test_someone_else_with_the_members_id_may_not_act_on_their_task(
    instance: Instance, impostor: str, command: str
) -> None:
    who, scope = IMPOSTORS[impostor]
    before = instance.position()
    body = {"percent": 50} if command == "progress" else {"note": "完成"}
    response = instance.client.post(
        f"/tasks/{instance.task['id']}/{command}", json={"expected_version": instance.version(), **body}, headers=who
    )
    refused(
        response,
        403,
        "this task belongs to branch fgw-b1 of department fgw",
        f"your token is for {scope}",
        "members act only on tasks of their own branch",
    )
    assert instance.position() == before, "an event was recorded"


@pytest.mark.parametrize("impostor", IMPOSTORS, ids=list(IMPOSTORS))
def test_someone_else_with_the_members_id_may_not_read_their_task(instance: Instance, impostor: str) -> None:
    who, _ = IMPOSTORS[impostor]
    refused(instance.client.get(f"/tasks/{instance.task['id']}", headers=who), 403, "you may not read this task")
    listed = instance.client.get("/members/m-001/tasks", headers=who)
    assert listed.status_code == 200 and listed.json() == [], listed.text


def test_the_member_with_the_tasks_department_branch_and_id_still_acts_on_it(instance: Instance) -> None:
    mine = as_member("m-001", "fgw", "fgw-b1")
    assert [t["id"] for t in instance.client.get("/members/m-001/tasks", headers=mine).json()] == [instance.task["id"]]
    response = instance.client.post(
        f"/tasks/{instance.task['id']}/progress",
        json={"expected_version": instance.version(), "percent": 20},
        headers=mine,
    )
    assert response.status_code == 200 and response.json()["percent"] == 20, response.text


def upload(instance: Instance, who: dict[str, str]) -> httpx.Response:
    content = uuid.uuid4().bytes
    return instance.client.put("/evidence", content=content, headers={**who, "X-Filename": "visits.txt"})


def test_evidence_is_refused_from_a_token_that_names_no_department_or_no_branch(instance: Instance) -> None:
    refused(upload(instance, as_member("m-001", None, None)), 403, "your token names no department")
    refused(
        upload(instance, as_member("m-001", "fgw", None)),
        403,
        "your token names no branch; evidence belongs to a branch",
    )


def test_evidence_for_a_department_this_instance_does_not_serve_is_refused(instance: Instance) -> None:
    refused(upload(instance, as_member("m-001", "zwb", "zwb-b5")), 421, "this tasking instance serves fgw, not 'zwb'")


def test_a_file_another_branch_uploaded_cannot_be_attached_by_its_digest_but_the_same_file_of_ones_own_can(
    instance: Instance,
) -> None:
    content = uuid.uuid4().bytes
    theirs = as_member("m-001", "fgw", "fgw-b2")
    put = instance.client.put("/evidence", content=content, headers={**theirs, "X-Filename": "b2-secret.txt"})
    assert put.status_code == 201, put.text
    sha256 = put.json()["sha256"]
    mine = as_member("m-001", "fgw", "fgw-b1")

    def report() -> httpx.Response:
        body = {"expected_version": instance.version(), "percent": 30, "evidence": [{"kind": "file", "sha256": sha256}]}
        return instance.client.post(f"/tasks/{instance.task['id']}/progress", json=body, headers=mine)

    refused(report(), 422, f"no uploaded file has SHA-256 {sha256}")
    refused(instance.client.get(f"/evidence/{sha256}", headers=mine), 404, "that you may read")
    # fgw-b1 uploads the same bytes under its own name: now it is theirs too, to attach and to read
    own = instance.client.put("/evidence", content=content, headers={**mine, "X-Filename": "b1-visits.txt"})
    assert own.status_code == 201 and own.json()["sha256"] == sha256, own.text
    assert report().status_code == 200
    assert instance.client.get(f"/evidence/{sha256}", headers=mine).content == content
    assert instance.client.get(f"/evidence/{sha256}", headers=theirs).status_code == 200
