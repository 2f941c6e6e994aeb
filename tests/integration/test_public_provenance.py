"""The public provenance page of a project (no sign-in): its key events with their dates, from filing to
commendation, once its acceptance notice (公示) is published; nothing personal beyond what the notice
published; every link on it leads to a public page."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.projection_history import (
    COMMITTEE,
    FEEDBACK_NAMES,
    INSPECTOR,
    ORGANISER,
    PANEL,
    RESPONSIBLE,
    SECRETARY,
    TZ,
    excellent_project,
    feed,
    projection_api,
)

pytestmark = pytest.mark.integration

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def dsn(new_database: Callable[[str], str]) -> str:
    return new_database("projection")


@pytest.fixture(scope="module")
def api(dsn: str, kafka_bootstrap: str) -> Iterator[TestClient]:
    with projection_api(dsn, kafka_bootstrap) as client:
        yield client


def test_a_graded_projects_provenance_is_public_with_its_key_events_and_their_dates(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, h.all())
    response = api.get(f"/public/projects/{h.project_id}")  # no token
    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["title"], page["record_no"], page["department"], page["branch"]) == (
        "环保管家进企业",
        "fgw-2026-0001",
        "fgw",
        "fgw-b1",
    )
    assert (page["state"], page["state_label"], page["grade"], page["grade_label"]) == (
        "graded",
        "已评定",
        "excellent",
        "优秀",
    )
    assert page["direction_label"] == "推进高质量发展"
    today = dt.datetime.now(TZ).date().isoformat()  # filing's and the honours' events carry no programme time
    assert [(e["event"], e["date"]) for e in page["events"]] == [  # in the order they were recorded
        ("filed", today),
        ("approved", today),
        ("milestone_met", "2026-03-30"),
        ("milestone_met", "2026-06-28"),
        ("inspected", "2026-03-20"),
        ("inspected", "2026-06-01"),
        ("applied", "2026-10-30"),
        ("notice_opened", "2026-11-02"),
        ("notice_closed", "2026-11-10"),
        ("graded", "2026-11-12"),
        ("casebook", today),
        ("brand", today),
        ("commended", "2026-12-01"),
    ]
    by_kind = {e["event"]: e for e in page["events"]}
    assert by_kind["approved"]["record_no"] == "fgw-2026-0001" and by_kind["approved"]["label"] == "立项备案"
    assert (by_kind["notice_opened"]["last_day"], by_kind["notice_opened"]["working_days"]) == ("2026-11-09", 5)
    assert (by_kind["notice_closed"]["support"], by_kind["notice_closed"]["objections"]) == (1, 1)
    assert (by_kind["graded"]["grade_label"], by_kind["graded"]["score"]) == ("优秀", 93.67)
    assert by_kind["brand"]["name"] == "环保管家"
    assert (by_kind["commended"]["level_label"], by_kind["commended"]["issuer"]) == ("省级", "中共江苏省委组织部")
    ratings = [(e["milestone_id"], e["rating"], e["rating_label"]) for e in page["events"] if e["event"] == "inspected"]
    assert ratings == [("m1", "lagging", "进度滞后"), ("m2", "on_track", "正常推进")]
    met = [(e["milestone_id"], e["milestone_title"]) for e in page["events"] if e["event"] == "milestone_met"]
    assert met == [("m1", "调研"), ("m2", "实施")]


def test_the_provenance_page_names_no_person_and_no_actor(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, h.all())
    responses = [api.get(f"/public/projects/{h.project_id}"), api.get(f"/public/projects/{h.project_id}.html")]
    assert [r.status_code for r in responses] == [200, 200]
    pages = [r.text for r in responses]
    people = [RESPONSIBLE["name"], RESPONSIBLE["id"], *FEEDBACK_NAMES, *(m["name"] for m in PANEL)]
    actors = [SECRETARY["id"], COMMITTEE["id"], INSPECTOR["id"], ORGANISER["id"], *(m["id"] for m in PANEL)]
    for page in pages:
        assert [who for who in [*people, *actors] if who in page] == []
        assert "actor" not in page and "panel" not in page and "收费不明" not in page  # nor what the public wrote


def test_a_project_whose_notice_is_not_published_has_no_public_page(api: TestClient, dsn: str) -> None:
    h = excellent_project()
    feed(dsn, [*h.filing, *h.tasking, *h.inspection, *h.acceptance_until("Applied")])
    for path in (f"/public/projects/{h.project_id}", f"/public/projects/{h.project_id}.html"):
        response = api.get(path)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == (
            f"project {h.project_id} has no published acceptance notice (公示); its record is not public yet"
        )


def test_a_project_that_is_not_in_the_projection_has_no_public_page(api: TestClient) -> None:
    unknown = str(uuid.uuid4())
    response = api.get(f"/public/projects/{unknown}.html")
    assert response.status_code == 404, response.text
    assert "has no published acceptance notice" in response.json()["detail"]


def test_a_malformed_project_id_is_refused_with_a_problem(api: TestClient) -> None:
    response = api.get("/public/projects/not-a-uuid.html")
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "'not-a-uuid' is not a valid project id (a UUID)"


def test_the_html_page_shows_what_branches_wrote_as_text_and_links_only_to_public_pages(
    api: TestClient, dsn: str
) -> None:
    h = excellent_project(f"环保管家 {SCRIPT}")
    feed(dsn, h.all())
    response = api.get(f"/public/projects/{h.project_id}.html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    html = response.text
    assert "<script" not in html and "环保管家 &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "优秀" in html and "省级" in html and "2026-11-02" in html and "公示" in html
    links = re.findall(r'href="([^"]*)"', html)
    assert links and all(link.startswith("/public/") for link in links), links
