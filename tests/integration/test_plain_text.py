"""Control characters, bidi overrides and far-off dates are refused at the APIs, with 422 naming the field.

PostgreSQL cannot store NUL in text or jsonb: one accepted NUL used to stop consumers (issue 9).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.acceptance.config import AcceptanceSettings
from services.acceptance.main import create_app as create_acceptance
from services.filing.config import FilingSettings
from services.filing.main import create_app as create_filing
from shared.auth import Role
from tests.support import TRUST, headers, project_body

pytestmark = pytest.mark.integration

TOPIC = {"year": 2026, "direction": "business_environment", "title": "优化审批服务", "description": "放管服"}


@pytest.fixture
def filing(new_database: Callable[[str], str]) -> TestClient:
    app = create_filing(FilingSettings(database_dsn=new_database("filing"), departments="fgw", token_keys=TRUST))
    with TestClient(app) as client:
        yield client


def committee() -> dict[str, str]:
    return headers(Role.COMMITTEE, "fgw")


def events(client: TestClient) -> int:
    return len(client.get("/events?after=0&limit=1000", headers=headers(Role.AUDITOR)).json()["events"])


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("title", "a\u0000b", "title: Value error, contains the control character U+0000 at position 1"),
        ("title", "优化\u202e审批", "title: Value error, contains the bidirectional control U+202E at position 2"),
        ("title", "优化\n审批", "title: Value error, contains a line break or tab (U+000A) at position 2"),
        ("description", "放管服\u0007", "description: Value error, contains the control character U+0007"),
        ("description", "放\ud800管", "description: Input should be a valid string, unable to parse raw data"),
        ("description", "放\u2067管", "description: Value error, contains the bidirectional control U+2067"),
    ],
)
def test_a_topic_with_a_control_character_is_refused_naming_the_field_and_nothing_is_recorded(
    filing: TestClient, field: str, value: str, says: str
) -> None:
    before = events(filing)
    body = json.dumps({**TOPIC, field: value})  # ASCII escapes: a lone surrogate travels as \ud800
    answer = filing.post("/topics", content=body, headers={**committee(), "Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert says in answer.json()["detail"]
    assert events(filing) == before


def test_long_texts_keep_line_breaks_and_tabs_and_take_a_windows_line_break_as_one(filing: TestClient) -> None:
    answer = filing.post("/topics", json={**TOPIC, "description": "一、放管服\r\n二、\t减时限"}, headers=committee())
    assert answer.status_code == 201, answer.text
    assert answer.json()["description"] == "一、放管服\n二、\t减时限"


def test_a_control_character_deep_in_a_list_is_refused_with_its_place(filing: TestClient) -> None:
    topic = filing.post("/topics", json=TOPIC, headers=committee()).json()
    body: dict[str, Any] = project_body(topic["id"])
    body["targets"] = ["办理时限压缩", "满意率\u0000≥95%"]
    answer = filing.post("/projects", json=body, headers=headers(Role.SECRETARY, "fgw", "fgw-b1"))
    assert answer.status_code == 422, answer.text
    assert "targets[1]" in answer.json()["detail"]
    assert "U+0000" in answer.json()["detail"]


@pytest.mark.parametrize("due", ["9999-12-31", "1900-01-01", "2101-01-01"])
def test_a_milestone_due_far_off_is_refused(filing: TestClient, due: str) -> None:
    topic = filing.post("/topics", json=TOPIC, headers=committee()).json()
    body = project_body(topic["id"])
    body["milestones"][0]["due"] = due
    answer = filing.post("/projects", json=body, headers=headers(Role.SECRETARY, "fgw", "fgw-b1"))
    assert answer.status_code == 422, answer.text
    assert f"milestones[0].due: Value error, {due} is outside 2000-01-01 to 2100-12-31" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/topics/%00", "path segment 2 contains the control character U+0000"),
        ("/topics?year=2026&direction=%00", "query parameter 'direction' contains the control character U+0000"),
        ("/topics?%01=1", "query parameter '\\x01' contains the control character U+0001"),
    ],
)
def test_a_control_character_in_the_path_or_query_is_refused_before_any_route(
    filing: TestClient, path: str, says: str
) -> None:
    answer = filing.get(path, headers=committee())
    assert answer.status_code == 422, answer.text
    assert says in answer.json()["detail"]


def test_an_idempotency_key_with_a_control_character_is_refused(filing: TestClient) -> None:
    answer = filing.post("/topics", json=TOPIC, headers={**committee(), "Idempotency-Key": "k%00"})
    assert answer.status_code == 422, answer.text
    assert "header idempotency-key contains the control character U+0000" in answer.json()["detail"]


def test_public_feedback_with_a_nul_is_refused_without_any_token(new_database: Callable[[str], str]) -> None:
    settings = AcceptanceSettings(database_dsn=new_database("acceptance"), token_keys=TRUST)
    with TestClient(create_acceptance(settings)) as client:
        answer = client.post(
            "/notices/3f2b1c9e-0000-4000-8000-000000000001/feedback", json={"kind": "support", "text": "a\u0000b"}
        )
    assert answer.status_code == 422, answer.text
    assert "text: Value error, contains the control character U+0000 at position 1" in answer.json()["detail"]


def test_a_callers_idempotency_key_can_never_be_taken_for_the_services_own_seal(
    new_database: Callable[[str], str],
) -> None:
    settings = AcceptanceSettings(database_dsn=new_database("acceptance"), token_keys=TRUST)
    project = "3f2b1c9e-0000-4000-8000-000000000002"
    with TestClient(create_acceptance(settings)) as client:
        answer = client.post(
            f"/notices/{project}/feedback",
            json={"kind": "support", "text": "好"},
            headers={"Idempotency-Key": f"seal:{project}"},
        )
    assert answer.status_code == 422, answer.text
    assert (
        "the Idempotency-Key header must be 1–128 characters of letters, digits and - _ . ~ / + ="
        in answer.json()["detail"]
    )
