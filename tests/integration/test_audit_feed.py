"""The auditors' feed: every event of every service and department in one paged feed, by cursor,
filtered in SQL, each with its source instance and position."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.projection.config import ProjectionSettings
from services.projection.main import create_app
from shared.auth import Role
from tests.assessment_city import City, at, plan
from tests.projection_history import feed
from tests.support import TRUST, token

pytestmark = pytest.mark.integration


def bearer(role: Role, department: str | None = None, subject: str = "x") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, department, None, subject)}"}


AUDITOR = bearer(Role.AUDITOR)


@pytest.fixture(scope="module")
def world(new_database: Callable[[str], str], kafka_bootstrap: str) -> Iterator[tuple[TestClient, City, Any]]:
    c = City(2026)
    c.department("fgw", "市发改委", [("fgw-b1", "一支部", "s-1", "王强")])
    c.department("zwb", "市政务办", [("zwb-b1", "一支部", "s-9", "刘巍")])
    topic = c.topic("fgw", at("2026-02-10"))
    p = c.project("fgw", "fgw-b1", "s-1", topic, plan("2026-05-31"))
    c.submitted(p, at("2026-02-12"))
    c.approved(p, at("2026-02-14"))
    c.scheduled(p, at("2026-02-14"))
    c.inspected(p, 1, "m1", "on_track", at("2026-04-01"))
    other = c.topic("zwb", at("2026-02-11"))
    dsn = new_database("projection_feed")
    settings = ProjectionSettings(
        database_dsn=dsn, kafka_bootstrap=kafka_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}", token_keys=TRUST
    )
    with TestClient(create_app(settings)) as client:
        feed(dsn, c.envelopes)
        yield client, c, (p, other)


def page(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/audit/events", params=params, headers=AUDITOR)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_feed_pages_by_cursor_through_every_event_in_the_order_applied(world) -> None:
    api, c, _ = world
    seen, after = [], 0
    while True:
        found = page(api, after=after, limit=3)
        seen += found["items"]
        after = found["next_after"]
        if not found["more"]:
            break
    assert [e["event_id"] for e in seen] == [e.event_id for e in c.envelopes]
    assert [e["applied_seq"] for e in seen] == sorted(e["applied_seq"] for e in seen)
    assert {(e["source_service"], e["source_instance"]) for e in seen} >= {("filing", "main"), ("inspection", "main")}
    assert all(isinstance(e["source_position"], int) for e in seen)
    assert page(api, after=after)["items"] == [] and page(api, after=after)["next_after"] == after


def test_filters_by_department_project_actor_type_and_time(world) -> None:
    api, _, (p, other) = world
    assert {e["department"] for e in page(api, department="zwb")["items"]} == {"zwb"}
    assert [e["event_id"] for e in page(api, department="zwb", type="filing.Topic.Posed")["items"]] == [other.event_id]
    mine = page(api, project=p.id)["items"]
    assert {e["type"] for e in mine} >= {"filing.Project.Drafted", "inspection.Supervision.InspectionRecorded"}
    assert all(e["project_id"] == p.id for e in mine)
    assert {e["type"].split(".")[0] for e in page(api, type="inspection")["items"]} == {"inspection"}
    assert {e["actor"]["id"] for e in page(api, actor="s-1")["items"]} == {"s-1"}
    recorded = page(api)["items"]
    middle = recorded[len(recorded) // 2]["occurred_at"]
    later = page(api, since=middle)["items"]
    assert later and all(e["occurred_at"] >= middle for e in later)
    assert page(api, branch="fgw-b1")["items"] and {e["branch"] for e in page(api, branch="fgw-b1")["items"]} == {
        "fgw-b1"
    }


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"since": "yesterday"}, 422),
        ({"since": "2026-06-30T18:00"}, 422),  # no offset
        ({"since": "2026-06-30T18:00+08:00", "until": "2026-06-01T00:00+08:00"}, 422),
        ({"after": -1}, 422),
        ({"limit": 0}, 422),
        ({"project": "not-a-uuid"}, 422),
        ({"department": "fgw\x00"}, 422),
    ],
)
def test_bad_input_is_a_clear_4xx(world, params: dict[str, Any], status: int) -> None:
    api, _, _ = world
    response = api.get("/audit/events", params=params, headers=AUDITOR)
    assert response.status_code == status and response.json()["detail"]


def test_only_auditors_and_administrators_read_it(world) -> None:
    api, _, _ = world
    assert api.get("/audit/events", headers=bearer(Role.ADMIN)).status_code == 200
    for role in (Role.COMMITTEE, Role.ORGANISER, Role.INSPECTOR):
        refused = api.get("/audit/events", headers=bearer(role, "fgw"))
        assert refused.status_code == 403 and "auditor" in refused.json()["detail"]
    assert api.get("/audit/events").status_code == 401
