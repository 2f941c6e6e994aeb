"""三色预警 in the projection: the colour history from the supervision's opening (its first green) on,
each change at the programme time inspection stamped on it (the manual clock's), never the time
the projection happened to apply it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from services.inspection.domain import Supervision
from shared.auth import Role
from tests.projection_history import (
    COMMITTEE,
    INSPECTOR,
    PLAN,
    TITLE,
    History,
    excellent_project,
    feed,
    on,
    overview,
    projection_api,
    published,
)
from tests.support import headers

pytestmark = pytest.mark.integration

AUDITOR = headers(Role.AUDITOR)
ON_TRACK = "各节点正常推进 / every milestone on track"


@pytest.fixture(scope="module")
def dsn(new_database: Callable[[str], str]) -> str:
    return new_database("projection")


@pytest.fixture(scope="module")
def api(dsn: str, kafka_bootstrap: str) -> Iterator[TestClient]:
    with projection_api(dsn, kafka_bootstrap) as client:
        yield client


def test_the_colour_history_starts_with_the_first_green_of_the_supervisions_opening(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, h.all())
    history = overview(api, h.project_id)["colour_history"]
    assert [(c["colour"], c["previous"]) for c in history] == [
        ("green", None),
        ("yellow", "green"),
        ("green", "yellow"),
    ]
    assert history[0]["reasons"] == [ON_TRACK]


def test_each_colour_is_stamped_with_the_programme_time_inspection_gave_it(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, h.all())
    history = overview(api, h.project_id)["colour_history"]
    stamped = [dt.datetime.fromisoformat(c["at"]) for c in history]
    assert stamped == [on("2026-03-02"), on("2026-03-20"), on("2026-03-30", 18)]  # not when they were recorded


def test_inspections_are_stamped_with_the_programme_time_too(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, h.all())
    inspections = overview(api, h.project_id)["inspections"]
    assert [(i["milestone_id"], dt.datetime.fromisoformat(i["at"])) for i in inspections] == [
        ("m1", on("2026-03-20")),
        ("m2", on("2026-06-01")),
    ]


def test_colours_changed_while_the_manual_clock_stood_still_keep_their_order(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    still = on("2026-05-01")
    s = Supervision.schedule("fgw", "fgw-b1", h.project_id, "fgw-2026-0001", TITLE, PLAN, still, COMMITTEE, None)
    s.record_inspection("m1", "at_risk", "风险", None, still, INSPECTOR, None)  # → yellow
    s.milestone_met("m1", "2026-05-01", "调研报告", still, COMMITTEE, None)  # → green
    s.record_inspection("m2", "lagging", "滞后", None, still, INSPECTOR, None)  # → yellow
    feed(dsn, [*h.filing, *published("inspection", s)])
    history = overview(api, h.project_id)["colour_history"]
    assert [c["colour"] for c in history] == ["green", "yellow", "green", "yellow"]
    assert {c["at"] for c in history} == {history[0]["at"]}


def test_the_first_green_waits_for_the_project_when_inspection_overtakes_filing(api: TestClient, dsn: str) -> None:
    h: History = excellent_project()
    feed(dsn, h.inspection)
    feed(dsn, [*h.filing, *h.tasking])
    history = overview(api, h.project_id)["colour_history"]
    assert [c["colour"] for c in history] == ["green", "yellow", "green"]
