"""The projection's reads keep branches apart: a member or a secretary reads their own branch's events
and the department-wide ones; a committee its whole department; auditors everything.

The read models are fed through the projection's own handler, as its consumer would feed them."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from fastapi.testclient import TestClient

from services.projection.config import ProjectionSettings
from services.projection.handlers import handler
from services.projection.main import create_app
from shared.auth import Role
from shared.contracts import Envelope, event_id
from tests.support import TRUST, token

pytestmark = pytest.mark.integration

TOPIC = str(uuid.uuid4())
P1, P2, P3 = (str(uuid.uuid4()) for _ in range(3))  # drafts of fgw-b1, fgw-b2 and zwb-b5


def envelope(kind: str, aggregate_id: str, department: str, branch: str | None, payload: dict) -> Envelope:
    return Envelope(
        event_id=event_id(aggregate_id, 1),
        type=f"filing.{kind}",
        aggregate_id=aggregate_id,
        aggregate_type=kind.split(".")[0],
        aggregate_version=1,
        department=department,
        branch=branch,
        actor={"id": "someone", "role": "secretary" if branch else "committee"},
        request_id=None,
        occurred_at=dt.datetime.now(dt.UTC).isoformat(),
        source={"service": "filing", "instance": department, "position": 1},
        payload=payload,
    )


def drafted(project_id: str, department: str, branch: str) -> Envelope:
    payload = {
        "topic_id": TOPIC,
        "year": 2026,
        "direction": "business_environment",
        "title": f"{branch}的草稿",
        "goal": "目标",
        "targets": ["指标"],
        "milestones": [],
        "responsible": {"id": "m-001", "name": "李扬"},
    }
    return envelope("Project.Drafted", project_id, department, branch, payload)


EVENTS = [
    envelope("Topic.Posed", TOPIC, "fgw", None, {"year": 2026, "direction": "business_environment", "title": "题"}),
    drafted(P1, "fgw", "fgw-b1"),
    drafted(P2, "fgw", "fgw-b2"),
    drafted(P3, "zwb", "zwb-b5"),
]


async def feed(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for e in EVENTS:
                await handler()(conn, e)
    finally:
        await conn.close()


@dataclass
class Projection:
    client: TestClient

    def get(self, path: str, who: dict[str, str], **params: str) -> httpx.Response:
        return self.client.get(path, headers=who, params=params)


@pytest.fixture(scope="module")
def projection(new_database: Callable[[str], str], kafka_bootstrap: str) -> Iterator[Projection]:
    dsn = new_database("projection")
    settings = ProjectionSettings(
        database_dsn=dsn, kafka_bootstrap=kafka_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}", token_keys=TRUST
    )
    with TestClient(create_app(settings)) as client:
        asyncio.run(feed(dsn))
        yield Projection(client)


def bearer(role: Role, department: str | None = None, branch: str | None = None, subject: str | None = None):
    return {"Authorization": f"Bearer {token(role, department, branch, subject)}"}


MEMBER = bearer(Role.MEMBER, "fgw", "fgw-b1", "m-001")
SECRETARY_B1 = bearer(Role.SECRETARY, "fgw", "fgw-b1", "s-fgw-1")
SECRETARY_B2 = bearer(Role.SECRETARY, "fgw", "fgw-b2", "s-fgw-2")
NO_BRANCH = bearer(Role.MEMBER, "fgw", None, "m-009")


def aggregates(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {row["aggregate_id"] for row in response.json()}


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        pytest.param(MEMBER, {TOPIC, P1}, id="a member of fgw-b1"),
        pytest.param(SECRETARY_B1, {TOPIC, P1}, id="fgw-b1's secretary"),
        pytest.param(SECRETARY_B2, {TOPIC, P2}, id="fgw-b2's secretary"),
        pytest.param(NO_BRANCH, {TOPIC}, id="a member without a branch"),
        pytest.param(bearer(Role.COMMITTEE, "fgw"), {TOPIC, P1, P2}, id="the committee"),
        pytest.param(bearer(Role.AUDITOR), {TOPIC, P1, P2}, id="an auditor"),
    ],
)
def test_a_departments_audit_trail_shows_each_reader_only_the_branches_they_may_read(
    projection: Projection, who: dict[str, str], visible: set[str]
) -> None:
    assert aggregates(projection.get("/departments/fgw/audit-trail", who)) == visible


def test_a_secretary_asking_for_another_branchs_audit_trail_is_refused(projection: Projection) -> None:
    response = projection.get("/departments/fgw/audit-trail", SECRETARY_B1, branch="fgw-b2")
    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "you may not read the audit trail of fgw/fgw-b2"


@pytest.mark.parametrize("who", [MEMBER, SECRETARY_B1], ids=["member", "secretary"])
@pytest.mark.parametrize("path", ["/projects/{pid}", "/projects/{pid}/audit-trail"], ids=["overview", "trail"])
def test_a_member_or_secretary_may_not_read_another_branchs_project(
    projection: Projection, who: dict[str, str], path: str
) -> None:
    response = projection.get(path.format(pid=P2), who)
    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "you may not read this project"


def test_the_project_list_shows_a_secretary_their_own_branchs_projects_only(projection: Projection) -> None:
    listed = projection.get("/projects", SECRETARY_B1, department="fgw")
    assert listed.status_code == 200, listed.text
    assert [p["id"] for p in listed.json()] == [P1]
