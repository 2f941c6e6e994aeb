"""The tasking API in-process over the real asyncpg event store: bad input is refused, nothing is lost.

Tasking learns boards and members from filing's events; here they are seeded by calling the
application as its consumer would. Every refusal is a problem-details JSON body whose `detail`
says what is wrong, and neither the event store nor the evidence table changes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from services.tasking.app import TaskingApplication
from services.tasking.config import TaskingSettings
from services.tasking.domain import board_id
from services.tasking.main import create_app
from shared.auth import Role
from tests.support import TRUST, headers, race, token

pytestmark = pytest.mark.integration

FILING = {"id": "filing", "role": "system"}  # the actor as filing's events carry it
PLAN = [
    {"id": "m1", "title": "调研", "due": "2026-03-31", "deliverable": "调研报告"},
    {"id": "m2", "title": "实施", "due": "2026-06-30", "deliverable": "服务台账"},
    {"id": "m3", "title": "总结", "due": "2026-09-30", "deliverable": "总结报告"},
]
NOBODY = "00000000-0000-4000-8000-000000000000"
NEVER_UPLOADED = hashlib.sha256(b"never uploaded").hexdigest()


# -- who is asking -------------------------------------------------------------------------------


def secretary(branch: str = "fgw-b1", department: str = "fgw", request_id: str | None = None) -> dict[str, str]:
    return headers(Role.SECRETARY, department, branch, request_id=request_id)


def member(member_id: str = "m-001", branch: str = "fgw-b1", request_id: str | None = None) -> dict[str, str]:
    out = headers(Role.MEMBER, "fgw", branch, request_id=request_id)
    out["Authorization"] = f"Bearer {token(Role.MEMBER, 'fgw', branch, subject=member_id)}"
    return out


def committee(department: str = "fgw") -> dict[str, str]:
    return headers(Role.COMMITTEE, department)


def auditor() -> dict[str, str]:
    return headers(Role.AUDITOR)


# -- the instance, seeded as filing's events would seed it --------------------------------------


@contextmanager
def tasking(new_database: Callable[[str], str]) -> Iterator[tuple[TestClient, TaskingApplication, str]]:
    dsn = new_database("tasking")
    with TestClient(create_app(TaskingSettings(database_dsn=dsn, departments="fgw", token_keys=TRUST))) as client:
        app: TaskingApplication = client.app.state.tasking  # type: ignore[attr-defined]
        for branch, member_id, name in [
            ("fgw-b1", "s-fgw-1", "王强"),
            ("fgw-b1", "m-001", "李扬"),
            ("fgw-b1", "m-002", "刘莉"),
            ("fgw-b2", "s-fgw-2", "赵敏"),
            ("fgw-b2", "m-003", "孙浩"),
        ]:
            app.enrol_member("fgw", branch, member_id, name, FILING, f"evt-enrol-{member_id}")
        try:
            yield client, app, dsn
        finally:
            app.close()


def open_board(app: TaskingApplication, department: str = "fgw", branch: str = "fgw-b1") -> str:
    project_id = str(uuid.uuid4())
    app.open_board(
        department, branch, project_id, "环保管家", f"{department}-2026-1", PLAN, FILING, f"evt-{project_id}"
    )
    return project_id


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def task_body(**overrides: Any) -> dict[str, Any]:
    return {"title": "走访企业", "due": "2026-03-15", "milestone_id": "m1", "assignee": "m-001", **overrides}


def create_task(client: TestClient, project_id: str, who: dict[str, str] | None = None, **overrides: Any) -> Any:
    return ok(
        client.post(f"/projects/{project_id}/tasks", json=task_body(**overrides), headers=who or secretary()), 201
    )


def act(client: TestClient, task: dict[str, Any], path: str, who: dict[str, str], **body: Any) -> Any:
    body.setdefault("expected_version", task["version"])
    return ok(client.post(f"/tasks/{task['id']}/{path}", json=body, headers=who))


def position(app: TaskingApplication) -> int:
    return app.recorder.max_notification_id() or 0


def event_count(client: TestClient) -> int:
    """How many events the store holds, read as an auditor (notification ids may have gaps)."""
    count, after = 0, 0
    while True:
        page = ok(client.get("/events", params={"after": after, "limit": 1000}, headers=auditor()))
        count += len(page["events"])
        if not page["more"]:
            return count
        after = page["next_after"]


def evidence_rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM evidence_files").fetchone()
    return int(row[0]) if row else 0


@contextmanager
def nothing_recorded(app: TaskingApplication, dsn: str) -> Iterator[None]:
    before, files = position(app), evidence_rows(dsn)
    yield
    assert position(app) == before, "an event was recorded"
    assert evidence_rows(dsn) == files, "an evidence file was stored"


# -- every kind of bad input, against one shared instance ---------------------------------------


@dataclass
class World:
    client: TestClient
    app: TaskingApplication
    dsn: str
    pid: str  # fgw-b1's project: m1 has an open task, m2 is met
    open_task: dict[str, Any]  # on m1, assigned to m-001
    done_task: dict[str, Any]  # on m2, completed
    cancelled_task: dict[str, Any]
    closed_pid: str  # a withdrawn project's closed board
    closed_task: dict[str, Any]  # an open task on it
    zwb_pid: str  # a board of a department this instance does not serve

    def version(self, task: dict[str, Any]) -> int:
        return int(ok(self.client.get(f"/tasks/{task['id']}", headers=auditor()))["version"])

    def board_version(self, project_id: str | None = None) -> int:
        return int(ok(self.client.get(f"/projects/{project_id or self.pid}/board", headers=auditor()))["version"])

    def post(self, path: str, body: Any, who: dict[str, str]) -> httpx.Response:
        return self.client.post(path, json=body, headers=who)

    def on_task(self, task: dict[str, Any], path: str, who: dict[str, str], **body: Any) -> httpx.Response:
        if "expected_version" not in body:
            body["expected_version"] = self.version(task)
        return self.post(f"/tasks/{task['id']}/{path}", body, who)

    def met(self, milestone: str, who: dict[str, str] | None = None, project_id: str | None = None, **body: Any):
        pid = project_id or self.pid
        if "expected_version" not in body:
            body["expected_version"] = self.board_version(pid)
        body.setdefault("deliverable", {"title": "调研报告"})
        body.setdefault("met_on", "2026-03-30")
        return self.post(f"/projects/{pid}/milestones/{milestone}/met", body, who or secretary())


@pytest.fixture(scope="module")
def world(new_database: Callable[[str], str]) -> Iterator[World]:
    with tasking(new_database) as (client, app, dsn):
        pid = open_board(app)
        open_task = create_task(client, pid)
        done = create_task(client, pid, title="建立台账", milestone_id="m2", assignee="m-002")
        done = act(client, done, "complete", member("m-002"))
        cancelled = create_task(client, pid, title="已取消的任务", milestone_id="m3")
        cancelled = act(client, cancelled, "cancel", secretary(), reason="不再需要")
        board = ok(client.get(f"/projects/{pid}/board", headers=secretary()))
        ok(
            client.post(
                f"/projects/{pid}/milestones/m2/met",
                json={"expected_version": board["version"], "deliverable": {"title": "台账"}, "met_on": "2026-06-20"},
                headers=secretary(),
            )
        )
        closed_pid = open_board(app)
        closed_task = create_task(client, closed_pid)
        app.close_board(closed_pid, "项目撤回", FILING, f"evt-close-{closed_pid}")
        zwb_pid = open_board(app, "zwb", "zwb-b5")
        yield World(client, app, dsn, pid, open_task, done, cancelled, closed_pid, closed_task, zwb_pid)


def _raw(w: World, path: str, content: bytes, who: dict[str, str], content_type: str = "application/json"):
    return w.client.post(path, content=content, headers={**who, "Content-Type": content_type})


def _upload(w: World, content: bytes, who: dict[str, str] | None = None, filename: str | None = "a.txt"):
    extra = {"X-Filename": filename} if filename is not None else {}
    return w.client.put(
        "/evidence", content=content, headers={**(who or member()), **extra, "Content-Type": "text/plain"}
    )


def _tasks(w: World) -> str:
    return f"/projects/{w.pid}/tasks"


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def _progress(w: World, who: dict[str, str] | None = None, task: dict[str, Any] | None = None, **body: Any):
    body.setdefault("percent", 50)
    return w.on_task(task or w.open_task, "progress", who or member(), **body)


def _link(url: str = "https://example.org/report", **extra: Any) -> dict[str, Any]:
    return {"kind": "link", "url": url, **extra}


@dataclass(frozen=True)
class Bad:
    name: str
    send: Callable[[World], httpx.Response]
    status: int
    code: str
    detail: str
    known_bug: str = ""  # a refusal whose message is wrong today: expected to fail until fixed


BAD: list[Bad] = [
    # -- POST /projects/{id}/tasks: the body ---------------------------------------------------
    Bad(
        "create: malformed JSON",
        lambda w: _raw(w, _tasks(w), b'{"title": "x",', secretary()),
        422,
        "invalid_input",
        "the body is not valid JSON (Expecting property name enclosed in double quotes)",
    ),
    Bad(
        "create: JSON that is not an object",
        lambda w: w.post(_tasks(w), [task_body()], secretary()),
        422,
        "invalid_input",
        "request body: Input should be a valid dictionary",
    ),
    Bad(
        "create: a form instead of JSON",
        lambda w: _raw(w, _tasks(w), b"title=x&assignee=m-001", secretary(), "application/x-www-form-urlencoded"),
        422,
        "invalid_input",
        "request body: Input should be a valid dictionary",
    ),
    Bad(
        "create: an unknown field",
        lambda w: w.post(_tasks(w), task_body(priority="high"), secretary()),
        422,
        "invalid_input",
        "priority: unknown field; remove it",
    ),
    Bad(
        "create: a title that is not a string",
        lambda w: w.post(_tasks(w), task_body(title=123), secretary()),
        422,
        "invalid_input",
        "title: Input should be a valid string",
    ),
    Bad(
        "create: an assignee that is a list",
        lambda w: w.post(_tasks(w), task_body(assignee=["m-001", "m-002"]), secretary()),
        422,
        "invalid_input",
        "assignee: Input should be a valid string",
    ),
    Bad(
        "create: a missing title",
        lambda w: w.post(_tasks(w), _without(task_body(), "title"), secretary()),
        422,
        "invalid_input",
        "title: required",
    ),
    Bad(
        "create: a missing assignee",
        lambda w: w.post(_tasks(w), _without(task_body(), "assignee"), secretary()),
        422,
        "invalid_input",
        "assignee: required",
    ),
    Bad(
        "create: a missing due date",
        lambda w: w.post(_tasks(w), _without(task_body(), "due"), secretary()),
        422,
        "invalid_input",
        "due: required",
    ),
    Bad(
        "create: a missing milestone",
        lambda w: w.post(_tasks(w), _without(task_body(), "milestone_id"), secretary()),
        422,
        "invalid_input",
        "milestone_id: required",
    ),
    Bad(
        "create: a blank title",
        lambda w: w.post(_tasks(w), task_body(title="   "), secretary()),
        422,
        "invalid_input",
        "title: String should have at least 1 character",
    ),
    Bad(
        "create: a title over 200 characters",
        lambda w: w.post(_tasks(w), task_body(title="任" * 201), secretary()),
        422,
        "invalid_input",
        "title: String should have at most 200 characters",
    ),
    Bad(
        "create: a description over 5000 characters",
        lambda w: w.post(_tasks(w), task_body(description="述" * 5001), secretary()),
        422,
        "invalid_input",
        "description: String should have at most 5000 characters",
    ),
    Bad(
        "create: an impossible date",
        lambda w: w.post(_tasks(w), task_body(due="2026-02-30"), secretary()),
        422,
        "invalid_input",
        "due: Input should be a valid date",
    ),
    Bad(
        "create: a date that is not a date",
        lambda w: w.post(_tasks(w), task_body(due="下周三"), secretary()),
        422,
        "invalid_input",
        "due: Input should be a valid date",
    ),
    Bad(
        "create: a body over 1 MB",
        lambda w: _raw(w, _tasks(w), b" " * 1_000_001, secretary()),
        413,
        "body_too_large",
        "the body is 1000001 bytes or more; at most 1000000 bytes allowed",
    ),
    Bad(
        "create: an Idempotency-Key over 128 characters",
        lambda w: w.post(_tasks(w), task_body(), secretary(request_id="k" * 129)),
        422,
        "invalid_input",
        "the Idempotency-Key header must be 1–128 characters",
    ),
    # -- POST /projects/{id}/tasks: what it refers to ------------------------------------------
    Bad(
        "create: a bad UUID in the path",
        lambda w: w.post("/projects/not-a-uuid/tasks", task_body(), secretary()),
        422,
        "invalid_input",
        "'not-a-uuid' is not a valid project id (a UUID)",
    ),
    Bad(
        "create: a project without a board (not approved)",
        lambda w: w.post(f"/projects/{NOBODY}/tasks", task_body(), secretary()),
        404,
        "not_found",
        f"project {NOBODY} has no task board: it is not approved (备案) yet",
    ),
    Bad(
        "create: a milestone not in the plan",
        lambda w: w.post(_tasks(w), task_body(milestone_id="m9"), secretary()),
        422,
        "invalid_input",
        "the project has no milestone 'm9'; its milestones are: m1, m2, m3",
    ),
    Bad(
        "create: a milestone already met",
        lambda w: w.post(_tasks(w), task_body(milestone_id="m2"), secretary()),
        409,
        "invalid_transition",
        "milestone 'm2' is already met; it takes no new tasks",
    ),
    Bad(
        "create: an assignee who is no member",
        lambda w: w.post(_tasks(w), task_body(assignee="m-999"), secretary()),
        422,
        "invalid_input",
        "'m-999' is not a registered member of branch fgw-b1",
    ),
    Bad(
        "create: an assignee of another branch",
        lambda w: w.post(_tasks(w), task_body(assignee="m-003"), secretary()),
        422,
        "invalid_input",
        "'m-003' is not a registered member of branch fgw-b1",
    ),
    Bad(
        "create: on a closed board",
        lambda w: w.post(f"/projects/{w.closed_pid}/tasks", task_body(), secretary()),
        409,
        "invalid_transition",
        "the project was withdrawn: its task board is closed",
    ),
    Bad(
        "create: for a department this instance does not serve",
        lambda w: w.post(f"/projects/{w.zwb_pid}/tasks", task_body(), secretary("zwb-b5", "zwb")),
        421,
        "department_not_served",
        "this tasking instance serves fgw, not 'zwb'",
    ),
    # -- POST /projects/{id}/tasks: who is asking -----------------------------------------------
    Bad(
        "create: no token",
        lambda w: w.post(_tasks(w), task_body(), {}),
        401,
        "not_authenticated",
        "send 'Authorization: Bearer <token>'",
    ),
    Bad(
        "create: an invalid token",
        lambda w: w.post(_tasks(w), task_body(), {"Authorization": "Bearer not.a.token"}),
        401,
        "not_authenticated",
        "the bearer token is not a JWT",
    ),
    Bad(
        "create: by the committee",
        lambda w: w.post(_tasks(w), task_body(), committee()),
        403,
        "forbidden",
        "role 'committee' may not do this; it needs: secretary",
    ),
    Bad(
        "create: by a member",
        lambda w: w.post(_tasks(w), task_body(), member()),
        403,
        "forbidden",
        "role 'member' may not do this; it needs: secretary",
    ),
    Bad(
        "create: by another branch's secretary",
        lambda w: w.post(_tasks(w), task_body(), secretary("fgw-b2")),
        403,
        "forbidden",
        "you act for branch 'fgw-b2', not 'fgw-b1'",
    ),
    Bad(
        "create: by another department's secretary (sent to the wrong department's instance)",
        lambda w: w.post(_tasks(w), task_body(), secretary("zwb-b5", "zwb")),
        421,
        "department_not_served",
        "this tasking instance serves fgw, not 'zwb'",
    ),
    # -- POST /tasks/{id}/assign ---------------------------------------------------------------
    Bad(
        "assign: malformed JSON",
        lambda w: _raw(w, f"/tasks/{w.open_task['id']}/assign", b"{assignee: m-002}", secretary()),
        422,
        "invalid_input",
        "the body is not valid JSON",
    ),
    Bad(
        "assign: an unknown field",
        lambda w: w.on_task(w.open_task, "assign", secretary(), assignee="m-002", reason="x"),
        422,
        "invalid_input",
        "reason: unknown field; remove it",
    ),
    Bad(
        "assign: a missing assignee",
        lambda w: w.on_task(w.open_task, "assign", secretary()),
        422,
        "invalid_input",
        "assignee: required",
    ),
    Bad(
        "assign: a missing expected_version",
        lambda w: w.post(f"/tasks/{w.open_task['id']}/assign", {"assignee": "m-002"}, secretary()),
        422,
        "invalid_input",
        "expected_version: required",
    ),
    Bad(
        "assign: an expected_version that is not a number",
        lambda w: w.on_task(w.open_task, "assign", secretary(), assignee="m-002", expected_version="one"),
        422,
        "invalid_input",
        "expected_version: Input should be a valid integer",
    ),
    Bad(
        "assign: an expected_version below 1",
        lambda w: w.on_task(w.open_task, "assign", secretary(), assignee="m-002", expected_version=0),
        422,
        "invalid_input",
        "expected_version: Input should be greater than or equal to 1",
    ),
    Bad(
        "assign: an assignee id over 64 characters",
        lambda w: w.on_task(w.open_task, "assign", secretary(), assignee="m" * 65),
        422,
        "invalid_input",
        "assignee: String should have at most 64 characters",
    ),
    Bad(
        "assign: a bad UUID in the path",
        lambda w: w.post("/tasks/xyz/assign", {"expected_version": 1, "assignee": "m-002"}, secretary()),
        422,
        "invalid_input",
        "'xyz' is not a valid task id (a UUID)",
    ),
    Bad(
        "assign: an unknown task",
        lambda w: w.post(f"/tasks/{NOBODY}/assign", {"expected_version": 1, "assignee": "m-002"}, secretary()),
        404,
        "not_found",
        f"no task with id {NOBODY}",
    ),
    Bad(
        "assign: an assignee who is no member",
        lambda w: w.on_task(w.open_task, "assign", secretary(), assignee="m-999"),
        422,
        "invalid_input",
        "'m-999' is not a registered member of branch fgw-b1",
    ),
    Bad(
        "assign: to whom it is already assigned",
        lambda w: w.on_task(w.open_task, "assign", secretary(), assignee="m-001"),
        422,
        "invalid_input",
        "the task is already assigned to m-001",
    ),
    Bad(
        "assign: a completed task",
        lambda w: w.on_task(w.done_task, "assign", secretary(), assignee="m-001"),
        409,
        "invalid_transition",
        "only an open task can be reassigned; this one is done",
    ),
    Bad(
        "assign: a stale expected_version",
        lambda w: w.on_task(w.open_task, "assign", secretary(), assignee="m-002", expected_version=99),
        409,
        "stale_version",
        "you sent expected_version 99, it is now at version 1; reload it and decide again",
    ),
    Bad(
        "assign: on a closed board",
        lambda w: w.on_task(w.closed_task, "assign", secretary(), assignee="m-002"),
        409,
        "invalid_transition",
        "the project was withdrawn: its task board is closed",
    ),
    Bad(
        "assign: by a member",
        lambda w: w.on_task(w.open_task, "assign", member(), assignee="m-002"),
        403,
        "forbidden",
        "role 'member' may not do this; it needs: secretary",
    ),
    Bad(
        "assign: by another branch's secretary",
        lambda w: w.on_task(w.open_task, "assign", secretary("fgw-b2"), assignee="m-002"),
        403,
        "forbidden",
        "you act for branch 'fgw-b2', not 'fgw-b1'",
    ),
    # -- POST /tasks/{id}/progress -------------------------------------------------------------
    Bad(
        "progress: malformed JSON",
        lambda w: _raw(w, f"/tasks/{w.open_task['id']}/progress", b'{"percent": 50', member()),
        422,
        "invalid_input",
        "the body is not valid JSON",
    ),
    Bad(
        "progress: an unknown field",
        lambda w: _progress(w, hours=3),
        422,
        "invalid_input",
        "hours: unknown field; remove it",
    ),
    Bad(
        "progress: a missing percent",
        lambda w: w.post(f"/tasks/{w.open_task['id']}/progress", {"expected_version": 1}, member()),
        422,
        "invalid_input",
        "percent: required",
    ),
    Bad(
        "progress: a percent that is not a number",
        lambda w: _progress(w, percent="一半"),
        422,
        "invalid_input",
        "percent: Input should be a valid integer",
    ),
    Bad(
        "progress: a fractional percent",
        lambda w: _progress(w, percent=50.5),
        422,
        "invalid_input",
        "percent: Input should be a valid integer, got a number with a fractional part",
    ),
    Bad(
        "progress: a percent over 100",
        lambda w: _progress(w, percent=101),
        422,
        "invalid_input",
        "percent: Input should be less than or equal to 100",
    ),
    Bad(
        "progress: a negative percent",
        lambda w: _progress(w, percent=-1),
        422,
        "invalid_input",
        "percent: Input should be greater than or equal to 0",
    ),
    Bad(
        "progress: a note over 5000 characters",
        lambda w: _progress(w, note="记" * 5001),
        422,
        "invalid_input",
        "note: String should have at most 5000 characters",
    ),
    Bad(
        "progress: evidence that is not a list",
        lambda w: _progress(w, evidence=_link()),
        422,
        "invalid_input",
        "evidence: Input should be a valid list",
    ),
    Bad(
        "progress: evidence of an unknown kind",
        lambda w: _progress(w, evidence=[{"kind": "photo", "url": "https://example.org/a.jpg"}]),
        422,
        "invalid_input",
        "evidence[0]: Input tag 'photo' found using 'kind' does not match any of the expected tags: 'link', 'file'",
    ),
    Bad(
        "progress: evidence without a kind",
        lambda w: _progress(w, evidence=[{"url": "https://example.org/a"}]),
        422,
        "invalid_input",
        "evidence[0]: Unable to extract tag using discriminator 'kind'",
    ),
    Bad(
        "progress: a link that is not http(s)",
        lambda w: _progress(w, evidence=[_link("ftp://example.org/report")]),
        422,
        "invalid_input",
        "evidence[0].link.url: String should match pattern '^https?://'",
    ),
    Bad(
        "progress: a javascript: link",
        lambda w: _progress(w, evidence=[_link(), _link("javascript:alert(1)")]),
        422,
        "invalid_input",
        "evidence[1].link.url: String should match pattern '^https?://'",
    ),
    Bad(
        "progress: a link with an unknown field",
        lambda w: _progress(w, evidence=[_link(size=3)]),
        422,
        "invalid_input",
        "evidence[0].link.size: unknown field; remove it",
    ),
    Bad(
        "progress: a file with a malformed SHA-256",
        lambda w: _progress(w, evidence=[{"kind": "file", "sha256": "ABC"}]),
        422,
        "invalid_input",
        "evidence[0].file.sha256: String should match pattern '^[0-9a-f]{64}$'",
    ),
    Bad(
        "progress: a file never uploaded",
        lambda w: _progress(w, evidence=[_link(), {"kind": "file", "sha256": NEVER_UPLOADED}]),
        422,
        "invalid_input",
        f"evidence 2: no uploaded file has SHA-256 {NEVER_UPLOADED}; PUT it to /evidence first",
    ),
    Bad(
        "progress: too many pieces of evidence",
        lambda w: _progress(w, evidence=[_link(f"https://example.org/{n}") for n in range(21)]),
        422,
        "invalid_input",
        "evidence: List should have at most 20 items",
    ),
    Bad(
        "progress: a bad UUID in the path",
        lambda w: w.post("/tasks/123/progress", {"expected_version": 1, "percent": 5}, member()),
        422,
        "invalid_input",
        "'123' is not a valid task id (a UUID)",
    ),
    Bad(
        "progress: an unknown task",
        lambda w: w.post(f"/tasks/{NOBODY}/progress", {"expected_version": 1, "percent": 5}, member()),
        404,
        "not_found",
        f"no task with id {NOBODY}",
    ),
    Bad(
        "progress: a board's id given as a task's",
        lambda w: w.post(f"/tasks/{board_id(w.pid)}/progress", {"expected_version": 1, "percent": 5}, member()),
        404,
        "not_found",
        "no task with id",
    ),
    Bad(
        "progress: by another member on someone else's task",
        lambda w: _progress(w, member("m-002")),
        403,
        "forbidden",
        "this task is assigned to m-001, not to you (m-002); members act on their own tasks only",
    ),
    Bad(
        "progress: by the secretary",
        lambda w: _progress(w, secretary()),
        403,
        "forbidden",
        "role 'secretary' may not do this; it needs: member",
    ),
    Bad(
        "progress: a stale expected_version",
        lambda w: _progress(w, expected_version=7),
        409,
        "stale_version",
        "you sent expected_version 7, it is now at version 1",
    ),
    Bad(
        "progress: on a completed task",
        lambda w: _progress(w, member("m-002"), w.done_task),
        409,
        "invalid_transition",
        "progress can be reported on an open task only; this one is done",
    ),
    Bad(
        "progress: on a closed board",
        lambda w: _progress(w, task=w.closed_task),
        409,
        "invalid_transition",
        "the project was withdrawn: its task board is closed",
    ),
    # -- POST /tasks/{id}/complete -------------------------------------------------------------
    Bad(
        "complete: an unknown field",
        lambda w: w.on_task(w.open_task, "complete", member(), percent=100),
        422,
        "invalid_input",
        "percent: unknown field; remove it",
    ),
    Bad(
        "complete: a missing expected_version",
        lambda w: w.post(f"/tasks/{w.open_task['id']}/complete", {}, member()),
        422,
        "invalid_input",
        "expected_version: required",
    ),
    Bad(
        "complete: a note over 5000 characters",
        lambda w: w.on_task(w.open_task, "complete", member(), note="完" * 5001),
        422,
        "invalid_input",
        "note: String should have at most 5000 characters",
    ),
    Bad(
        "complete: twice",
        lambda w: w.on_task(w.done_task, "complete", member("m-002")),
        409,
        "invalid_transition",
        "only an open task can be completed; this one is done",
    ),
    Bad(
        "complete: a cancelled task",
        lambda w: w.on_task(w.cancelled_task, "complete", member()),
        409,
        "invalid_transition",
        "only an open task can be completed; this one is cancelled",
    ),
    Bad(
        "complete: by another member",
        lambda w: w.on_task(w.open_task, "complete", member("m-002")),
        403,
        "forbidden",
        "this task is assigned to m-001, not to you (m-002)",
    ),
    Bad(
        "complete: by a member of another branch",
        lambda w: w.on_task(w.open_task, "complete", member("m-003", "fgw-b2")),
        403,
        "forbidden",
        "this task is assigned to m-001, not to you (m-003)",
    ),
    Bad(
        "complete: a stale expected_version",
        lambda w: w.on_task(w.open_task, "complete", member(), expected_version=2),
        409,
        "stale_version",
        "you sent expected_version 2, it is now at version 1",
    ),
    Bad(
        "complete: on a closed board",
        lambda w: w.on_task(w.closed_task, "complete", member()),
        409,
        "invalid_transition",
        "the project was withdrawn: its task board is closed",
    ),
    # -- POST /tasks/{id}/reopen and /cancel ---------------------------------------------------
    Bad(
        "reopen: an open task",
        lambda w: w.on_task(w.open_task, "reopen", secretary(), reason="返工"),
        409,
        "invalid_transition",
        "only a completed task can be reopened; this one is open",
    ),
    Bad(
        "reopen: a missing reason",
        lambda w: w.on_task(w.done_task, "reopen", secretary()),
        422,
        "invalid_input",
        "reason: required",
    ),
    Bad(
        "reopen: a blank reason",
        lambda w: w.on_task(w.done_task, "reopen", secretary(), reason=" "),
        422,
        "invalid_input",
        "reason: String should have at least 1 character",
    ),
    Bad(
        "reopen: by the assigned member",
        lambda w: w.on_task(w.done_task, "reopen", member("m-002"), reason="返工"),
        403,
        "forbidden",
        "role 'member' may not do this; it needs: secretary",
    ),
    Bad(
        "reopen: on a closed board",
        lambda w: w.on_task(w.closed_task, "reopen", secretary(), reason="返工"),
        409,
        "invalid_transition",
        "the project was withdrawn: its task board is closed",
    ),
    Bad(
        "cancel: a cancelled task",
        lambda w: w.on_task(w.cancelled_task, "cancel", secretary(), reason="再取消"),
        409,
        "invalid_transition",
        "the task is already cancelled",
    ),
    Bad(
        "cancel: a reason over 5000 characters",
        lambda w: w.on_task(w.open_task, "cancel", secretary(), reason="因" * 5001),
        422,
        "invalid_input",
        "reason: String should have at most 5000 characters",
    ),
    Bad(
        "cancel: a reason that is not a string",
        lambda w: w.on_task(w.open_task, "cancel", secretary(), reason={"text": "x"}),
        422,
        "invalid_input",
        "reason: Input should be a valid string",
    ),
    Bad(
        "cancel: by another branch's secretary",
        lambda w: w.on_task(w.open_task, "cancel", secretary("fgw-b2"), reason="x"),
        403,
        "forbidden",
        "you act for branch 'fgw-b2', not 'fgw-b1'",
    ),
    Bad(
        "cancel: by the committee",
        lambda w: w.on_task(w.open_task, "cancel", committee(), reason="x"),
        403,
        "forbidden",
        "role 'committee' may not do this; it needs: secretary",
    ),
    Bad(
        "cancel: an unknown task",
        lambda w: w.post(f"/tasks/{NOBODY}/cancel", {"expected_version": 1, "reason": "x"}, secretary()),
        404,
        "not_found",
        f"no task with id {NOBODY}",
    ),
    # -- POST /projects/{id}/milestones/{m}/met ------------------------------------------------
    Bad(
        "met: with an open task, which it names",
        lambda w: w.met("m1"),
        409,
        "invalid_transition",
        "milestone 'm1' has unfinished tasks: 走访企业",
    ),
    Bad(
        "met: twice",
        lambda w: w.met("m2"),
        409,
        "invalid_transition",
        "milestone 'm2' is already met",
    ),
    Bad(
        "met: a milestone not in the plan",
        lambda w: w.met("m9"),
        422,
        "invalid_input",
        "the project has no milestone 'm9'; its milestones are: m1, m2, m3",
    ),
    Bad(
        "met: an impossible date",
        lambda w: w.met("m3", met_on="2026-13-01"),
        422,
        "invalid_input",
        "met_on: Input should be a valid date",
    ),
    Bad(
        "met: a missing deliverable",
        lambda w: w.post(
            f"/projects/{w.pid}/milestones/m3/met", {"expected_version": 1, "met_on": "2026-09-01"}, secretary()
        ),
        422,
        "invalid_input",
        "deliverable: required",
    ),
    Bad(
        "met: a deliverable title over 200 characters",
        lambda w: w.met("m3", deliverable={"title": "成" * 201}),
        422,
        "invalid_input",
        "deliverable.title: String should have at most 200 characters",
    ),
    Bad(
        "met: an unknown field in the deliverable",
        lambda w: w.met("m3", deliverable={"title": "总结报告", "pages": 12}),
        422,
        "invalid_input",
        "deliverable.pages: unknown field; remove it",
    ),
    Bad(
        "met: a project without a board",
        lambda w: w.met("m1", project_id=NOBODY, expected_version=1),
        404,
        "not_found",
        f"project {NOBODY} has no task board: it is not approved (备案) yet",
    ),
    Bad(
        "met: a bad UUID in the path",
        lambda w: w.met("m1", project_id="p-1", expected_version=1),
        422,
        "invalid_input",
        "'p-1' is not a valid project id (a UUID)",
    ),
    Bad(
        "met: a stale expected_version",
        lambda w: w.met("m3", expected_version=1),
        409,
        "stale_version",
        "you sent expected_version 1, it is now at version",
    ),
    Bad(
        "met: on a closed board",
        lambda w: w.met("m1", project_id=w.closed_pid),
        409,
        "invalid_transition",
        "the project was withdrawn: its task board is closed",
    ),
    Bad(
        "met: by a member",
        lambda w: w.met("m3", member()),
        403,
        "forbidden",
        "role 'member' may not do this; it needs: secretary",
    ),
    Bad(
        "met: by another branch's secretary",
        lambda w: w.met("m3", secretary("fgw-b2")),
        403,
        "forbidden",
        "you act for branch 'fgw-b2', not 'fgw-b1'",
    ),
    Bad(
        "met: for a department this instance does not serve",
        lambda w: w.met("m1", secretary("zwb-b5", "zwb"), project_id=w.zwb_pid),
        421,
        "department_not_served",
        "this tasking instance serves fgw, not 'zwb'; send the command to that department's instance",
    ),
    # -- queries -----------------------------------------------------------------------------
    Bad(
        "read a task: a bad UUID",
        lambda w: w.client.get("/tasks/abc", headers=member()),
        422,
        "invalid_input",
        "'abc' is not a valid task id (a UUID)",
    ),
    Bad(
        "read a task: an unknown one",
        lambda w: w.client.get(f"/tasks/{NOBODY}", headers=member()),
        404,
        "not_found",
        f"no task with id {NOBODY}",
    ),
    Bad(
        "read a task: a member of another branch",
        lambda w: w.client.get(f"/tasks/{w.open_task['id']}", headers=member("m-003", "fgw-b2")),
        403,
        "forbidden",
        "you may not read this task",
    ),
    Bad(
        "read a task: another department's committee",
        lambda w: w.client.get(f"/tasks/{w.open_task['id']}", headers=committee("zwb")),
        403,
        "forbidden",
        "you may not read this task",
    ),
    Bad(
        "read a board: a project without one",
        lambda w: w.client.get(f"/projects/{NOBODY}/board", headers=secretary()),
        404,
        "not_found",
        "it is not approved (备案) yet",
    ),
    Bad(
        "read a board: another branch's secretary",
        lambda w: w.client.get(f"/projects/{w.pid}/board", headers=secretary("fgw-b2")),
        403,
        "forbidden",
        "you may not read this project's task board",
    ),
    Bad(
        "responsibility list: another member's",
        lambda w: w.client.get("/members/m-001/tasks", headers=member("m-002")),
        403,
        "forbidden",
        "a member sees their own responsibility list only",
    ),
    Bad(
        "responsibility list: no token",
        lambda w: w.client.get("/members/m-001/tasks"),
        401,
        "not_authenticated",
        "send 'Authorization: Bearer <token>'",
    ),
    Bad(
        "events: read by the committee",
        lambda w: w.client.get("/events", headers=committee()),
        403,
        "forbidden",
        "role 'committee' may not do this; it needs: auditor",
    ),
    Bad(
        "events: a limit of 0",
        lambda w: w.client.get("/events", params={"limit": 0}, headers=auditor()),
        422,
        "invalid_input",
        "query.limit: Input should be greater than or equal to 1",
    ),
    # -- PUT /evidence, GET /evidence/{sha256} -------------------------------------------------
    Bad(
        "upload: an empty file",
        lambda w: _upload(w, b""),
        422,
        "invalid_input",
        "the file is empty",
    ),
    Bad(
        "upload: a file over the limit",
        lambda w: _upload(w, b"x" * 900_001),
        422,
        "invalid_input",
        "the file is 900001 bytes; at most 900000 allowed",
    ),
    Bad(
        "upload: a body over 1 MB",
        lambda w: _upload(w, b"x" * 1_000_001),
        413,
        "body_too_large",
        "at most 1000000 bytes allowed",
    ),
    Bad(
        "upload: a body over 1 MB sent in chunks",
        lambda w: w.client.put(
            "/evidence",
            content=iter([b"x" * 600_000, b"x" * 600_000]),
            headers={**member(), "X-Filename": "big.bin", "Content-Type": "application/octet-stream"},
        ),
        413,
        "body_too_large",
        "at most 1000000 bytes allowed",
    ),
    Bad(
        "upload: no X-Filename",
        lambda w: _upload(w, b"content", filename=None),
        422,
        "invalid_input",
        "header.x-filename: required",
    ),
    Bad(
        "upload: an X-Filename over 200 characters",
        lambda w: _upload(w, b"content", filename="f" * 201),
        422,
        "invalid_input",
        "header.x-filename: String should have at most 200 characters",
    ),
    Bad(
        "upload: by the committee",
        lambda w: _upload(w, b"content", committee()),
        403,
        "forbidden",
        "role 'committee' may not do this; it needs: member",
    ),
    Bad(
        "upload: no token",
        lambda w: w.client.put("/evidence", content=b"content", headers={"X-Filename": "a.txt"}),
        401,
        "not_authenticated",
        "send 'Authorization: Bearer <token>'",
    ),
    Bad(
        "download: a file never uploaded",
        lambda w: w.client.get(f"/evidence/{NEVER_UPLOADED}", headers=member()),
        404,
        "not_found",
        f"no evidence file with SHA-256 {NEVER_UPLOADED}",
    ),
]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(b, id=b.name, marks=[pytest.mark.xfail(strict=True, reason=b.known_bug)] if b.known_bug else [])
        for b in BAD
    ],
)
def test_bad_input_is_refused_with_a_problem_that_says_what_is_wrong_and_nothing_is_recorded(
    world: World, bad: Bad
) -> None:
    with nothing_recorded(world.app, world.dsn):
        response = bad.send(world)
    assert response.status_code == bad.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == bad.status and problem["code"] == bad.code
    assert problem["type"].endswith(f"/problems/{bad.code}")
    assert bad.detail in problem["detail"], problem["detail"]


def test_every_mistake_in_a_body_is_named_at_once(world: World) -> None:
    with nothing_recorded(world.app, world.dsn):
        response = world.post(
            _tasks(world), {"title": "", "due": "2026-02-30", "assignee": 7, "colour": "red"}, secretary()
        )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert len(errors) == 5, errors
    for expected in (
        "title: String should have at least 1 character",
        "due: Input should be a valid date",
        "milestone_id: required",
        "assignee: Input should be a valid string",
        "colour: unknown field; remove it",
    ):
        assert any(e.startswith(expected) for e in errors), (expected, errors)


def test_a_stale_version_conflict_says_which_version_is_current(world: World) -> None:
    task = create_task(world.client, world.pid, title="并发修改的任务", milestone_id="m3")
    act(world.client, task, "progress", member(), percent=10)
    with nothing_recorded(world.app, world.dsn):
        stale = world.post(f"/tasks/{task['id']}/progress", {"expected_version": 1, "percent": 20}, member())
    assert stale.status_code == 409
    problem = stale.json()
    assert problem["code"] == "stale_version"
    assert (problem["expected_version"], problem["current_version"]) == (1, 2)
    fresh = act(world.client, {**task, "version": 2}, "progress", member(), percent=20)
    assert fresh["version"] == 3 and fresh["percent"] == 20


# -- idempotency and concurrency, each on a fresh instance ---------------------------------------


@dataclass
class Fresh:
    client: TestClient
    app: TaskingApplication
    dsn: str
    pid: str


@pytest.fixture
def fresh(new_database: Callable[[str], str]) -> Iterator[Fresh]:
    with tasking(new_database) as (client, app, dsn):
        yield Fresh(client, app, dsn, open_board(app))


def test_the_same_create_with_the_same_idempotency_key_makes_one_task(fresh: Fresh) -> None:
    before = event_count(fresh.client)
    first = create_task(fresh.client, fresh.pid, secretary(request_id="create-once"))
    recorded = event_count(fresh.client)
    assert recorded == before + 2  # Task.Created and TaskBoard.TaskAdded
    again = create_task(fresh.client, fresh.pid, secretary(request_id="create-once"))
    assert again == first
    assert event_count(fresh.client) == recorded
    board = ok(fresh.client.get(f"/projects/{fresh.pid}/board", headers=secretary()))
    assert [t["id"] for t in board["tasks"]] == [first["id"]]
    other = create_task(fresh.client, fresh.pid, secretary(request_id="create-twice"))
    assert other["id"] != first["id"]
    assert event_count(fresh.client) == recorded + 2


def test_a_retried_progress_report_with_the_same_key_is_recorded_once(fresh: Fresh) -> None:
    task = create_task(fresh.client, fresh.pid)
    before = event_count(fresh.client)
    body = {"expected_version": 1, "percent": 40, "note": "已走访4家", "evidence": [_link()]}
    first = ok(fresh.client.post(f"/tasks/{task['id']}/progress", json=body, headers=member(request_id="report-1")))
    assert first["version"] == 2 and len(first["reports"]) == 1
    again = ok(fresh.client.post(f"/tasks/{task['id']}/progress", json=body, headers=member(request_id="report-1")))
    assert again == first
    assert event_count(fresh.client) == before + 1
    # A new request with the now stale version is a conflict, not a silent success.
    other = fresh.client.post(f"/tasks/{task['id']}/progress", json=body, headers=member())
    assert other.status_code == 409 and other.json()["code"] == "stale_version"
    assert event_count(fresh.client) == before + 1


def test_concurrent_creates_of_different_tasks_on_one_board_all_succeed(fresh: Fresh) -> None:
    n = 5  # create_task retries a board conflict 5 times: each loss is another's success, so all n succeed
    before = event_count(fresh.client)
    responses = race(
        lambda i: fresh.client.post(
            f"/projects/{fresh.pid}/tasks",
            json=task_body(title=f"任务{i}", assignee=("m-001", "m-002")[i % 2]),
            headers=secretary(),
        ),
        n,
    )
    assert [r.status_code for r in responses] == [201] * n, [r.text for r in responses]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == n
    board = ok(fresh.client.get(f"/projects/{fresh.pid}/board", headers=secretary()))
    assert {t["id"] for t in board["tasks"]} == ids
    assert board["version"] == 1 + n
    assert board["milestones"][0]["tasks"] == n
    assert event_count(fresh.client) == before + 2 * n


def test_two_concurrent_creates_with_the_same_key_make_one_task(fresh: Fresh) -> None:
    before = event_count(fresh.client)
    responses = race(
        lambda i: fresh.client.post(
            f"/projects/{fresh.pid}/tasks", json=task_body(), headers=secretary(request_id="same-key")
        ),
        2,
    )
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert event_count(fresh.client) == before + 2
    board = ok(fresh.client.get(f"/projects/{fresh.pid}/board", headers=secretary()))
    assert len(board["tasks"]) == 1


def test_two_concurrent_reports_from_the_same_version_give_one_success_and_one_conflict(fresh: Fresh) -> None:
    task = create_task(fresh.client, fresh.pid)
    before = event_count(fresh.client)
    responses = race(
        lambda i: fresh.client.post(
            f"/tasks/{task['id']}/progress", json={"expected_version": 1, "percent": 10 + i}, headers=member()
        ),
        2,
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["code"] == "stale_version"
    assert event_count(fresh.client) == before + 1


# -- what the API does when the input is good ---------------------------------------------------


def test_a_task_goes_through_its_lifecycle_and_its_milestone_is_met(fresh: Fresh) -> None:
    client = fresh.client
    task = create_task(client, fresh.pid, description="走访10家重点企业")
    assert (task["state"], task["state_label"], task["assignee_name"], task["version"]) == ("open", "进行中", "李扬", 1)
    task = act(client, task, "assign", secretary(), assignee="m-002")
    assert (task["assignee"], task["assignee_name"]) == ("m-002", "刘莉")
    task = act(client, task, "progress", member("m-002"), percent=60, note="已走访6家")
    task = act(client, task, "complete", member("m-002"), note="全部走访")
    assert (task["state"], task["percent"], task["state_label"]) == ("done", 100, "已完成")
    task = act(client, task, "reopen", secretary(), reason="补充记录")
    assert task["state"] == "open"
    task = act(client, task, "complete", member("m-002"))
    board = ok(client.get(f"/projects/{fresh.pid}/board", headers=secretary()))
    met = ok(
        client.post(
            f"/projects/{fresh.pid}/milestones/m1/met",
            json={"expected_version": board["version"], "deliverable": {"title": "走访报告"}, "met_on": "2026-03-20"},
            headers=secretary(),
        )
    )
    m1 = met["milestones"][0]
    assert (m1["met"]["met_on"], m1["met"]["deliverable"]["title"], m1["tasks"], m1["done"], m1["percent"]) == (
        "2026-03-20",
        "走访报告",
        1,
        1,
        100,
    )
    types = [
        e["type"]
        for e in ok(client.get("/events", params={"limit": 1000}, headers=auditor()))["events"]
        if e["aggregate_id"] == task["id"]
    ]
    assert types == [
        "tasking.Task.Created",
        "tasking.Task.Assigned",
        "tasking.Task.ProgressReported",
        "tasking.Task.Completed",
        "tasking.Task.Reopened",
        "tasking.Task.Completed",
    ]


def test_a_member_sees_their_own_responsibility_list_and_the_secretary_their_branchs(fresh: Fresh) -> None:
    client, app = fresh.client, fresh.app
    other_branch = open_board(app, branch="fgw-b2")
    mine = create_task(client, fresh.pid, title="走访企业", assignee="m-001")
    theirs = create_task(client, fresh.pid, title="建立台账", assignee="m-002")
    elsewhere = create_task(client, other_branch, secretary("fgw-b2"), title="政策宣讲", assignee="m-003")

    def titles(member_id: str, who: dict[str, str]) -> list[str]:
        return sorted(t["title"] for t in ok(client.get(f"/members/{member_id}/tasks", headers=who)))

    assert titles("m-001", member("m-001")) == [mine["title"]]
    assert titles("m-002", member("m-002")) == [theirs["title"]]
    assert titles("m-003", member("m-003", "fgw-b2")) == [elsewhere["title"]]
    assert client.get("/members/m-001/tasks", headers=member("m-002")).status_code == 403
    assert titles("m-001", secretary()) == [mine["title"]]
    assert titles("m-002", secretary()) == [theirs["title"]]
    assert titles("m-003", secretary()) == []  # not of fgw-b1
    assert titles("m-003", secretary("fgw-b2")) == [elsewhere["title"]]
    assert titles("m-001", secretary("fgw-b2")) == []
    assert titles("m-001", committee()) == [mine["title"]]
    assert titles("m-001", committee("zwb")) == []
    # the list follows reassignment
    act(client, theirs, "assign", secretary(), assignee="m-001")
    assert titles("m-001", member("m-001")) == sorted([mine["title"], theirs["title"]])
    assert titles("m-002", member("m-002")) == []


def test_evidence_is_uploaded_once_referenced_by_reports_and_downloaded_as_an_attachment(fresh: Fresh) -> None:
    client = fresh.client
    content = "走访记录：10家企业\n<script>alert(1)</script>".encode()
    digest = hashlib.sha256(content).hexdigest()
    upload = client.put(
        "/evidence", content=content, headers={**member(), "X-Filename": "visits.html", "Content-Type": "text/html"}
    )
    assert ok(upload, 201) == {
        "kind": "file",
        "sha256": digest,
        "name": "visits.html",
        "size": len(content),
        "media_type": "text/html",
    }
    again = client.put("/evidence", content=content, headers={**secretary(), "X-Filename": "copy.html"})
    assert ok(again, 201)["sha256"] == digest
    assert evidence_rows(fresh.dsn) == 1

    download = client.get(f"/evidence/{digest}", headers=member("m-002"))
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["content-type"] == "application/octet-stream"  # text/html is not served as itself

    task = create_task(client, fresh.pid)
    evidence = [{"kind": "file", "sha256": digest}, _link("http://example.org/photos", title="照片")]
    reported = act(client, task, "progress", member(), percent=30, evidence=evidence)
    assert reported["reports"] == [
        {
            "percent": 30,
            "note": "",
            "evidence": [
                {
                    "kind": "file",
                    "sha256": digest,
                    "name": "visits.html",
                    "size": len(content),
                    "media_type": "text/html",
                },
                {"kind": "link", "url": "http://example.org/photos", "title": "照片"},
            ],
        }
    ]


def test_openapi_lists_every_route(world: World) -> None:
    paths = ok(world.client.get("/openapi.json"))["paths"]
    expected = {
        "/projects/{project_id}/tasks": {"post"},
        "/tasks/{task_id}": {"get"},
        "/tasks/{task_id}/assign": {"post"},
        "/tasks/{task_id}/progress": {"post"},
        "/tasks/{task_id}/complete": {"post"},
        "/tasks/{task_id}/reopen": {"post"},
        "/tasks/{task_id}/cancel": {"post"},
        "/projects/{project_id}/milestones/{milestone_id}/met": {"post"},
        "/projects/{project_id}/board": {"get"},
        "/members/{member_id}/tasks": {"get"},
        "/evidence": {"put"},
        "/evidence/{sha256}": {"get"},
        "/events": {"get"},
        "/health": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, f"{path} missing from the OpenAPI document"
        assert methods <= set(paths[path]), f"{path}: {set(paths[path])}"
