"""公开验收 as rules: applying, the notice period over working days, the public's feedback and its
seal, the panel and conflicts of interest, scores against the rubric, grades, honours; and the
application's authorisation (organisers, panelists) on an in-memory event store."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.acceptance.app import AcceptanceApplication, Awaiting
from services.acceptance.domain import Acceptance, notice_closes_at
from services.acceptance.rubric import Rubrics
from shared.auth import Principal, Role
from shared.errors import Forbidden, InvalidInput, InvalidTransition

TZ = ZoneInfo("Asia/Shanghai")
FILING = {"id": "committee@fgw/-", "role": "committee", "department": "fgw"}
SECRETARY = {"id": "s-fgw-1", "role": "secretary", "department": "fgw", "branch": "fgw-b1"}
ORGANISER = {"id": "org-1", "role": "panelist"}
PUBLIC = {"id": "public", "role": "public"}
TARGETS = ["办理时限压缩至1个工作日", "群众满意率≥95%"]
PLAN = [
    {"id": "m1", "title": "调研", "due": "2026-03-31", "deliverable": "调研报告"},
    {"id": "m2", "title": "实施", "due": "2026-06-30", "deliverable": "服务台账"},
]
PANEL = [
    {"id": "p-1", "name": "张教授", "department": "jggw", "branch": ""},
    {"id": "p-2", "name": "李处长", "department": "zwb", "branch": "zwb-b5"},
    {"id": "p-3", "name": "王主任", "department": "fgw", "branch": "fgw-b2"},
]
RUBRIC = Rubrics().get("2026-v1")
OPENED = dt.datetime(2026, 11, 2, 10, tzinfo=TZ)  # a Monday
CLOSES = dt.datetime(2026, 11, 10, tzinfo=TZ)  # after Tue 3, Wed 4, Thu 5, Fri 6, Mon 9


def on(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


def filed() -> Acceptance:
    return Acceptance.file(
        "fgw",
        "fgw-b1",
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        2026,
        "business_environment",
        "船员注册不见面审批",
        "网上申报、线上审批、快递送达",
        TARGETS,
        {"id": "m-001", "name": "李扬"},
        FILING,
        "evt-drafted",
    )


def approved() -> Acceptance:
    a = filed()
    a.approve("fgw-2026-0001", "船员注册不见面审批", PLAN, FILING, "evt-approved")
    return a


def delivered() -> Acceptance:
    a = approved()
    for mid in ("m1", "m2"):
        a.milestone_met(mid, "2026-06-01", {"title": "成果"}, SECRETARY, f"evt-met-{mid}")
    return a


def outcomes(*targets: str) -> list[dict[str, str]]:
    return [{"target": t, "result": f"已实现:{t}"} for t in (targets or TARGETS)]


EVIDENCE = [{"url": "https://example.org/report", "title": "总结报告"}]


def applied() -> Acceptance:
    a = delivered()
    a.apply("上线不见面审批系统", outcomes(), EVIDENCE, on("2026-10-30"), SECRETARY, "apply-1")
    return a


def in_notice() -> Acceptance:
    a = applied()
    a.open_notice(OPENED, 5, (), ORGANISER, "notice-1")
    return a


def closed(*feedback: tuple[str, str]) -> Acceptance:
    a = in_notice()
    for n, (kind, text) in enumerate(feedback):
        a.give_feedback(kind, text, "", OPENED + dt.timedelta(hours=1), PUBLIC, f"fb-{n}")
    assert a.close_notice(CLOSES, ORGANISER, "seal")
    return a


def scored(a: Acceptance, *scores: dict[str, int]) -> Acceptance:
    a.appoint_panel(PANEL, RUBRIC.version, ORGANISER, "panel-1")
    for member, given in zip(PANEL, scores, strict=False):
        a.score(member["id"], given, "", RUBRIC, CLOSES, {"id": member["id"], "role": "panelist"}, None)
    return a


def flat(value: int) -> dict[str, int]:
    return {c.code: value for c in RUBRIC.criteria}


# -- 公示期: working days in the programme's timezone ----------------------------------------------


@pytest.mark.parametrize(
    ("opened", "closes"),
    [
        (on("2026-07-01", 10), on("2026-07-09", 0)),  # Wednesday: Thu, Fri, Mon, Tue, Wed
        (on("2026-07-03", 23), on("2026-07-11", 0)),  # Friday night: the next five weekdays
        (on("2026-07-04", 10), on("2026-07-11", 0)),  # Saturday: Mon–Fri
        (on("2026-07-05", 10), on("2026-07-11", 0)),  # Sunday: Mon–Fri
    ],
)
def test_a_notice_runs_five_full_working_days_after_it_opens_weekends_excluded(
    opened: dt.datetime, closes: dt.datetime
) -> None:
    assert notice_closes_at(opened, 5) == closes


def test_holidays_are_not_working_days_either() -> None:
    assert notice_closes_at(on("2026-07-03"), 5, {dt.date(2026, 7, 7)}) == on("2026-07-14", 0)


def test_the_notice_period_counts_days_in_the_programmes_timezone() -> None:
    thursday_evening_utc = dt.datetime(2026, 7, 2, 17, tzinfo=dt.UTC)  # already Friday 01:00 in Shanghai
    assert notice_closes_at(thursday_evening_utc.astimezone(TZ), 5) == on("2026-07-11", 0)
    assert notice_closes_at(thursday_evening_utc, 5) == dt.datetime(2026, 7, 10, tzinfo=dt.UTC)


def test_a_notice_period_is_one_to_thirty_working_days() -> None:
    with pytest.raises(InvalidInput, match="1–30 working days"):
        notice_closes_at(OPENED, 0)


# -- 申请验收 --------------------------------------------------------------------------------------


def test_an_unapproved_project_cannot_apply() -> None:
    with pytest.raises(InvalidTransition, match=r"not approved \(立项备案\) yet"):
        filed().apply("x", outcomes(), EVIDENCE, OPENED, SECRETARY, None)


def test_the_application_is_refused_while_a_milestone_is_unmet() -> None:
    a = approved()
    a.milestone_met("m1", "2026-03-30", {"title": "调研报告"}, SECRETARY, "evt-met")
    with pytest.raises(InvalidTransition, match="milestone m2 「实施」 \\(due 2026-06-30\\) is not met") as refused:
        a.apply("x", outcomes(), EVIDENCE, OPENED, SECRETARY, None)
    assert "milestone m1" not in refused.value.message


def test_the_application_is_refused_while_a_rectification_is_open() -> None:
    a = delivered()
    a.rectification_ordered("r1", "m2", "2026-07-15", {"id": "inspector", "role": "inspector"}, "evt-r1")
    with pytest.raises(InvalidTransition, match=r"rectification order r1 .* is not verified"):
        a.apply("x", outcomes(), EVIDENCE, OPENED, SECRETARY, None)
    a.rectification_verified("r1", {"id": "inspector", "role": "inspector"}, "evt-r1-verified")
    a.apply("x", outcomes(), EVIDENCE, OPENED, SECRETARY, None)
    assert a.state == "applied"


def test_the_application_answers_every_measurable_target_with_evidence() -> None:
    with pytest.raises(InvalidInput, match="missing: 2 「群众满意率≥95%」"):
        delivered().apply("x", outcomes(TARGETS[0]), EVIDENCE, OPENED, SECRETARY, None)
    with pytest.raises(InvalidInput, match="not a target of this project: 别的目标"):
        delivered().apply("x", outcomes(*TARGETS, "别的目标"), EVIDENCE, OPENED, SECRETARY, None)
    with pytest.raises(InvalidInput, match="evidence"):
        delivered().apply("x", outcomes(), [], OPENED, SECRETARY, None)
    with pytest.raises(InvalidInput, match="http"):
        delivered().apply("x", outcomes(), [{"url": "javascript:alert(1)"}], OPENED, SECRETARY, None)


def test_a_milestone_added_by_a_plan_change_must_be_met_too() -> None:
    a = delivered()
    a.replan([*PLAN, {"id": "m3", "title": "推广", "due": "2026-09-30", "deliverable": "推广方案"}], FILING, "evt")
    with pytest.raises(InvalidTransition, match="milestone m3"):
        a.apply("x", outcomes(), EVIDENCE, OPENED, SECRETARY, None)


# -- 公示 and the public's feedback --------------------------------------------------------------


def test_no_notice_opens_before_the_branch_applies() -> None:
    with pytest.raises(InvalidTransition, match="has not applied"):
        delivered().open_notice(OPENED, 5, (), ORGANISER, None)


def test_feedback_is_taken_during_the_notice_period_only() -> None:
    with pytest.raises(InvalidTransition, match="no public notice is open"):
        applied().give_feedback("support", "好", "", OPENED, PUBLIC, None)
    a = in_notice()
    item = a.give_feedback("objection", "办理仍需跑腿", "市民", CLOSES - dt.timedelta(seconds=1), PUBLIC, "fb")
    assert (item["feedback_id"], item["kind"]) == ("f1", "objection")
    with pytest.raises(InvalidTransition, match="closed at 2026-11-10T00:00:00\\+08:00; its feedback ledger is sealed"):
        a.give_feedback("support", "好", "", CLOSES, PUBLIC, None)


def test_feedback_is_limited_in_size_and_kind() -> None:
    a = in_notice()
    with pytest.raises(InvalidInput, match="501 characters long; at most 500"):
        a.give_feedback("support", "好" * 501, "", OPENED, PUBLIC, None)
    with pytest.raises(InvalidInput, match="'support' or 'objection'"):
        a.give_feedback("like", "好", "", OPENED, PUBLIC, None)
    a.give_feedback("support", "好" * 500, "", OPENED, PUBLIC, None)


def test_the_ledger_is_sealed_when_the_period_has_ended_and_nothing_is_added_later() -> None:
    a = in_notice()
    a.give_feedback("support", "好", "", OPENED, PUBLIC, None)
    assert not a.close_notice(CLOSES - dt.timedelta(microseconds=1), ORGANISER, None)
    assert a.close_notice(CLOSES, ORGANISER, None)
    assert not a.close_notice(CLOSES, ORGANISER, None)  # once
    assert a.state == "notice_closed" and len(a.notice["ledger_sha256"]) == 64
    with pytest.raises(InvalidTransition, match="sealed"):
        a.give_feedback("support", "好", "", CLOSES + dt.timedelta(days=1), PUBLIC, None)


def test_only_objections_are_answered_and_only_once() -> None:
    a = closed(("support", "好"), ("objection", "不满意"))
    with pytest.raises(InvalidInput, match="f1 is support"):
        a.answer_objection("f1", "谢谢", CLOSES, SECRETARY, None)
    a.answer_objection("f2", "已整改", CLOSES, SECRETARY, None)
    with pytest.raises(InvalidTransition, match="already answered"):
        a.answer_objection("f2", "再次", CLOSES, SECRETARY, None)


# -- the panel --------------------------------------------------------------------------------


def test_a_panelist_from_the_projects_own_branch_is_refused() -> None:
    conflicted = [*PANEL, {"id": "m-002", "name": "刘莉", "department": "fgw", "branch": "fgw-b1"}]
    with pytest.raises(InvalidTransition, match=r"conflict of interest \(回避\): 刘莉 \(m-002\)"):
        in_notice().appoint_panel(conflicted, RUBRIC.version, ORGANISER, None)


def test_a_panel_has_at_least_three_members() -> None:
    with pytest.raises(InvalidInput, match="3–15 members, not 2"):
        in_notice().appoint_panel(PANEL[:2], RUBRIC.version, ORGANISER, None)


def test_scores_cover_every_criterion_of_the_rubric_in_its_range() -> None:
    a = in_notice()
    a.appoint_panel(PANEL, RUBRIC.version, ORGANISER, None)
    with pytest.raises(InvalidInput, match="missing: public_response"):
        a.score("p-1", {k: v for k, v in flat(90).items() if k != "public_response"}, "", RUBRIC, OPENED, {}, None)
    with pytest.raises(InvalidInput, match="0–100, not 101"):
        a.score("p-1", flat(90) | {"innovation": 101}, "", RUBRIC, OPENED, {}, None)
    with pytest.raises(InvalidInput, match="not on this project's panel"):
        a.score("p-9", flat(90), "", RUBRIC, OPENED, {}, None)


def test_a_score_records_its_rubric_version_and_weighted_total() -> None:
    a = in_notice()
    a.appoint_panel(PANEL, RUBRIC.version, ORGANISER, None)
    given = {
        "target_achievement": 100,
        "innovation": 80,
        "main_work_effect": 90,
        "member_participation": 70,
        "public_response": 60,
    }
    a.score("p-1", given, "扎实", RUBRIC, OPENED, {}, None)
    assert a.scores["p-1"]["rubric"] == "2026-v1"
    assert a.scores["p-1"]["weighted"] == 85.0  # (3000 + 1600 + 2250 + 1050 + 600) / 100


# -- 验收结论 -------------------------------------------------------------------------------------


def test_no_grade_before_the_notice_has_run_its_period() -> None:
    a = scored(in_notice(), flat(95), flat(95), flat(95))
    with pytest.raises(InvalidTransition, match="runs until 2026-11-10T00:00:00\\+08:00; no grade before"):
        a.conclude(RUBRIC, CLOSES - dt.timedelta(seconds=1), ORGANISER, None)


def test_no_grade_until_every_panelist_has_scored() -> None:
    a = scored(closed(), flat(95), flat(95))
    with pytest.raises(InvalidTransition, match=r"waiting for: 王主任 \(p-3\)"):
        a.conclude(RUBRIC, CLOSES, ORGANISER, None)


def test_no_grade_while_an_objection_is_unanswered() -> None:
    a = scored(closed(("objection", "材料不实")), flat(70), flat(70), flat(70))
    with pytest.raises(InvalidTransition, match=r"objections .* must be answered by the branch before the grade: f1"):
        a.conclude(RUBRIC, CLOSES, ORGANISER, None)
    a.answer_objection("f1", "已核实并补充材料", CLOSES, SECRETARY, None)
    a.conclude(RUBRIC, CLOSES, ORGANISER, None)
    assert (a.grade, a.result["grade_label"], a.result["score"]) == ("pass", "合格", 70.0)


def test_no_grade_while_a_rectification_is_open() -> None:
    a = scored(closed(), flat(95), flat(95), flat(95))
    a.rectification_ordered("r1", "m2", "2026-12-01", {"id": "inspector", "role": "inspector"}, "evt-r1")
    with pytest.raises(InvalidTransition, match="rectification order r1"):
        a.conclude(RUBRIC, CLOSES, ORGANISER, None)


@pytest.mark.parametrize(
    ("mean", "grade"),
    [
        ("100", "excellent"),
        ("90.00", "excellent"),
        ("89.99", "good"),
        ("80", "good"),
        ("79.99", "pass"),
        ("60", "pass"),
        ("59.99", "fail"),
        ("0", "fail"),
    ],
)
def test_the_grade_follows_the_published_thresholds(mean: str, grade: str) -> None:
    assert RUBRIC.grade(Decimal(mean)).grade == grade


def test_the_grade_follows_the_mean_of_the_panelists_weighted_scores() -> None:
    a = scored(closed(), flat(92), flat(88), flat(90))  # mean 90.00: excellent
    a.conclude(RUBRIC, CLOSES, ORGANISER, "conclude")
    assert (a.grade, a.result["score"], a.result["rubric"]) == ("excellent", 90.0, "2026-v1")
    assert a.result["thresholds"] == {"excellent": 90.0, "good": 80.0, "pass": 60.0, "fail": 0.0}
    with pytest.raises(InvalidTransition, match="already concluded"):
        a.conclude(RUBRIC, CLOSES, ORGANISER, None)
    with pytest.raises(InvalidTransition, match="scores are final"):
        a.score("p-1", flat(10), "", RUBRIC, CLOSES, {}, None)


def test_the_arithmetic_is_exact_and_rounds_half_up() -> None:
    assert RUBRIC.mean([Decimal("89.99"), Decimal("90.00")]) == Decimal("90.00")  # 89.995
    assert RUBRIC.mean([Decimal("89.99"), Decimal("89.99"), Decimal("90.00")]) == Decimal("89.99")


# -- honours ----------------------------------------------------------------------------------


def test_only_excellent_projects_go_into_the_casebook_or_become_brands() -> None:
    good = scored(closed(), flat(85), flat(85), flat(85))
    good.conclude(RUBRIC, CLOSES, ORGANISER, None)
    with pytest.raises(InvalidTransition, match=r"only projects graded 优秀 .* this one is graded 良好"):
        good.select_for_casebook(ORGANISER, None)
    with pytest.raises(InvalidTransition, match="only projects graded 优秀"):
        good.designate_brand("红色驿站", ORGANISER, None)
    excellent = scored(closed(), flat(95), flat(95), flat(95))
    excellent.conclude(RUBRIC, CLOSES, ORGANISER, None)
    excellent.select_for_casebook(ORGANISER, None)
    excellent.designate_brand("红色驿站", ORGANISER, None)
    assert excellent.in_casebook and excellent.brand == "红色驿站"


def test_commendations_are_recorded_for_accepted_projects_with_their_issuer() -> None:
    a = scored(closed(), flat(95), flat(95), flat(95))
    with pytest.raises(InvalidTransition, match="not graded yet"):
        a.record_commendation("provincial", "中共江苏省委组织部", "省级示范", "2026-12-01", ORGANISER, None)
    a.conclude(RUBRIC, CLOSES, ORGANISER, None)
    with pytest.raises(InvalidInput, match="unknown commendation level 'county'"):
        a.record_commendation("county", "县委", "x", "2026-12-01", ORGANISER, None)
    a.record_commendation("provincial", "中共江苏省委组织部", "省级示范", "2026-12-01", ORGANISER, None)
    assert a.commendations[0]["issuer"] == "中共江苏省委组织部"


def test_replaying_the_history_rebuilds_the_acceptance() -> None:
    a = scored(closed(("objection", "x")), flat(70), flat(70), flat(70))
    a.answer_objection("f1", "已答复", CLOSES, SECRETARY, None)
    a.conclude(RUBRIC, CLOSES, ORGANISER, None)
    events = a.collect_events()
    copy: Any = None
    for e in events:
        copy = e.mutate(copy)
    assert copy.__dict__ == a.__dict__


# -- the application: who may do what, on the programme's clock --------------------------------


class Clock:
    kind = "test"

    def __init__(self, now: dt.datetime) -> None:
        self.at = now

    def now(self) -> dt.datetime:
        return self.at


def app_with_a_notice() -> tuple[AcceptanceApplication, Clock, str]:
    clock = Clock(OPENED)
    app = AcceptanceApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, organisers={"org-1"}, clock=clock)
    pid = str(uuid.uuid4())
    app.file_project(
        "fgw", "fgw-b1", pid, str(uuid.uuid4()), 2026, "party_building", "红色领航", "目标", TARGETS, {}, FILING, "e1"
    )
    app.approve_project(pid, "fgw-2026-1", "红色领航", PLAN, FILING, "e2")
    for mid in ("m1", "m2"):
        app.milestone_met(pid, mid, "2026-06-01", {}, SECRETARY, f"e-{mid}")
    secretary = Principal("s-fgw-1", Role.SECRETARY, "fgw", "fgw-b1")
    a = app.apply(secretary, uuid.UUID(pid), 4, "做法", outcomes(), EVIDENCE, "apply")
    organiser = Principal("org-1", Role.PANELIST)
    a = app.open_notice(organiser, uuid.UUID(pid), a.version, None, "notice")
    app.appoint_panel(organiser, uuid.UUID(pid), a.version, PANEL, "panel")
    return app, clock, pid


def test_only_organisers_open_notices_and_appoint_panels() -> None:
    app, _, pid = app_with_a_notice()
    a = app.acceptance(pid)
    with pytest.raises(Forbidden, match="p-1 is a panelist but not an organiser"):
        app.conclude(Principal("p-1", Role.PANELIST), uuid.UUID(pid), a.version, None)
    with pytest.raises(Forbidden, match="role 'secretary' may not do this"):
        app.conclude(Principal("s-fgw-1", Role.SECRETARY, "fgw", "fgw-b1"), uuid.UUID(pid), a.version, None)


def test_a_score_from_a_non_panelist_is_forbidden() -> None:
    app, _, pid = app_with_a_notice()
    for member in PANEL:
        app.score(Principal(member["id"], Role.PANELIST), uuid.UUID(pid), flat(90), "", None)
    with pytest.raises(Forbidden, match=r"you \(p-9\) are not on this project's panel"):
        app.score(Principal("p-9", Role.PANELIST), uuid.UUID(pid), flat(90), "", None)
    assert len(app.acceptance(pid).scores) == 3


def test_the_first_command_after_the_period_seals_the_ledger_even_when_it_is_refused() -> None:
    app, clock, pid = app_with_a_notice()
    _, item = app.give_feedback(uuid.UUID(pid), "support", "支持", "", "fb-1")
    assert app.give_feedback(uuid.UUID(pid), "support", "支持", "", "fb-1")[1] == item  # a retry records nothing
    clock.at = CLOSES
    version = app.acceptance(pid).version
    with pytest.raises(InvalidTransition, match="sealed"):
        app.give_feedback(uuid.UUID(pid), "support", "太晚了", "", None)
    sealed = app.acceptance(pid)
    assert sealed.state == "notice_closed" and sealed.version == version + 1 and len(sealed.feedback) == 1


def test_the_sealer_seals_every_notice_past_its_period() -> None:
    app, clock, pid = app_with_a_notice()
    assert app.seal_due_notices() == 0
    clock.at = CLOSES
    assert app.seal_due_notices() == 1
    assert app.seal_due_notices() == 0
    assert app.acceptance(pid).state == "notice_closed"


def test_events_about_a_project_not_yet_approved_here_wait() -> None:
    app = AcceptanceApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=Clock(OPENED))
    with pytest.raises(Awaiting, match="project:"):
        app.milestone_met(str(uuid.uuid4()), "m1", "2026-06-01", {}, SECRETARY, "e")
    pid = str(uuid.uuid4())
    app.file_project(
        "fgw", "fgw-b1", pid, str(uuid.uuid4()), 2026, "party_building", "t", "g", TARGETS, {}, FILING, "e1"
    )
    with pytest.raises(Awaiting, match="approval:"):
        app.rectification_ordered(pid, "r1", "m1", "2026-12-01", {}, "e2")
    app.approve_project(pid, "fgw-2026-1", "t", PLAN, FILING, "e3")
    with pytest.raises(Awaiting, match=f"milestone:{pid}:m3"):
        app.milestone_met(pid, "m3", "2026-06-01", {}, SECRETARY, "e4")


def test_a_panelist_known_to_the_registry_is_placed_in_their_branch() -> None:
    app, _, pid = app_with_a_notice()
    app.register_department("fgw", "市发改委", FILING, "d1")
    app.enrol_branch("fgw", "fgw-b1", "第一党支部", "s-fgw-1", "王强", FILING, "d2")
    app.enrol_member("fgw", "fgw-b1", "m-002", "刘莉", FILING, "d3")
    members = [*PANEL[:2], {"id": "m-002", "name": "", "department": "", "branch": ""}]
    a = app.acceptance(pid)  # a panel may be replaced until someone has scored
    with pytest.raises(InvalidTransition, match=r"conflict of interest \(回避\): 刘莉 \(m-002\)"):
        app.appoint_panel(Principal("org-1", Role.PANELIST), uuid.UUID(pid), a.version, members, None)
    with pytest.raises(InvalidInput, match="m-002 is registered in branch fgw-b1 of fgw, not zwb-b5 of zwb"):
        app.appoint_panel(
            Principal("org-1", Role.PANELIST),
            uuid.UUID(pid),
            a.version,
            [*PANEL[:2], {"id": "m-002", "name": "刘莉", "department": "zwb", "branch": "zwb-b5"}],
            None,
        )


def test_a_commendation_is_recorded_once_awarded_not_before() -> None:
    a = scored(closed(), flat(95), flat(95), flat(95))
    a.conclude(RUBRIC, CLOSES, ORGANISER, None)
    with pytest.raises(InvalidInput, match=r"awarded_on 2027-01-05 is after the programme's today \(2026-12-02\)"):
        a.record_commendation("central", "中组部", "全国示范", "2027-01-05", ORGANISER, None, dt.date(2026, 12, 2))
    assert not a.commendations
