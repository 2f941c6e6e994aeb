"""Rubrics can be listed before any panel exists, and who organises panels is in the API's docs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from services.acceptance.config import AcceptanceSettings
from services.acceptance.main import create_app
from tests.support import TRUST

pytestmark = pytest.mark.integration


@pytest.fixture
def client(new_database: Callable[[str], str]) -> TestClient:
    with TestClient(create_app(AcceptanceSettings(database_dsn=new_database("acceptance"), token_keys=TRUST))) as c:
        yield c


def test_every_published_rubric_is_listed_without_a_token_with_the_current_one_marked(client: TestClient) -> None:
    listed = client.get("/rubrics")
    assert listed.status_code == 200, listed.text
    versions = {r["version"]: r for r in listed.json()}
    assert "2026-v1" in versions and versions["2026-v1"]["current"] is True
    assert sum(r["current"] for r in versions.values()) == 1
    assert versions["2026-v1"] == client.get("/rubrics/2026-v1").json()
    assert {g["code"] for g in versions["2026-v1"]["grades"]} >= {"excellent", "fail"}


def test_the_docs_say_who_may_organise_a_panel(client: TestClient) -> None:
    appoint = client.get("/openapi.json").json()["paths"]["/acceptances/{project_id}/panel"]["post"]
    assert "admins and the panelists named in VANGUARD_ORGANISERS" in appoint["description"]
