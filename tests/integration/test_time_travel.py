"""`?as_of=` on the projection's reads: a year played in four phases through the real handler and inbox,
the live endpoints read at three moments between them (the programme's manual clock set to each), and
the same reads asked afterwards `as_of` those moments answer what was read then; bad moments are
refused with a problem that says what is wrong.

Each phase's events are recorded (occurred_at) after the moment before it and by the moment after it,
the fourth after the last moment: what it brings is in no as_of answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi.testclient import TestClient

from services.projection import time_travel
from services.projection.config import ProjectionSettings
from services.projection.main import create_app
from shared.auth import Role
from shared.contracts import Envelope
from tests.assessment_city import TZ, City, at, plan
from tests.contract import Contract
from tests.projection_history import feed, read_models
from tests.support import TRUST, headers, token

pytestmark = pytest.mark.integration

MOMENTS = ("2026-03-31T18:00:00+08:00", "2026-06-30T18:00:00+08:00", "2026-11-30T18:00:00+08:00")
# when each phase's recording starts: after the moment before it
STARTS = ("2026-01-05T09:00:00+08:00", "2026-04-01T09:00:00+08:00", "2026-07-01T09:00:00+08:00")
LATER = "2026-12-01T09:00:00+08:00"  # the fourth phase, after every moment
BEFORE_THE_FIRST_EVENT = "2025-12-31T23:59:00+08:00"
AUDITOR = headers(Role.AUDITOR)
FGW = headers(Role.COMMITTEE, "fgw")


def recorded(envelopes: list[Envelope], start: str) -> list[Envelope]:
    """The phase's events as their stores recorded them: in order, each at its programme time (or a
    minute after the one before it, if that is later or it has none)."""
    clock, out = dt.datetime.fromisoformat(start), []
    for e in envelopes:
        stamped = e.payload.get("at") or (f"{e.payload['met_on']}T18:00:00+08:00" if "met_on" in e.payload else None)
        clock = max(clock + dt.timedelta(minutes=1), dt.datetime.fromisoformat(stamped) if stamped else clock)
        out.append(dataclasses.replace(e, occurred_at=clock.isoformat()))
    return out


@dataclasses.dataclass
class Year:
    phases: list[list[Envelope]]
    projects: dict[str, str]


def played_year() -> Year:
    """Two departments from January, a third from April; four projects by the moments, a fifth after."""
    c, marks = City(2026), []
    c.department("fgw", "市发改委", [(f"fgw-b{n}", f"发改委第{n}支部", f"s-fgw-{n}", f"书记{n}") for n in (1, 2, 3)])
    c.department("zwb", "市政务办", [(f"zwb-b{n}", f"政务办第{n}支部", f"s-zwb-{n}", f"书记{n}") for n in (1, 2)])
    fgw_topic, zwb_topic = c.topic("fgw", at("2026-02-10")), c.topic("zwb", at("2026-03-01"))
    b1 = c.project("fgw", "fgw-b1", "s-fgw-1", fgw_topic, plan("2026-04-30", "2026-09-30"))
    c.submitted(b1, at("2026-02-20"))
    c.approved(b1, at("2026-02-25"))
    c.scheduled(b1, at("2026-02-25"))
    b2 = c.project("fgw", "fgw-b2", "s-fgw-2", fgw_topic, plan("2026-06-30", "2026-10-31"))
    c.submitted(b2, at("2026-03-10"))
    c.returned(b2, at("2026-03-12"))
    c.submitted(b2, at("2026-03-30"))
    z1 = c.project("zwb", "zwb-b1", "s-zwb-1", zwb_topic, plan("2026-05-31", "2026-08-31"))
    c.submitted(z1, at("2026-03-01"))
    c.approved(z1, at("2026-03-03"))
    marks.append(len(c.envelopes))  # -- 2026-03-31 18:00
    c.department("jgw", "市机关工委", [("jgw-b1", "机关工委第1支部", "s-jgw-1", "书记1")])
    c.inspected(b1, 1, "m1", "on_track", at("2026-04-01"))
    c.milestone_met(b1, "m1", "2026-04-28")
    z2 = c.project("zwb", "zwb-b2", "s-zwb-2", zwb_topic, plan("2026-12-31"))
    c.submitted(z2, at("2026-04-02"))
    c.approved(z2, at("2026-04-08"))
    c.approved(b2, at("2026-04-10"))
    c.scheduled(b2, at("2026-04-10"))
    c.inspected(b2, 1, "m1", "at_risk", at("2026-06-01"), order="r1")
    c.ordered(b2, "r1", "m1", "2026-06-20", at("2026-06-01"))
    c.colour(b2, "yellow", "green", at("2026-06-01"))
    c.milestone_met(z1, "m1", "2026-06-05")
    c.colour(b2, "red", "yellow", at("2026-06-21"))
    c.answered(b2, "r1", at("2026-06-25"))
    c.verified(b2, "r1", at("2026-06-28"))
    marks.append(len(c.envelopes))  # -- 2026-06-30 18:00
    c.inspected(b1, 2, "m2", "lagging", at("2026-07-01"))
    c.colour(b1, "yellow", "green", at("2026-07-01"))
    c.milestone_met(b2, "m1", "2026-07-10")
    c.colour(b2, "green", "red", at("2026-07-10"))
    c.colour(b1, "green", "yellow", at("2026-07-20"))
    c.milestone_met(z1, "m2", "2026-08-30")
    c.milestone_met(b1, "m2", "2026-09-20")
    c.milestone_met(b2, "m2", "2026-10-30")
    c.objection(b1, "f1", at("2026-11-05"), at("2026-11-06"))
    c.concluded(b1, "excellent", "优秀", at("2026-11-20"))
    c.concluded(b2, "pass", "合格", at("2026-11-25"))
    c.commended(b1, "provincial", "2026-11-28")
    c.brand(b1, "发改先锋")
    marks.append(len(c.envelopes))  # -- 2026-11-30 18:00
    j1 = c.project("jgw", "jgw-b1", "s-jgw-1", fgw_topic, plan("2026-12-31"))
    c.submitted(j1, at("2026-12-01"))
    c.milestone_met(z2, "m1", "2026-12-01")
    bounds = [0, *marks, len(c.envelopes)]
    phases = [
        recorded(c.envelopes[a:b], start)
        for (a, b), start in zip(itertools.pairwise(bounds), (*STARTS, LATER), strict=True)
    ]
    for phase, moment in zip(phases, MOMENTS, strict=False):
        assert max(e.occurred_at for e in phase) <= moment, "a phase is recorded by its moment"
    return Year(phases, {"b1": b1.id, "b2": b2.id, "z2": z2.id})


def reads(year: Year) -> dict[str, tuple[str, dict[str, Any], dict[str, str]]]:
    """The reads compared: path, parameters and who asks."""
    scores = "/assessment/periods/2026/scores"
    return {
        "projects": ("/projects", {}, AUDITOR),
        "fgw's projects": ("/projects", {"state": "approved"}, FGW),
        "a project": (f"/projects/{year.projects['b2']}", {}, AUDITOR),
        "statistics": ("/statistics", {"year": 2026}, AUDITOR),
        "fgw's statistics": ("/statistics", {"year": 2026}, FGW),
        "monthly": ("/statistics/monthly", {"year": 2026}, AUDITOR),
        "coverage": ("/statistics/coverage", {"year": 2026}, AUDITOR),
        "branch scores": (scores, {"subject_type": "branch"}, AUDITOR),
        "secretary scores": (scores, {"subject_type": "secretary"}, AUDITOR),
        "department scores": (scores, {"subject_type": "department"}, AUDITOR),
        "one score explained": (f"{scores}/branch/fgw-b1", {}, AUDITOR),
    }


Answer = tuple[int, Any, str | None]


def answer(response: httpx.Response) -> Answer:
    return response.status_code, response.json(), response.headers.get("x-total-count")


@dataclasses.dataclass
class Played:
    api: TestClient
    dsn: str
    year: Year
    then: list[dict[str, Answer]]  # what the live reads answered at each moment


def set_clock(api: TestClient, now: str) -> None:
    moved = api.post("/admin/clock", json={"now": now}, headers=headers(Role.ADMIN))
    assert moved.status_code == 200, moved.text


@pytest.fixture(scope="module")
def played(new_database: Callable[[str], str], kafka_bootstrap: str) -> Iterator[Played]:
    dsn, year = new_database("projection"), played_year()
    settings = ProjectionSettings(
        database_dsn=dsn,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}",
        token_keys=TRUST,
        clock="manual",
        clock_dsn=new_database("clock"),
    )
    with TestClient(create_app(settings)) as api:
        then = []
        for phase, moment in zip(year.phases, MOMENTS, strict=False):
            feed(dsn, phase)
            set_clock(api, moment)
            then.append(
                {name: answer(api.get(path, params=p, headers=h)) for name, (path, p, h) in reads(year).items()}
            )
        feed(dsn, year.phases[-1])
        set_clock(api, LATER)
        yield Played(api, dsn, year, then)


def test_as_of_each_of_three_moments_answers_what_the_live_reads_answered_then(played: Played) -> None:
    contract = Contract(played.api)
    for moment, then in zip(MOMENTS, played.then, strict=True):
        for name, (path, params, who) in reads(played.year).items():
            asked = answer(contract.get(path, params={**params, "as_of": moment}, headers=who))
            assert asked[0] == 200, (moment, name, asked)
            assert asked == then[name], f"{name} as of {moment}"
    first, second, third = played.then
    assert first != second != third, "the moments differ: each answer is its own"
    assert first["projects"][2] == "3" and third["projects"][2] == "4"
    assert [p["state"] for p in third["projects"][1]] == ["graded", "graded", "approved", "approved"]


def test_the_later_events_are_in_the_live_answers_only(played: Played) -> None:
    now = answer(played.api.get("/projects", headers=AUDITOR))
    assert now[2] == "5"
    last = answer(played.api.get("/projects", params={"as_of": MOMENTS[-1]}, headers=AUDITOR))
    assert last == played.then[-1]["projects"] != now


def organiser(subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(Role.ORGANISER, subject=subject)}", "Idempotency-Key": uuid.uuid4().hex}


def bonuses(score: dict[str, Any]) -> list[str]:
    return [i for line in score["lines"] for i in line["event_ids"] if i.startswith("adjustment:")]


def test_as_of_now_counts_a_bonus_approved_since_the_last_moment_and_as_of_then_does_not(played: Played) -> None:
    api, adjustments = played.api, "/assessment/periods/2026/adjustments"
    body = {"subject_type": "branch", "subject_id": "zwb-b1", "points": 2, "reason": "防汛抢险表现突出"}
    proposed = api.post(adjustments, json=body, headers=organiser("org-a"))
    assert proposed.status_code == 201, proposed.text
    decided = f"{adjustments}/{proposed.json()['adjustment_id']}/approve"
    assert api.post(decided, json={"reason": "属实"}, headers=organiser("org-b")).status_code == 200
    now = dt.datetime.now(TZ).isoformat()
    set_clock(api, now)
    score = "/assessment/periods/2026/scores/branch/zwb-b1"
    live = answer(api.get(score, headers=AUDITOR))
    assert answer(api.get(score, params={"as_of": now}, headers=AUDITOR)) == live
    assert [a["points"] for a in live[1]["adjustments"]] == ["2.00"] and bonuses(live[1])
    then = api.get(score, params={"as_of": MOMENTS[-1]}, headers=AUDITOR).json()
    assert then["adjustments"] == [] and not bonuses(then)


def test_as_of_before_the_first_event_answers_empty(played: Played) -> None:
    api, as_of = played.api, {"as_of": BEFORE_THE_FIRST_EVENT}
    projects = api.get("/projects", params=as_of, headers=AUDITOR)
    assert (projects.status_code, projects.json(), projects.headers["x-total-count"]) == (200, [], "0")
    statistics = api.get("/statistics", params={**as_of, "year": 2026}, headers=AUDITOR).json()
    assert statistics["rows"] == statistics["departments"] == []
    assert statistics["total"]["projects"] == statistics["total"]["branches"] == 0
    monthly = api.get("/statistics/monthly", params={**as_of, "year": 2026}, headers=AUDITOR).json()
    assert {n for m in monthly["months"] for k, n in m.items() if k != "month"} == {0}
    coverage = api.get("/statistics/coverage", params={**as_of, "year": 2026}, headers=AUDITOR).json()
    assert (coverage["total"], coverage["items"]) == (0, [])
    scores = api.get("/assessment/periods/2026/scores", params=as_of, headers=AUDITOR).json()
    assert (scores["total"], scores["items"], scores["as_of"]) == (0, [], "2025-12-31")


def test_a_project_drafted_after_the_moment_is_not_found_as_of_it(played: Played) -> None:
    z2 = played.year.projects["z2"]
    missing = played.api.get(f"/projects/{z2}", params={"as_of": MOMENTS[0]}, headers=AUDITOR)
    assert missing.status_code == 404, missing.text
    assert missing.json()["detail"] == (
        f"no project {z2} in the projection as of 2026-03-31T18:00:00+08:00 (not drafted by then, or unknown)"
    )
    found = played.api.get(f"/projects/{z2}", params={"as_of": MOMENTS[1]}, headers=AUDITOR)
    assert found.status_code == 200 and found.json()["state"] == "approved"


ENDPOINTS = [
    ("/projects", {}),
    ("/projects/{b1}", {}),
    ("/statistics", {"year": 2026}),
    ("/statistics/monthly", {"year": 2026}),
    ("/statistics/coverage", {"year": 2026}),
    ("/assessment/periods/2026/scores", {}),
    ("/assessment/periods/2026/scores/branch/fgw-b1", {}),
]


def refusal(played: Played, path: str, params: dict[str, Any], as_of: str) -> str:
    url = path.format(b1=played.year.projects["b1"])
    response = played.api.get(url, params={**params, "as_of": as_of}, headers=AUDITOR)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_input"
    return str(response.json()["detail"])


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_every_read_refuses_an_as_of_in_the_future_saying_what_time_it_is(
    played: Played, path: str, params: dict[str, Any]
) -> None:
    tomorrow = (dt.datetime.now(TZ) + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    detail = refusal(played, path, params, tomorrow.isoformat())
    assert detail.startswith(f"as_of {tomorrow.isoformat()} is in the future: it is now 20"), detail
    assert "leave as_of out for the present" in detail


@pytest.mark.parametrize(
    ("as_of", "said"),
    [
        ("yesterday", "as_of 'yesterday' is not a moment (not ISO 8601): write it in ISO 8601 with its UTC offset"),
        ("2026-06-31T18:00+08:00", "is not a moment (day is out of range for month)"),
        ("2026-06-30T25:00+08:00", "is not a moment (hour must be in 0..23)"),
        ("", "as_of is empty: give a moment such as 2026-06-30T18:00+08:00"),
        ("2026-06-30T18:00", "as_of '2026-06-30T18:00' has no UTC offset: say which time zone it is in"),
        ("2026-06-30", "as_of '2026-06-30' is a date, not a moment: add the time and its UTC offset"),
        ("1999-12-31T18:00+08:00", "as_of: 1999-12-31 is outside 2000-01-01 to 2100-12-31"),
    ],
)
@pytest.mark.parametrize(("path", "params"), [ENDPOINTS[0], ENDPOINTS[2], ENDPOINTS[5]])
def test_an_as_of_that_is_no_moment_with_an_offset_is_refused_saying_what_is_wrong(
    played: Played, path: str, params: dict[str, Any], as_of: str, said: str
) -> None:
    assert said in refusal(played, path, params, as_of)


def test_as_of_given_twice_is_refused(played: Played) -> None:
    twice = played.api.get(f"/projects?as_of={MOMENTS[0]}&as_of={MOMENTS[1]}".replace("+", "%2B"), headers=AUDITOR)
    assert twice.status_code == 422 and twice.json()["detail"] == "as_of is given 2 times: give one moment"


def test_a_plus_left_unencoded_in_the_url_is_read_as_the_offset_it_was(played: Played) -> None:
    raw = played.api.get(f"/statistics?year=2026&as_of={MOMENTS[1]}", headers=AUDITOR)  # '+' arrives as ' '
    assert answer(raw) == played.then[1]["statistics"]


def test_as_of_reads_leave_the_live_tables_as_they_were(played: Played) -> None:
    before = asyncio.run(read_models(played.dsn))
    for path, params in ENDPOINTS:
        url = path.format(b1=played.year.projects["b1"])
        assert played.api.get(url, params={**params, "as_of": MOMENTS[1]}, headers=AUDITOR).status_code == 200
    assert asyncio.run(read_models(played.dsn)) == before


def test_a_connection_reads_the_moment_in_the_block_and_the_live_tables_after_it(played: Played) -> None:
    """Its prepared statements included, in a session that has temporary tables of its own already."""

    async def counts() -> tuple[int, int, int, str]:
        conn = await asyncpg.connect(played.dsn)
        try:
            await conn.execute("CREATE TEMP TABLE scratch (x int)")
            count = "SELECT count(*) FROM projects WHERE year = $1"
            live = await conn.fetchval(count, 2026)
            async with time_travel.at_moment(conn, dt.datetime.fromisoformat(MOMENTS[0])):
                then = await conn.fetchval(count, 2026)
                try:
                    await conn.execute("DELETE FROM public.projects")
                    refused = "deleted"
                except asyncpg.ReadOnlySQLTransactionError as error:
                    refused = str(error)
            return live, then, await conn.fetchval(count, 2026), refused
        finally:
            await conn.close()

    live, then, after, refused = asyncio.run(counts())
    assert (live, then, after) == (5, 3, 5)
    assert refused == "cannot execute DELETE in a read-only transaction"
