"""The filing API in-process over the real asyncpg event store: bad input is refused, nothing is lost.

Every refusal is a problem-details JSON body whose `detail` says what is wrong, and the event
store holds exactly what it held before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.filing.config import FilingSettings
from services.filing.main import create_app
from shared.auth import Principal, Role, TokenIssuer
from shared.auth.keys import SigningKey
from tests.support import ISSUER, KEY, TRUST, headers, milestones, project_body, race

pytestmark = pytest.mark.integration

ORGANISATION = {
    "departments": [
        {
            "code": "fgw",
            "name": "市发改委",
            "branches": [
                {
                    "code": "fgw-b1",
                    "name": "第一党支部",
                    "secretary": {"id": "s-fgw-1", "name": "王强"},
                    "members": [{"id": "m-001", "name": "李扬"}, {"id": "m-002", "name": "刘莉"}],
                },
                {
                    "code": "fgw-b2",
                    "name": "第二党支部",
                    "secretary": {"id": "s-fgw-2", "name": "赵敏"},
                    "members": [{"id": "m-003", "name": "孙浩"}],
                },
            ],
        }
    ]
}

TOPIC = {"year": 2026, "direction": "business_environment", "title": "优化审批服务", "description": "放管服"}


def committee(department: str = "fgw", request_id: str | None = None) -> dict[str, str]:
    return headers(Role.COMMITTEE, department, request_id=request_id)


def secretary(branch: str = "fgw-b1", department: str = "fgw", request_id: str | None = None) -> dict[str, str]:
    return headers(Role.SECRETARY, department, branch, request_id=request_id)


def member(branch: str = "fgw-b1") -> dict[str, str]:
    return headers(Role.MEMBER, "fgw", branch)


def auditor() -> dict[str, str]:
    return headers(Role.AUDITOR)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}


def build(new_database: Callable[[str], str]) -> tuple[FastAPI, TestClient]:
    app = create_app(FilingSettings(database_dsn=new_database("filing"), departments="fgw", token_keys=TRUST))
    client = TestClient(app)
    imported = client.post("/organisation", json=ORGANISATION, headers=headers(Role.ADMIN))
    assert imported.status_code == 200, imported.text
    return app, client


def event_ids(client: TestClient) -> list[str]:
    """Every recorded event's id, read as an auditor through GET /events."""
    ids: list[str] = []
    after = 0
    while True:
        response = client.get("/events", params={"after": after, "limit": 1000}, headers=auditor())
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [e["event_id"] for e in page["events"]]
        if not page["more"]:
            return ids
        after = page["next_after"]


def last_position(app: FastAPI) -> int:
    return app.state.filing.recorder.max_notification_id() or 0


@contextmanager
def nothing_recorded(app: FastAPI, client: TestClient) -> Iterator[None]:
    before, position = event_ids(client), last_position(app)
    yield
    assert last_position(app) == position, "an event was recorded"
    assert event_ids(client) == before


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def pose_topic(client: TestClient, **overrides: Any) -> dict[str, Any]:
    return ok(client.post("/topics", json={**TOPIC, **overrides}, headers=committee()), 201)


def draft_project(client: TestClient, topic_id: str, branch: str = "fgw-b1", **overrides: Any) -> dict[str, Any]:
    body = {**project_body(topic_id), **overrides}
    return ok(client.post("/projects", json=body, headers=secretary(branch)), 201)


