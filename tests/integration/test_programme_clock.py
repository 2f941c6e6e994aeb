"""One programme clock: moved once on any service, followed by all; read without a token."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from services.filing.config import FilingSettings
from services.filing.main import create_app as create_filing
from services.projection.config import ProjectionSettings
from services.projection.main import create_app as create_projection
from services.tasking.config import TaskingSettings
from services.tasking.main import create_app as create_tasking
from shared.auth import Role
from tests.support import TRUST, headers

pytestmark = pytest.mark.integration


@pytest.fixture
def services(new_database: Callable[[str], str]) -> Iterator[tuple[TestClient, TestClient]]:
    clock = new_database("clock")
    filing = create_filing(
        FilingSettings(
            database_dsn=new_database("filing"), departments="fgw", token_keys=TRUST, clock="manual", clock_dsn=clock
        )
    )
    tasking = create_tasking(
        TaskingSettings(
            database_dsn=new_database("tasking"), departments="fgw", token_keys=TRUST, clock="manual", clock_dsn=clock
        )
    )
    with TestClient(filing) as f, TestClient(tasking) as t:
        yield f, t


def test_the_clock_moved_on_one_service_is_the_clock_of_every_other(services: tuple[TestClient, TestClient]) -> None:
    filing, tasking = services
    moved = filing.post("/admin/clock", json={"now": "2026-07-01T09:00:00"}, headers=headers(Role.ADMIN))
    assert moved.status_code == 200, moved.text
    assert moved.json()["now"] == "2026-07-01T09:00:00+08:00"  # no offset: the programme's timezone
    seen = tasking.get("/clock")  # no token: the programme's time is public
    assert seen.status_code == 200, seen.text
    assert seen.json() == {
        "clock": "manual",
        "timezone": "Asia/Shanghai",
        "now": "2026-07-01T09:00:00+08:00",
        "today": "2026-07-01",
    }


def test_only_an_admin_moves_the_clock_and_only_within_the_programme(services: tuple[TestClient, TestClient]) -> None:
    filing, _ = services
    refused = filing.post("/admin/clock", json={"now": "2026-07-01T09:00:00"}, headers=headers(Role.COMMITTEE, "fgw"))
    assert refused.status_code == 403, refused.text
    far = filing.post("/admin/clock", json={"now": "9999-12-31T00:00:00"}, headers=headers(Role.ADMIN))
    assert far.status_code == 422, far.text
    assert "9999-12-31 is outside 2000-01-01 to 2100-12-31" in far.json()["detail"]


def test_a_service_on_the_system_clock_says_how_to_move_time(new_database: Callable[[str], str]) -> None:
    app = create_filing(FilingSettings(database_dsn=new_database("filing"), departments="fgw", token_keys=TRUST))
    with TestClient(app) as client:
        answer = client.post("/admin/clock", json={"now": "2026-07-01T09:00:00"}, headers=headers(Role.ADMIN))
        assert client.get("/clock").json()["clock"] == "system"
    assert answer.status_code == 409, answer.text
    assert "start it with VANGUARD_CLOCK=manual" in answer.json()["detail"]


def test_the_projection_tells_the_same_programme_time(
    new_database: Callable[[str], str], services: tuple[TestClient, TestClient], kafka_bootstrap: str
) -> None:
    filing, _ = services
    moved = filing.post("/admin/clock", json={"now": "2026-08-08T08:00:00"}, headers=headers(Role.ADMIN)).json()
    clock_dsn = filing.app.state.filing.clock.datastore.dsn  # type: ignore[attr-defined]
    settings = ProjectionSettings(
        database_dsn=new_database("projection"),
        token_keys=TRUST,
        kafka_bootstrap=kafka_bootstrap,
        clock="manual",
        clock_dsn=clock_dsn,
    )
    with TestClient(create_projection(settings)) as projection:
        assert projection.get("/clock").json() == moved
