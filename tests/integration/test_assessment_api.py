"""考核评价 through the projection: a year of two departments, three branches each, applied through
its real handler and inbox, scored, published, corrected, replayed, tried under 2026-v2, exported.

Every figure below is computed by hand from deploy/assessment/2026-v1.yaml (and 2026-v2.yaml for the
what-if), line by line, in the comments beside the facts that earn it.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from services.projection.config import ProjectionSettings
from services.projection.main import create_app
from shared.auth import Role
from tests.assessment_city import City, at, plan
from tests.projection_history import feed
from tests.support import TRUST, token

pytestmark = pytest.mark.integration


def bearer(role: Role, department: str | None = None, branch: str | None = None, subject: str | None = None):
    return {"Authorization": f"Bearer {token(role, department, branch, subject)}", "Idempotency-Key": uuid.uuid4().hex}


ORG_A = bearer(Role.ORGANISER, subject="org-a")
ORG_B = bearer(Role.ORGANISER, subject="org-b")
AUDITOR = bearer(Role.AUDITOR, subject="aud-1")


def year_of_two_departments() -> tuple[City, dict[str, Any]]:
    c = City(2026)
    c.department("fgw", "市发改委", [(f"fgw-b{n}", f"发改委第{n}支部", f"s-fgw-{n}", f"书记{n}") for n in (1, 2, 3)])
    c.department("zwb", "市政务办", [(f"zwb-b{n}", f"政务办第{n}支部", f"s-zwb-{n}", f"书记{n}") for n in (1, 2, 3)])
    fgw_topic = c.topic("fgw", at("2026-02-10"))  # by 02-28: topics_posed_on_time +3
    zwb_topic = c.topic("zwb", at("2026-03-01"))  # after 02-28: topics_posed_late −3

    # fgw-b1, 优秀 with a provincial commendation and a brand: 48.5
    b1 = c.project("fgw", "fgw-b1", "s-fgw-1", fgw_topic, plan("2026-04-30", "2026-09-30"))
    c.submitted(b1, at("2026-02-20"))
    c.approved(b1, at("2026-02-25"))  # project_approved +10; the review took 5 days ≤ 7: review_on_time +0.5
    c.scheduled(b1, at("2026-02-25"))
    c.inspected(b1, 1, "m1", "on_track", at("2026-04-01"))  # +1
    c.milestone_met(b1, "m1", "2026-04-28")  # on time +2
    c.inspected(b1, 2, "m2", "lagging", at("2026-07-01"))  # −1
    c.colour(b1, "yellow", "green", at("2026-07-01"))  # warning yellow −1
    c.colour(b1, "green", "yellow", at("2026-07-20"))  # a fall: nothing
    c.milestone_met(b1, "m2", "2026-09-20")  # on time +2
    c.objection(b1, "f1", at("2026-11-05"), at("2026-11-06"))  # objection_answered +0.5
    c.concluded(b1, "excellent", "优秀", at("2026-11-20"))  # +20
    c.commended(b1, "provincial", "2026-11-28")  # +10
    c.brand(b1, "发改先锋")  # +5

    # fgw-b2, returned and revised late, red time and a late rectification, 合格: 4
    b2 = c.project("fgw", "fgw-b2", "s-fgw-2", fgw_topic, plan("2026-06-30", "2026-10-31"))
    c.submitted(b2, at("2026-03-10"))
    c.returned(b2, at("2026-03-12"))  # review in 2 days: +0.5
    c.submitted(b2, at("2026-03-30"))  # revised 18 days after the return > 10: secretary revision_late −2
    c.approved(b2, at("2026-04-10"))  # after 03-31: project_approved_late +4; review 11 days > 7: review_late −1
    c.scheduled(b2, at("2026-04-10"))
    c.inspected(b2, 1, "m1", "at_risk", at("2026-06-01"), order="r1")  # −2
    c.ordered(b2, "r1", "m1", "2026-06-20", at("2026-06-01"))
    c.colour(b2, "yellow", "green", at("2026-06-01"))  # −1
    c.colour(b2, "red", "yellow", at("2026-06-21"))  # −2
    c.answered(b2, "r1", at("2026-06-25"))  # answered after the deadline: secretary answered_late −1
    c.verified(b2, "r1", at("2026-06-28"))  # branch rectification_overdue −2
    c.milestone_met(b2, "m1", "2026-07-10")  # late −1
    c.colour(b2, "green", "red", at("2026-07-10"))
    c.milestone_met(b2, "m2", "2026-10-30")  # on time +2
    c.concluded(b2, "pass", "合格", at("2026-11-25"))  # +6
    # fgw-b3: no project, 未立项: 0

    # zwb-b1: on time, one milestone late: 10 − 1 + 2 = 11
    z1 = c.project("zwb", "zwb-b1", "s-zwb-1", zwb_topic, plan("2026-05-31", "2026-08-31"))
    c.submitted(z1, at("2026-03-01"))
    c.approved(z1, at("2026-03-03"))  # +10; review +0.5
    c.milestone_met(z1, "m1", "2026-06-05")  # −1
    c.milestone_met(z1, "m2", "2026-08-30")  # +2
    # zwb-b2: returned, revised in 5 days, approved on time: 10
    z2 = c.project("zwb", "zwb-b2", "s-zwb-2", zwb_topic, plan("2026-12-31"))
    c.submitted(z2, at("2026-03-02"))
    c.returned(z2, at("2026-03-04"))  # review +0.5
    c.submitted(z2, at("2026-03-09"))  # revised in 5 days: secretary revision_on_time +1
    c.approved(z2, at("2026-03-12"))  # +10; review +0.5
    # zwb-b3: no project: 0
    return c, {"b1": b1, "b2": b2, "z1": z1, "z2": z2}


@pytest.fixture(scope="module")
def city() -> tuple[City, dict[str, Any]]:
    return year_of_two_departments()


@pytest.fixture(scope="module")
def store_dsn(new_database: Callable[[str], str]) -> str:
    return new_database("assessment_store")


def _api(dsn: str, store: str, kafka: str) -> TestClient:
    settings = ProjectionSettings(
        database_dsn=dsn,
        store_dsn=store,
        kafka_bootstrap=kafka,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}",
        token_keys=TRUST,
    )
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def api(
    new_database: Callable[[str], str], store_dsn: str, kafka_bootstrap: str, city: tuple[City, dict[str, Any]]
) -> Iterator[TestClient]:
    dsn = new_database("projection")
    with _api(dsn, store_dsn, kafka_bootstrap) as client:
        feed(dsn, city[0].envelopes)
        client.dsn = dsn  # type: ignore[attr-defined]
        yield client


def scores(api: TestClient, kind: str, who: dict[str, str] = AUDITOR, path: str = "scores", **params: Any):
    response = api.get(f"/assessment/periods/2026/{path}", params={"subject_type": kind, **params}, headers=who)
    assert response.status_code == 200, response.text
    return response.json()


def totals(page: dict[str, Any]) -> list[tuple[str, Decimal, int, int]]:
    return [(r["subject_id"], Decimal(r["total"]), r["city_rank"], r["department_rank"]) for r in page["items"]]


def test_branch_scores_stars_and_ranks_are_the_schemes_figures(api: TestClient) -> None:
    page = scores(api, "branch")
    assert page["provisional"] is True and page["scheme_version"] == "2026-v1" and page["total"] == 6
    assert totals(page) == [
        ("fgw-b1", Decimal("48.5"), 1, 1),
        ("zwb-b1", Decimal(11), 2, 1),
        ("zwb-b2", Decimal(10), 3, 2),
        ("fgw-b2", Decimal(4), 4, 2),
        ("fgw-b3", Decimal(0), 5, 3),  # a tie shares the place (competition); listed by code
        ("zwb-b3", Decimal(0), 5, 3),
    ]
    stars = {r["subject_id"]: r["stars"] for r in page["items"]}
    assert stars == {"fgw-b1": 5, "zwb-b1": 3, "zwb-b2": 3, "fgw-b2": 2, "fgw-b3": 1, "zwb-b3": 1}
    flags = {r["subject_id"]: r["flags"] for r in page["items"]}
    assert flags["fgw-b3"] == ["未立项"] and flags["zwb-b3"] == ["未立项"] and flags["fgw-b1"] == []
    by_id = {r["subject_id"]: {line["code"]: Decimal(line["points"]) for line in r["lines"]} for r in page["items"]}
    assert {k: v for k, v in by_id["fgw-b2"].items() if v} == {
        "project_approved_late": 4,
        "milestone_on_time": 2,
        "milestone_late": -1,
        "inspection_rated": -2,
        "warning": -3,
        "rectification_overdue": -2,
        "acceptance_grade": 6,
    }
    assert {k: v for k, v in by_id["fgw-b1"].items() if v} == {
        "project_approved": 10,
        "milestone_on_time": 4,
        "warning": -1,
        "acceptance_grade": 20,
        "objection_answered": Decimal("0.5"),
        "commendation": 10,
        "brand": 5,
    }  # inspection_rated: on_track +1 and lagging −1 make 0
    assert [r["name"] for r in page["items"]][:2] == ["发改委第1支部", "政务办第1支部"]


def test_secretaries_and_departments(api: TestClient) -> None:
    assert totals(scores(api, "secretary")) == [
        ("s-fgw-1", Decimal("48.5"), 1, 1),
        ("s-zwb-1", Decimal(11), 2, 1),
        ("s-zwb-2", Decimal(11), 2, 1),  # 10 + revision_on_time 1
        ("s-fgw-2", Decimal(1), 4, 2),  # 4 − revision_late 2 − rectification_answered_late 1
        ("s-fgw-3", Decimal(0), 5, 3),
        ("s-zwb-3", Decimal(0), 5, 3),  # after two sharing the first place: third
    ]
    # fgw: mean (48.5 + 4 + 0) / 3 = 17.50; approved 2/3 × 10 = 6.67; accepted (优秀, 合格) 2/3 × 10 = 6.67;
    # topics on time +3; reviews +0.5 +0.5 −1 = 0 → 33.84.
    # zwb: mean (11 + 10 + 0) / 3 = 7.00; approved 6.67; accepted 0; topics late −3; reviews 3 × 0.5 → 12.17.
    departments = scores(api, "department")
    assert totals(departments) == [("fgw", Decimal("33.84"), 1, 1), ("zwb", Decimal("12.17"), 2, 1)]
    fgw = departments["items"][0]
    assert fgw["name"] == "市发改委"
    mean = next(line for line in fgw["lines"] if line["code"] == "branch_mean")
    assert mean["points"] == "17.50" and [s["subject_id"] for s in mean["subjects"]] == ["fgw-b1", "fgw-b2", "fgw-b3"]


def test_every_line_lists_the_events_behind_it_with_type_time_service_and_audit_trail(
    api: TestClient, city: tuple[City, dict[str, Any]]
) -> None:
    response = api.get("/assessment/periods/2026/scores/branch/fgw-b2", headers=AUDITOR)
    assert response.status_code == 200, response.text
    lines = {line["code"]: line for line in response.json()["lines"]}
    warning = lines["warning"]
    assert (
        warning["count"] == 2 and [e["type"] for e in warning["events"]] == ["inspection.Supervision.ColourChanged"] * 2
    )
    assert [e["at"][:10] for e in warning["events"]] == ["2026-06-01", "2026-06-21"]
    project = city[1]["b2"].id
    assert {e["service"] for e in warning["events"]} == {"inspection"}
    assert {e["audit_trail"] for e in warning["events"]} == {f"/projects/{project}/audit-trail"}
    trail = api.get(f"/projects/{project}/audit-trail", headers=AUDITOR).json()
    assert set(warning["event_ids"]) <= {e["event_id"] for e in trail}
    late = lines["project_approved_late"]["events"]
    assert [(e["type"], e["service"], e["at"][:10]) for e in late] == [
        ("filing.Project.Approved", "filing", "2026-04-10")
    ]
    rectification = lines["rectification_overdue"]["events"]
    assert [e["type"].rsplit(".", 1)[1] for e in rectification] == [
        "RectificationOrdered",
        "RectificationAnswered",
        "RectificationVerified",
    ]


def test_who_may_read_what(api: TestClient) -> None:
    committee = bearer(Role.COMMITTEE, "fgw", subject="c-fgw")
    assert [r["subject_id"] for r in scores(api, "branch", committee)["items"]] == ["fgw-b1", "fgw-b2", "fgw-b3"]
    refused = api.get("/assessment/periods/2026/scores/branch/zwb-b1", headers=committee)
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    secretary = bearer(Role.SECRETARY, "fgw", "fgw-b2", "s-fgw-2")
    assert [r["subject_id"] for r in scores(api, "branch", secretary)["items"]] == ["fgw-b2"]
    assert [r["subject_id"] for r in scores(api, "secretary", secretary)["items"]] == ["s-fgw-2"]
    assert api.get("/assessment/periods/2026/scores/secretary/s-fgw-1", headers=secretary).status_code == 403
    assert (
        api.get("/assessment/periods/2026/scores", params={"subject_type": "department"}, headers=secretary).status_code
        == 403
    )
    member = bearer(Role.MEMBER, "fgw", "fgw-b1", "m-001")
    live = api.get("/assessment/periods/2026/scores", headers=member)
    assert live.status_code == 403 and "published" in live.json()["detail"]
    for role in (Role.INSPECTOR, Role.PANELIST, Role.ADMIN):
        assert api.get("/assessment/periods/2026/scores", headers=bearer(role, subject="x")).status_code == 403
    assert api.post("/assessment/periods/2026/publications", json={}, headers=AUDITOR).status_code == 403


def test_unknown_period_subject_scheme_and_publication_are_404_saying_what_exists(api: TestClient) -> None:
    missing = api.get("/assessment/periods/2031/scores", headers=AUDITOR)
    assert missing.status_code == 404 and "2026" in missing.json()["detail"]
    assert api.get("/assessment/periods/1999/scores", headers=AUDITOR).status_code == 422
    subject = api.get("/assessment/periods/2026/scores/branch/fgw-b9", headers=AUDITOR)
    assert subject.status_code == 404 and "fgw-b1" in subject.json()["detail"]
    scheme = api.get("/assessment/periods/2026/scores", params={"scheme": "2026-v9"}, headers=AUDITOR)
    assert scheme.status_code == 404 and "2026-v1" in scheme.json()["detail"] and "2026-v2" in scheme.json()["detail"]
    assert api.get("/assessment/schemes/2026-v9", headers=AUDITOR).status_code == 404
    assert api.get("/assessment/periods/2026/publications/9", headers=AUDITOR).status_code == 404
    wrong = api.get("/assessment/periods/2026/scores", params={"subject_type": "member"}, headers=AUDITOR)
    assert wrong.status_code == 422


def test_schemes_are_listed_with_their_hashes(api: TestClient) -> None:
    listed = api.get("/assessment/schemes", headers=AUDITOR).json()
    assert [(s["version"], s["current"]) for s in listed] == [("2026-v1", True), ("2026-v2", False)]
    v1 = api.get("/assessment/schemes/2026-v1", headers=AUDITOR).json()
    assert v1["content_hash"] == listed[0]["content_hash"] and len(v1["content_hash"]) == 64
    warning = next(line for line in v1["branch"]["lines"] if line["code"] == "warning")
    assert warning["points_by"] == {"red": "-2", "yellow": "-1"}


def post(api: TestClient, path: str, body: dict[str, Any], who: dict[str, str]):
    return api.post(f"/assessment/periods/2026/{path}", json=body, headers={**who, "Idempotency-Key": uuid.uuid4().hex})


def branch_totals(page: dict[str, Any]) -> dict[str, Decimal]:
    return {r["subject_id"]: Decimal(r["total"]) for r in page["items"]}


def test_adjustments_need_a_second_organiser_and_stay_within_the_schemes_limits(api: TestClient) -> None:
    bad = post(
        api, "adjustments", {"subject_type": "branch", "subject_id": "fgw-b9", "points": 2, "reason": "x"}, ORG_A
    )
    assert bad.status_code == 404
    body = {
        "subject_type": "branch",
        "subject_id": "fgw-b2",
        "points": 2,
        "reason": "防汛抢险表现突出",
        "evidence": ["市委办〔2026〕3号"],
    }
    assert post(api, "adjustments", body, AUDITOR).status_code == 403
    proposed = post(api, "adjustments", body, ORG_A)
    assert proposed.status_code == 201, proposed.text
    adjustment = proposed.json()
    assert adjustment["state"] == "pending" and adjustment["points"] == "2.00"
    assert branch_totals(scores(api, "branch"))["fgw-b2"] == 4  # not yet counted
    too_much = post(api, "adjustments", {**body, "points": 4}, ORG_B)  # 2 pending + 4 > max_add 5
    assert too_much.status_code == 422 and "at most 5" in too_much.json()["detail"]
    for junk in (0, "NaN", "Infinity", 1.234, 5000, -1e300):
        assert post(api, "adjustments", {**body, "points": junk}, ORG_B).status_code == 422, junk
    huge = '{"subject_type": "branch", "subject_id": "fgw-b2", "points": 1e400, "reason": "x"}'
    raw = {**ORG_B, "Content-Type": "application/json"}
    assert api.post("/assessment/periods/2026/adjustments", content=huge, headers=raw).status_code == 422
    assert post(api, "adjustments", {**body, "reason": "有\x00控制符"}, ORG_B).status_code == 422
    assert post(api, "adjustments", {**body, "department": "fgw\u202e"}, ORG_B).status_code == 422
    nothing = {"points": "", "subject_id": "x", "department": None, "subject_type": "department", "reason": "\u0001"}
    assert post(api, "adjustments", nothing, ORG_B).status_code == 422  # found by the fuzz run: was a 500
    own = post(api, f"adjustments/{adjustment['adjustment_id']}/approve", {}, ORG_A)
    assert own.status_code == 409 and "second organiser" in own.json()["detail"]
    approved = post(api, f"adjustments/{adjustment['adjustment_id']}/approve", {}, ORG_B)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert approved.json()["decided_by"]["id"] == "org-b"
    assert post(api, f"adjustments/{adjustment['adjustment_id']}/approve", {}, ORG_B).status_code == 409
    assert branch_totals(scores(api, "branch"))["fgw-b2"] == 6
    explained = api.get("/assessment/periods/2026/scores/branch/fgw-b2", headers=AUDITOR).json()
    line = explained["lines"][-1]
    assert (line["code"], line["label"], line["points"]) == ("adjustment", "加减分:防汛抢险表现突出", "2.00")
    assert [a["adjustment_id"] for a in explained["adjustments"]] == [adjustment["adjustment_id"]]
    rejected = post(api, "adjustments", {**body, "points": -1, "reason": "材料不实"}, ORG_A).json()
    assert (
        post(api, f"adjustments/{rejected['adjustment_id']}/reject", {"reason": "证据不足"}, ORG_B).json()["state"]
        == "rejected"
    )
    listed = api.get("/assessment/periods/2026/adjustments", headers=AUDITOR).json()
    assert [a["state"] for a in listed] == ["approved", "rejected"]


def test_publication_freezes_corrections_keep_both_replay_and_what_if_change_nothing(
    api: TestClient,
    city: tuple[City, dict[str, Any]],
    new_database: Callable[[str], str],
    store_dsn: str,
    kafka_bootstrap: str,
) -> None:
    first = post(api, "publications", {}, ORG_A)
    assert first.status_code == 201, first.text
    assert (first.json()["number"], first.json()["scheme_version"]) == (1, "2026-v1")
    frozen = scores(api, "branch", path="publications/1")
    assert frozen["provisional"] is False and branch_totals(frozen)["zwb-b1"] == 11

    c, projects = city
    before = len(c.envelopes)
    c.commended(projects["z1"], "municipal", "2026-11-30")  # after the publication: +5 live only
    feed(api.dsn, c.envelopes[before:])  # type: ignore[attr-defined]
    assert branch_totals(scores(api, "branch"))["zwb-b1"] == 16
    assert branch_totals(scores(api, "branch", path="publications/1"))["zwb-b1"] == 11

    again = post(api, "publications", {}, ORG_A)
    assert again.status_code == 409 and "reason" in again.json()["detail"]
    corrected = post(api, "publications", {"reason": "补录市级表彰"}, ORG_B)
    assert corrected.status_code == 201 and corrected.json()["number"] == 2
    listed = api.get("/assessment/periods/2026/publications", headers=AUDITOR).json()
    assert [(p["number"], p["reason"]) for p in listed] == [(1, None), (2, "补录市级表彰")]
    assert branch_totals(scores(api, "branch", path="publications/2"))["zwb-b1"] == 16
    assert branch_totals(scores(api, "branch", path="publications/1"))["zwb-b1"] == 11

    # A member reads their branch's published result, and nothing else.
    member = bearer(Role.MEMBER, "fgw", "fgw-b1", "m-001")
    assert [r["subject_id"] for r in scores(api, "branch", member, path="publications/1")["items"]] == ["fgw-b1"]

    # What-if under 2026-v2 (yellow −2, red −4, provincial +12) beside publication 2; nothing changes.
    trial = api.get("/assessment/periods/2026/what-if", params={"scheme": "2026-v2"}, headers=AUDITOR).json()
    assert (trial["baseline"], trial["baseline_scheme"], trial["what_if_scheme"]) == (
        "publication 2",
        "2026-v1",
        "2026-v2",
    )
    rows = {r["subject_id"]: r for r in trial["items"]}
    assert (rows["fgw-b1"]["baseline_total"], rows["fgw-b1"]["what_if_total"]) == ("48.50", "49.50")  # −1 +2
    assert (rows["fgw-b2"]["what_if_total"], rows["fgw-b2"]["difference"]) == ("3.00", "-3.00")  # 6 − 1 − 2 more
    assert api.get("/assessment/periods/2026/what-if", params={"scheme": "2026-v9"}, headers=AUDITOR).status_code == 404
    published = scores(api, "branch", path="publications/1")
    assert branch_totals(published) == {k: v for k, v in branch_totals(frozen).items()}
    assert published["scheme_version"] == "2026-v1"

    # A full replay: a new projection rebuilt from every event, on the same event store of publications.
    replayed_dsn = new_database("projection_replayed")
    feed(replayed_dsn, c.envelopes)
    with _api(replayed_dsn, store_dsn, kafka_bootstrap) as replayed:
        assert branch_totals(scores(replayed, "branch", path="publications/1")) == branch_totals(frozen)
        assert branch_totals(scores(replayed, "branch")) == branch_totals(scores(api, "branch"))
        explained = replayed.get("/assessment/periods/2026/publications/1/branch/fgw-b2", headers=AUDITOR).json()
        assert explained["total"] == "6.00" and explained["publication"] == 1
        assert (
            next(line for line in explained["lines"] if line["code"] == "warning")["events"][0]["service"]
            == "inspection"
        )


def test_exports_one_row_per_subject_with_chinese_headers(api: TestClient) -> None:
    response = api.get("/assessment/periods/2026/export.xlsx", params={"publication": 1}, headers=AUDITOR)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    assert header[:8] == ("编号", "名称", "所属部门", "总分", "星级", "全市排名", "部门内排名", "标记")
    assert "预警亮灯(每次,黄灯扣1分、红灯扣2分)" in header and header[-1] == "加减分"
    assert [(r[0], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("fgw-b1", 48.5, 5, 1),
        ("zwb-b1", 11, 3, 2),
        ("zwb-b2", 10, 3, 3),
        ("fgw-b2", 6, 2, 4),
        ("fgw-b3", 0, 1, 5),
        ("zwb-b3", 0, 1, 5),
    ]
    warning = header.index("预警亮灯(每次,黄灯扣1分、红灯扣2分)")
    assert rows[4][warning] == -3 and rows[4][-1] == 2
    committee = bearer(Role.COMMITTEE, "zwb", subject="c-zwb")
    text = api.get("/assessment/periods/2026/export.csv", params={"subject_type": "department"}, headers=committee)
    assert text.status_code == 200 and text.content.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert parsed[0][:4] == ["编号", "名称", "所属部门", "总分"] and [r[0] for r in parsed[1:]] == ["zwb"]
    member = bearer(Role.MEMBER, "fgw", "fgw-b1", "m-001")
    assert api.get("/assessment/periods/2026/export.csv", headers=member).status_code == 403


def test_one_branch_code_in_two_departments_is_two_subjects(
    new_database: Callable[[str], str], store_dsn: str, kafka_bootstrap: str
) -> None:
    c = City(2026)
    c.department("fgw", "市发改委", [("b1", "发改一支部", "s-1", "王强")])
    c.department("jw", "市教育局", [("b1", "教育一支部", "s-1", "王强")])  # one code, one secretary, twice
    topic = c.topic("fgw", at("2026-02-10"))
    p = c.project("fgw", "b1", "s-1", topic, plan("2026-12-31"))  # due on the period's last day: never late
    c.submitted(p, at("2026-02-12"))
    c.approved(p, at("2026-02-14"))  # +10
    dsn = new_database("projection_codes")
    feed(dsn, c.envelopes)
    with _api(dsn, new_database("store_codes"), kafka_bootstrap) as api:
        rows = scores(api, "branch")["items"]
        assert [(r["department"], r["subject_id"], r["total"], r["city_rank"]) for r in rows] == [
            ("fgw", "b1", "10.00", 1),
            ("jw", "b1", "0.00", 2),
        ]
        secretaries = scores(api, "secretary")["items"]
        assert [(r["department"], r["branch"], r["total"]) for r in secretaries] == [
            ("fgw", "b1", "10.00"),
            ("jw", "b1", "0.00"),
        ]
        ambiguous = api.get("/assessment/periods/2026/scores/branch/b1", headers=AUDITOR)
        assert ambiguous.status_code == 422 and "fgw/b1, jw/b1" in ambiguous.json()["detail"]
        named = api.get("/assessment/periods/2026/scores/branch/b1", params={"department": "jw"}, headers=AUDITOR)
        assert named.status_code == 200 and named.json()["name"] == "教育一支部"
        body = {"subject_type": "branch", "subject_id": "b1", "points": 3, "reason": "专项"}
        assert post(api, "adjustments", body, ORG_A).status_code == 422
        proposed = post(api, "adjustments", {**body, "department": "jw"}, ORG_A).json()
        assert proposed["department"] == "jw"
        # While pending it is the organisers' and auditors' business only.
        secretary = bearer(Role.SECRETARY, "jw", "b1", "s-1")
        mine = api.get("/assessment/periods/2026/scores/branch/b1", headers=secretary).json()
        assert mine["department"] == "jw" and mine["adjustments"] == []
        assert (
            len(
                api.get("/assessment/periods/2026/scores/branch/b1?department=jw", headers=AUDITOR).json()[
                    "adjustments"
                ]
            )
            == 1
        )
        post(api, f"adjustments/{proposed['adjustment_id']}/approve", {}, ORG_B)
        totals_now = {(r["department"], r["subject_id"]): r["total"] for r in scores(api, "branch")["items"]}
        assert totals_now == {("fgw", "b1"): "10.00", ("jw", "b1"): "3.00"}
        assert [
            a["state"]
            for a in api.get("/assessment/periods/2026/scores/branch/b1", headers=secretary).json()["adjustments"]
        ] == ["approved"]
        committee = bearer(Role.COMMITTEE, "fgw", subject="c-fgw")
        other = api.get("/assessment/periods/2026/scores", params={"department": "jw"}, headers=committee)
        assert other.status_code == 403 and "not of jw" in other.json()["detail"]