def act(client: TestClient, project: dict[str, Any], path: str, who: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("expected_version", project["version"])
    return ok(client.post(f"/projects/{project['id']}/{path}", json=body, headers=who))


# -- every kind of bad input, against one shared instance -------------------------------------


@dataclass
class World:
    app: FastAPI
    client: TestClient
    topic: dict[str, Any]
    withdrawn_topic: dict[str, Any]
    draft: dict[str, Any]

    @property
    def pid(self) -> str:
        return self.draft["id"]


@pytest.fixture(scope="module")
def world(new_database: Callable[[str], str]) -> Iterator[World]:
    app, client = build(new_database)
    topic = pose_topic(client)
    withdrawn = pose_topic(client, title="已撤回的题目")
    ok(
        client.post(
            f"/topics/{withdrawn['id']}/withdraw",
            json={"expected_version": 1, "reason": "方向调整"},
            headers=committee(),
        )
    )
    project = draft_project(client, topic["id"])
    try:
        yield World(app, client, topic, withdrawn, project)
    finally:
        client.close()
        app.state.filing.close()


def _draft_body(w: World, **changes: Any) -> dict[str, Any]:
    body = project_body(w.topic["id"])
    body.update(changes)
    return body


def _bad_milestone(w: World, index: int, **changes: Any) -> dict[str, Any]:
    body = project_body(w.topic["id"])
    body["milestones"][index].update(changes)
    return body


def _json(
    client: TestClient, path: str, content: bytes, who: dict[str, str], content_type: str = "application/json"
) -> httpx.Response:
    return client.post(path, content=content, headers={**who, "Content-Type": content_type})


def _expired() -> dict[str, str]:
    return bearer(ISSUER.mint(Principal("c", Role.COMMITTEE, "fgw"), ttl_seconds=-10))


@dataclass(frozen=True)
class Bad:
    name: str
    send: Callable[[World], httpx.Response]
    status: int
    code: str
    detail: str


BAD: list[Bad] = [
    # the body is not what the API takes
    Bad(
        "malformed JSON",
        lambda w: _json(w.client, "/topics", b'{"year": 2026,', committee()),
        422,
        "invalid_input",
        "the body is not valid JSON (Expecting property name enclosed in double quotes)",
    ),
    Bad(
        "JSON that is not an object",
        lambda w: w.client.post("/topics", json=[TOPIC], headers=committee()),
        422,
        "invalid_input",
        "request body: Input should be a valid dictionary",
    ),
    Bad(
        "a form instead of JSON",
        lambda w: _json(w.client, "/topics", b"year=2026&title=x", committee(), "application/x-www-form-urlencoded"),
        422,
        "invalid_input",
        "request body: Input should be a valid dictionary",
    ),
    Bad(
        "an unknown field",
        lambda w: w.client.post("/topics", json={**TOPIC, "colour": "red"}, headers=committee()),
        422,
        "invalid_input",
        "colour: unknown field; remove it",
    ),
    Bad(
        "an unknown field in a milestone",
        lambda w: w.client.post("/projects", json=_bad_milestone(w, 0, owner="李扬"), headers=secretary()),
        422,
        "invalid_input",
        "milestones[0].owner: unknown field; remove it",
    ),
    Bad(
        "a year that is not a number",
        lambda w: w.client.post("/topics", json={**TOPIC, "year": "明年"}, headers=committee()),
        422,
        "invalid_input",
        "year: Input should be a valid integer",
    ),
    Bad(
        "targets that are not a list",
        lambda w: w.client.post("/projects", json=_draft_body(w, targets="办理时限压缩"), headers=secretary()),
        422,
        "invalid_input",
        "targets: Input should be a valid list",
    ),
    Bad(
        "an expected_version that is not a number",
        lambda w: w.client.post(f"/projects/{w.pid}/submit", json={"expected_version": "one"}, headers=secretary()),
        422,
        "invalid_input",
        "expected_version: Input should be a valid integer",
    ),
    Bad(
        "an expected_version below 1",
        lambda w: w.client.post(f"/projects/{w.pid}/submit", json={"expected_version": 0}, headers=secretary()),
        422,
        "invalid_input",
        "expected_version: Input should be greater than or equal to 1",
    ),
    Bad(
        "a null title",
        lambda w: w.client.post("/topics", json={**TOPIC, "title": None}, headers=committee()),
        422,
        "invalid_input",
        "title: Input should be a valid string",
    ),
    Bad(
        "a missing title",
        lambda w: w.client.post("/topics", json={k: v for k, v in TOPIC.items() if k != "title"}, headers=committee()),
        422,
        "invalid_input",
        "title: required",
    ),
    Bad(
        "a missing expected_version",
        lambda w: w.client.post(f"/projects/{w.pid}/submit", json={}, headers=secretary()),
        422,
        "invalid_input",
        "expected_version: required",
    ),
    Bad(
        "a missing responsible person",
        lambda w: w.client.post(
            "/projects", json={k: v for k, v in _draft_body(w).items() if k != "responsible"}, headers=secretary()
        ),
        422,
        "invalid_input",
        "responsible: required",
    ),
    Bad(
        "a blank title",
        lambda w: w.client.post("/topics", json={**TOPIC, "title": "   "}, headers=committee()),
        422,
        "invalid_input",
        "title: String should have at least 1 character",
    ),
    Bad(
        "a title over 200 characters",
        lambda w: w.client.post("/topics", json={**TOPIC, "title": "题" * 201}, headers=committee()),
        422,
        "invalid_input",
        "title: String should have at most 200 characters",
    ),
    Bad(
        "a goal over 5000 characters",
        lambda w: w.client.post("/projects", json=_draft_body(w, goal="目" * 5001), headers=secretary()),
        422,
        "invalid_input",
        "goal: String should have at most 5000 characters",
    ),
    Bad(
        "a revised title over 200 characters",
        lambda w: w.client.post(
            f"/projects/{w.pid}/revise", json={"expected_version": 1, "title": "x" * 201}, headers=secretary()
        ),
        422,
        "invalid_input",
        "title: String should have at most 200 characters",
    ),
    Bad(
        "a body over 1 MB",
        lambda w: _json(w.client, "/topics", b" " * 1_000_001, committee()),
        413,
        "body_too_large",
        "the body is 1000001 bytes or more; at most 1000000 bytes allowed",
    ),
    Bad(
        "an invalid direction code",
        lambda w: w.client.post("/topics", json={**TOPIC, "direction": "economy"}, headers=committee()),
        422,
        "invalid_input",
        "direction: Input should be 'party_building', 'high_quality_development', 'business_environment' "
        "or 'work_upgrade'",
    ),
    Bad(
        "a year out of range",
        lambda w: w.client.post("/topics", json={**TOPIC, "year": 1999}, headers=committee()),
        422,
        "invalid_input",
        "year: Input should be greater than or equal to 2000",
    ),
    Bad(
        "an invalid date",
        lambda w: w.client.post("/projects", json=_bad_milestone(w, 1, due="2026-02-30"), headers=secretary()),
        422,
        "invalid_input",
        "milestones[1].due: Input should be a valid date",
    ),
    Bad(
        "milestones out of order",
        lambda w: w.client.post(
            "/projects", json=_draft_body(w, milestones=milestones("2026-06-30", "2026-03-31")), headers=secretary()
        ),
        422,
        "invalid_input",
        "milestones must be in order of their due dates",
    ),
    Bad(
        "a milestone id used twice",
        lambda w: w.client.post(
            "/projects",
            json=_draft_body(w, milestones=[{**m, "id": "m1"} for m in milestones("2026-03-31", "2026-06-30")]),
            headers=secretary(),
        ),
        422,
        "invalid_input",
        "milestone 2: id 'm1' is used twice",
    ),
    Bad(
        "no milestones",
        lambda w: w.client.post("/projects", json=_draft_body(w, milestones=[]), headers=secretary()),
        422,
        "invalid_input",
        "milestones: List should have at least 1 item",
    ),
    Bad(
        "an Idempotency-Key over 128 characters",
        lambda w: w.client.post("/topics", json=TOPIC, headers=committee(request_id="k" * 129)),
        422,
        "invalid_input",
        "the Idempotency-Key header must be 1–128 characters",
    ),
    Bad(
        "an unknown state in a query",
        lambda w: w.client.get("/projects?state=done", headers=committee()),
        422,
        "invalid_input",
        "query.state: Input should be 'draft'",
    ),
    # the lifecycle
    Bad(
        "approving a draft",
        lambda w: w.client.post(f"/projects/{w.pid}/approve", json={"expected_version": 1}, headers=committee()),
        409,
        "invalid_transition",
        "only a submitted project can be approved; this one is draft",
    ),
    Bad(
        "returning a draft",
        lambda w: w.client.post(
            f"/projects/{w.pid}/return", json={"expected_version": 1, "reasons": ["x"]}, headers=committee()
        ),
        409,
        "invalid_transition",
        "only a submitted project can be returned; this one is draft",
    ),
    Bad(
        "changing a draft's milestones by re-approval",
        lambda w: w.client.post(
            f"/projects/{w.pid}/milestone-change",
            json={"expected_version": 1, "milestones": milestones("2026-12-31"), "reason": "推迟"},
            headers=secretary(),
        ),
        409,
        "invalid_transition",
        "only an approved project's milestones can be changed; this one is draft",
    ),
    Bad(
        "revising a withdrawn topic",
        lambda w: w.client.post(
            f"/topics/{w.withdrawn_topic['id']}/revise",
            json={"expected_version": 2, "title": "新"},
            headers=committee(),
        ),
        409,
        "invalid_transition",
        "a withdrawn topic cannot be revised",
    ),
    Bad(
        "drafting under a withdrawn topic",
        lambda w: w.client.post("/projects", json=project_body(w.withdrawn_topic["id"]), headers=secretary()),
        409,
        "invalid_transition",
        "the topic has been withdrawn; choose an open topic",
    ),
    Bad(
        "a stale expected_version",
        lambda w: w.client.post(f"/projects/{w.pid}/submit", json={"expected_version": 5}, headers=secretary()),
        409,
        "stale_version",
        "you sent expected_version 5, it is now at version 1; reload it and decide again",
    ),
    # ids
    Bad(
        "a bad UUID in the path",
        lambda w: w.client.post("/projects/not-a-uuid/submit", json={"expected_version": 1}, headers=secretary()),
        422,
        "invalid_input",
        "'not-a-uuid' is not a valid project id (a UUID)",
    ),
    Bad(
        "a bad UUID in a topic's path",
        lambda w: w.client.get("/topics/123", headers=committee()),
        422,
        "invalid_input",
        "'123' is not a valid topic id (a UUID)",
    ),
    Bad(
        "a bad topic id in the body",
        lambda w: w.client.post("/projects", json=project_body("abc"), headers=secretary()),
        422,
        "invalid_input",
        "'abc' is not a valid topic id (a UUID)",
    ),
    Bad(
        "an unknown project id",
        lambda w: w.client.post(
            "/projects/00000000-0000-4000-8000-000000000000/approve", json={"expected_version": 1}, headers=committee()
        ),
        404,
        "not_found",
        "no project with id 00000000-0000-4000-8000-000000000000",
    ),
    Bad(
        "an unknown topic id",
        lambda w: w.client.post(
            "/projects", json=project_body("00000000-0000-4000-8000-000000000001"), headers=secretary()
        ),
        404,
        "not_found",
        "no topic with id 00000000-0000-4000-8000-000000000001",
    ),
    Bad(
        "a topic id given as a project id",
        lambda w: w.client.get(f"/projects/{w.topic['id']}", headers=committee()),
        404,
        "not_found",
        "no project with id",
    ),
    # who is asking
    Bad(
        "no token",
        lambda w: w.client.post("/topics", json=TOPIC),
        401,
        "not_authenticated",
        "send 'Authorization: Bearer <token>'",
    ),
    Bad(
        "another auth scheme",
        lambda w: w.client.post("/topics", json=TOPIC, headers={"Authorization": "Basic eDp5"}),
        401,
        "not_authenticated",
        "send 'Authorization: Bearer <token>'",
    ),
    Bad(
        "an invalid token",
        lambda w: w.client.post("/topics", json=TOPIC, headers=bearer("not.a.token")),
        401,
        "not_authenticated",
        "the bearer token is not a JWT",
    ),
    Bad(
        "a token signed with another key under our key's id",
        lambda w: w.client.post(
            "/topics",
            json=TOPIC,
            headers=bearer(TokenIssuer(SigningKey.generate(KEY.kid)).mint(Principal("c", Role.COMMITTEE, "fgw"))),
        ),
        401,
        "not_authenticated",
        "the bearer token is not valid: Signature verification failed",
    ),
    Bad(
        "a token signed with a key nobody trusts",
        lambda w: w.client.post(
            "/topics",
            json=TOPIC,
            headers=bearer(TokenIssuer(SigningKey.generate()).mint(Principal("c", Role.COMMITTEE, "fgw"))),
        ),
        401,
        "not_authenticated",
        "the bearer token is signed by an unknown key",
    ),
    Bad(
        "an expired token",
        lambda w: w.client.post("/topics", json=TOPIC, headers=_expired()),
        401,
        "not_authenticated",
        "the bearer token has expired; ask for a new one",
    ),
    Bad(
        "a member approving",
        lambda w: w.client.post(f"/projects/{w.pid}/approve", json={"expected_version": 1}, headers=member()),
        403,
        "forbidden",
        "role 'member' may not do this; it needs: committee",
    ),
    Bad(
        "a secretary posing a topic",
        lambda w: w.client.post("/topics", json=TOPIC, headers=secretary()),
        403,
        "forbidden",
        "role 'secretary' may not do this; it needs: committee",
    ),
    Bad(
        "a committee drafting a project",
        lambda w: w.client.post("/projects", json=project_body(w.topic["id"]), headers=committee()),
        403,
        "forbidden",
        "role 'committee' may not do this; it needs: secretary",
    ),
    Bad(
        "a committee reading the event feed",
        lambda w: w.client.get("/events", headers=committee()),
        403,
        "forbidden",
        "role 'committee' may not do this; it needs: auditor",
    ),
    Bad(
        "a secretary importing the organisation",
        lambda w: w.client.post("/organisation", json=ORGANISATION, headers=secretary()),
        403,
        "forbidden",
        "role 'secretary' may not do this; it needs: admin",
    ),
    Bad(
        "another department's committee approving",
        lambda w: w.client.post(f"/projects/{w.pid}/approve", json={"expected_version": 1}, headers=committee("zwb")),
        403,
        "forbidden",
        "you act for department 'zwb', not 'fgw'",
    ),
    Bad(
        "another department's committee revising a topic",
        lambda w: w.client.post(
            f"/topics/{w.topic['id']}/revise", json={"expected_version": 1, "title": "改"}, headers=committee("zwb")
        ),
        403,
        "forbidden",
        "you act for department 'zwb', not 'fgw'",
    ),
    Bad(
        "another department's secretary drafting",
        lambda w: w.client.post("/projects", json=project_body(w.topic["id"]), headers=secretary("zwb-b5", "zwb")),
        403,
        "forbidden",
        "you act for department 'zwb', not 'fgw'",
    ),
    Bad(
        "another branch's secretary submitting",
        lambda w: w.client.post(f"/projects/{w.pid}/submit", json={"expected_version": 1}, headers=secretary("fgw-b2")),
        403,
        "forbidden",
        "you act for branch 'fgw-b2', not 'fgw-b1'",
    ),
    Bad(
        "a secretary of an unregistered branch",
        lambda w: w.client.post("/projects", json=project_body(w.topic["id"]), headers=secretary("fgw-b9")),
        403,
        "forbidden",
        "branch 'fgw-b9' is not registered in department 'fgw'",
    ),
    Bad(
        "a secretary whose token names no branch",
        lambda w: w.client.post("/projects", json=project_body(w.topic["id"]), headers=headers(Role.SECRETARY, "fgw")),
        403,
        "forbidden",
        "your token names no branch",
    ),
    Bad(
        "a member of another branch reading a project",
        lambda w: w.client.get(f"/projects/{w.pid}", headers=member("fgw-b2")),
        403,
        "forbidden",
        "you may not read this project",
    ),
    Bad(
        "a command for a department this instance does not serve",
        lambda w: w.client.post("/topics", json=TOPIC, headers=committee("zwb")),
        421,
        "department_not_served",
        "this filing instance serves fgw, not 'zwb'",
    ),
    Bad(
        "an organisation import for a department this instance does not serve",
        lambda w: w.client.post(
            "/organisation", json={"departments": [{"code": "zwb", "name": "市政务办"}]}, headers=headers(Role.ADMIN)
        ),
        421,
        "department_not_served",
        "this filing instance serves fgw, not 'zwb'",
    ),
]


@pytest.mark.parametrize("bad", BAD, ids=[b.name for b in BAD])
def test_bad_input_is_refused_with_a_problem_that_says_what_is_wrong_and_nothing_is_recorded(
    world: World, bad: Bad
) -> None:
    with nothing_recorded(world.app, world.client):
        response = bad.send(world)
    assert response.status_code == bad.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == bad.status and problem["code"] == bad.code
    assert problem["type"].endswith(f"/problems/{bad.code}")
    assert bad.detail in problem["detail"]


def test_every_mistake_in_a_body_is_named_at_once(world: World) -> None:
    with nothing_recorded(world.app, world.client):
        response = world.client.post(
            "/topics", json={"year": "next", "direction": "economy", "colour": "red"}, headers=committee()
        )
    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == sorted(
        [
            "year: Input should be a valid integer, unable to parse string as an integer",
            "direction: Input should be 'party_building', 'high_quality_development', 'business_environment' "
            "or 'work_upgrade'",
            "title: required",
            "colour: unknown field; remove it",
        ]
    )


def test_a_stale_version_conflict_says_which_version_is_current_and_that_one_succeeds(world: World) -> None:
    client = world.client
    topic = pose_topic(client, title="并发修改的题目")
    ok(
        client.post(
            f"/topics/{topic['id']}/revise", json={"expected_version": 1, "description": "第一次"}, headers=committee()
        )
    )
    with nothing_recorded(world.app, client):
        stale = client.post(
            f"/topics/{topic['id']}/revise", json={"expected_version": 1, "description": "第二次"}, headers=committee()
        )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2 and stale.json()["expected_version"] == 1
    fresh = ok(
        client.post(
            f"/topics/{topic['id']}/revise", json={"expected_version": 2, "description": "第二次"}, headers=committee()
        )
    )
    assert fresh["version"] == 3 and fresh["description"] == "第二次"


def test_a_body_over_1_mb_sent_in_chunks_is_refused_with_413(world: World) -> None:
    big = b'{"year": 2026, "direction": "work_upgrade", "title": "x", "description": "' + b"x" * 1_200_000 + b'"}'
    chunks = iter([big[:600_000], big[600_000:]])
    with nothing_recorded(world.app, world.client):
        response = world.client.post(
            "/topics", content=chunks, headers={**committee(), "Content-Type": "application/json"}
        )
    assert response.status_code == 413


# -- idempotency and concurrency, each on a fresh instance -------------------------------------


@pytest.fixture
def fresh(new_database: Callable[[str], str]) -> Iterator[tuple[FastAPI, TestClient]]:
    app, client = build(new_database)
    try:
        yield app, client
    finally:
        client.close()
        app.state.filing.close()


def test_the_same_topic_posted_twice_with_one_idempotency_key_is_recorded_once(
    fresh: tuple[FastAPI, TestClient],
) -> None:
    _, client = fresh
    before = len(event_ids(client))
    first = ok(client.post("/topics", json=TOPIC, headers=committee(request_id="pose-once")), 201)
    again = ok(client.post("/topics", json=TOPIC, headers=committee(request_id="pose-once")), 201)
    assert again["id"] == first["id"] and again["version"] == 1
    assert len(event_ids(client)) == before + 1
    other = ok(client.post("/topics", json=TOPIC, headers=committee(request_id="pose-twice")), 201)
    assert other["id"] != first["id"]
    assert len(event_ids(client)) == before + 2


def test_the_same_project_drafted_twice_with_one_idempotency_key_is_recorded_once(
    fresh: tuple[FastAPI, TestClient],
) -> None:
    _, client = fresh
    topic = pose_topic(client)
    before = len(event_ids(client))
    first = ok(client.post("/projects", json=project_body(topic["id"]), headers=secretary(request_id="d-1")), 201)
    again = ok(client.post("/projects", json=project_body(topic["id"]), headers=secretary(request_id="d-1")), 201)
    assert again["id"] == first["id"]
    assert len(event_ids(client)) == before + 1


def test_a_retried_approval_with_the_same_key_and_a_now_stale_version_answers_200_and_records_nothing(
    fresh: tuple[FastAPI, TestClient],
) -> None:
    app, client = fresh
    project = draft_project(client, pose_topic(client)["id"])
    submitted = act(client, project, "submit", secretary())
    approve = {"expected_version": submitted["version"]}
    first = ok(
        client.post(f"/projects/{project['id']}/approve", json=approve, headers=committee(request_id="approve-once"))
    )
    assert first["state"] == "approved" and first["version"] == 3
    with nothing_recorded(app, client):
        retried = client.post(
            f"/projects/{project['id']}/approve", json=approve, headers=committee(request_id="approve-once")
        )
    assert ok(retried) == first
    # A new request with the same stale version is a conflict, not a silent success.
    with nothing_recorded(app, client):
        other = client.post(f"/projects/{project['id']}/approve", json=approve, headers=committee())
    assert other.status_code == 409 and other.json()["code"] == "stale_version"


def test_two_concurrent_updates_from_the_same_version_give_one_success_and_one_conflict(
    fresh: tuple[FastAPI, TestClient],
) -> None:
    _, client = fresh
    project = draft_project(client, pose_topic(client)["id"])
    version = project["version"]
    for round_ in range(5):
        before = len(event_ids(client))
        responses = race(
            lambda i, v=version, r=round_: client.post(
                f"/projects/{project['id']}/revise",
                json={"expected_version": v, "title": f"第{r}轮-{i}"},
                headers=secretary(),
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()
        loser = next(r for r in responses if r.status_code == 409).json()
        assert loser["code"] == "stale_version" and loser["current_version"] in (version, version + 1)
        assert winner["version"] == version + 1
        assert len(event_ids(client)) == before + 1
        assert ok(client.get(f"/projects/{project['id']}", headers=secretary()))["title"] == winner["title"]
        version = winner["version"]


def test_two_concurrent_creates_with_the_same_key_make_one_topic(fresh: tuple[FastAPI, TestClient]) -> None:
    _, client = fresh
    before = len(event_ids(client))
    responses = race(lambda i: client.post("/topics", json=TOPIC, headers=committee(request_id="same-key")))
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert len(event_ids(client)) == before + 1


# -- what goes in comes out ---------------------------------------------------------------------


def test_chinese_text_round_trips_unchanged(fresh: tuple[FastAPI, TestClient]) -> None:
    _, client = fresh
    title = "“一支部一项目”先锋工程:优化营商环境——「不见面审批」🚢"
    description = "党委出题、支部立项、任务到人、节点督查、公开验收。\n全年≥95%满意率;𠀀生僻字"
    topic = pose_topic(client, title=title, description=description)
    assert topic["title"] == title and topic["description"] == description
    assert topic["direction_label"] == "优化营商环境建设" and topic["state_label"] == "已发布"
    read = ok(client.get(f"/topics/{topic['id']}", headers=member()))
    assert (read["title"], read["description"]) == (title, description)
    body = project_body(topic["id"], title="船员注册「不见面」审批")
    body["responsible"] = {"id": "m-001", "name": "欧阳·李扬"}
    project = ok(client.post("/projects", json=body, headers=secretary()), 201)
    again = ok(client.get(f"/projects/{project['id']}", headers=secretary()))
    assert again["title"] == "船员注册「不见面」审批" and again["targets"] == body["targets"]
    assert again["responsible"]["name"] == "欧阳·李扬" and again["milestones"][0]["title"] == "节点1"
    assert again["state_label"] == "草稿"
    posed = [e for e in client.get("/events", headers=auditor()).json()["events"] if e["aggregate_id"] == topic["id"]]
    assert posed[0]["payload"]["title"] == title and posed[0]["payload"]["description"] == description


def test_a_project_goes_through_the_whole_filing_lifecycle_over_the_api(fresh: tuple[FastAPI, TestClient]) -> None:
    _, client = fresh
    project = draft_project(client, pose_topic(client)["id"])
    project = act(client, project, "submit", secretary())
    project = act(client, project, "return", committee(), reasons=["目标需量化"])
    assert project["state"] == "returned" and project["state_label"] == "已退回修改"
    project = act(client, project, "revise", secretary(), targets=["年服务船员≥2000人次"])
    project = act(client, project, "submit", secretary())
    project = act(client, project, "approve", committee())
    assert project["state"] == "approved" and project["record_no"].startswith("fgw-2026-")
    plan = milestones("2026-03-31", "2026-12-31")
    plan[0]["id"] = "m1"  # keep m1, drop m2 and m3, add a new one
    project = act(client, project, "milestone-change", secretary(), milestones=plan, reason="汛期推迟")
    assert project["state"] == "change_requested"
    assert [m["id"] for m in project["proposed_milestones"]] == ["m1", "m4"]
    assert [m["id"] for m in project["milestones"]] == ["m1", "m2", "m3"]
    project = act(client, project, "approve", committee())
    assert project["state"] == "approved" and [m["id"] for m in project["milestones"]] == ["m1", "m4"]
    types = [
        e["type"]
        for e in client.get("/events", headers=auditor()).json()["events"]
        if e["aggregate_id"] == project["id"]
    ]
    assert types == [
        "filing.Project.Drafted",
        "filing.Project.Submitted",
        "filing.Project.Returned",
        "filing.Project.Revised",
        "filing.Project.Submitted",
        "filing.Project.Approved",
        "filing.Project.MilestoneChangeRequested",
        "filing.Project.MilestoneChangeApproved",
    ]


# -- queries ------------------------------------------------------------------------------------


def _ids(client: TestClient, who: dict[str, str], **params: Any) -> set[str]:
    return {p["id"] for p in ok(client.get("/projects", params=params, headers=who))}


def test_project_lists_filter_by_department_branch_state_year_and_direction(fresh: tuple[FastAPI, TestClient]) -> None:
    _, client = fresh
    t2026 = pose_topic(client, year=2026, direction="business_environment")
    t2027 = pose_topic(client, year=2027, direction="party_building", title="强化党的建设")
    p1 = draft_project(client, t2026["id"], "fgw-b1", title="项目一")
    p2 = draft_project(client, t2027["id"], "fgw-b1", title="项目二")
    p2 = act(client, act(client, p2, "submit", secretary("fgw-b1")), "approve", committee())
    p3 = draft_project(client, t2026["id"], "fgw-b2", title="项目三")
    p3 = act(client, p3, "submit", secretary("fgw-b2"))
    a, b, c = p1["id"], p2["id"], p3["id"]
    chief = committee()
    assert _ids(client, chief) == {a, b, c}
    assert _ids(client, chief, department="fgw") == {a, b, c}
    assert _ids(client, chief, department="zwb") == set()
    assert _ids(client, chief, branch="fgw-b1") == {a, b}
    assert _ids(client, chief, branch="fgw-b2") == {c}
    assert _ids(client, chief, state="draft") == {a}
    assert _ids(client, chief, state="approved") == {b}
    assert _ids(client, chief, state="submitted") == {c}
    assert _ids(client, chief, state="returned") == set()
    assert _ids(client, chief, year=2027) == {b}
    assert _ids(client, chief, year=2026) == {a, c}
    assert _ids(client, chief, direction="business_environment") == {a, c}
    assert _ids(client, chief, direction="party_building") == {b}
    assert _ids(client, chief, branch="fgw-b1", year=2026) == {a}
    assert _ids(client, chief, branch="fgw-b2", state="approved") == set()
    assert _ids(client, auditor()) == {a, b, c}
    assert _ids(client, committee("zwb")) == set()
    topics = ok(client.get("/topics", params={"year": 2027}, headers=chief))
    assert [t["id"] for t in topics] == [t2027["id"]]


def test_a_member_of_another_branch_sees_none_of_a_branchs_projects(fresh: tuple[FastAPI, TestClient]) -> None:
    _, client = fresh
    topic = pose_topic(client)
    mine = draft_project(client, topic["id"], "fgw-b1")
    theirs = draft_project(client, topic["id"], "fgw-b2")
    assert _ids(client, member("fgw-b2"), branch="fgw-b1") == set()
    assert _ids(client, member("fgw-b2")) == {theirs["id"]}
    assert _ids(client, secretary("fgw-b2")) == {theirs["id"]}
    assert _ids(client, member("fgw-b1")) == {mine["id"]}
    assert client.get(f"/projects/{mine['id']}", headers=member("fgw-b2")).status_code == 403
    # the department's topics are visible to every branch of it
    assert [t["id"] for t in ok(client.get("/topics", headers=member("fgw-b2")))] == [topic["id"]]


def test_openapi_lists_every_route(world: World) -> None:
    spec = ok(world.client.get("/openapi.json"))
    paths = spec["paths"]
    expected = {
        "/topics": {"get", "post"},
        "/topics/{topic_id}": {"get"},
        "/topics/{topic_id}/revise": {"post"},
        "/topics/{topic_id}/withdraw": {"post"},
        "/projects": {"get", "post"},
        "/projects/{project_id}": {"get"},
        "/projects/{project_id}/revise": {"post"},
        "/projects/{project_id}/submit": {"post"},
        "/projects/{project_id}/withdraw": {"post"},
        "/projects/{project_id}/milestone-change": {"post"},
        "/projects/{project_id}/return": {"post"},
        "/projects/{project_id}/approve": {"post"},
        "/organisation": {"get", "post"},
        "/events": {"get"},
        "/health": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, f"{path} missing from the OpenAPI document"
        assert methods <= set(paths[path]), f"{path}: {set(paths[path])}"
    assert "/metrics" not in paths
    assert "PoseTopic" in spec["components"]["schemas"]
    # The bearer token is documented as a security scheme (the docs page's Authorize button)...
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": ANY,
    }
    assert paths["/topics"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in paths["/health"]["get"]
    # ...and the Idempotency-Key as a header parameter of commands.
    assert {"name": "idempotency-key", "in": "header"}.items() <= paths["/topics"]["post"]["parameters"][0].items()
