"""任务到人, pure domain: boards, tasks, milestones met, rosters."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.tasking.domain import Roster, Task, TaskBoard, rollup
from shared.errors import InvalidInput, InvalidTransition

SECRETARY = {"id": "s-1", "role": "secretary"}
MEMBER = {"id": "m-001", "role": "member"}
PLAN = [
    {"id": "m1", "title": "调研", "due": "2026-03-31", "deliverable": "调研报告"},
    {"id": "m2", "title": "实施", "due": "2026-06-30", "deliverable": "服务台账"},
]


def board() -> TaskBoard:
    return TaskBoard.open("fgw", "fgw-b1", str(uuid.uuid4()), "环保管家", "fgw-2026-1", PLAN, SECRETARY, "evt-1")


def task(b: TaskBoard, milestone: str = "m1", title: str = "走访企业") -> Task:
    t = Task.create(b, uuid.uuid4(), title, "", "2026-03-15", milestone, "m-001", "李扬", SECRETARY, None)
    b.add_task(str(t.id), milestone, SECRETARY, None)
    return t


def test_a_task_must_serve_a_milestone_of_the_project() -> None:
    with pytest.raises(InvalidInput, match="no milestone 'm9'; its milestones are: m1, m2"):
        Task.create(board(), uuid.uuid4(), "x", "", "2026-03-15", "m9", "m-001", "李扬", SECRETARY, None)


def test_a_closed_board_takes_no_tasks() -> None:
    b = board()
    b.close("撤回", SECRETARY, "evt-2")
    with pytest.raises(InvalidTransition, match="withdrawn"):
        Task.create(b, uuid.uuid4(), "x", "", "2026-03-15", "m1", "m-001", "李扬", SECRETARY, None)


def test_a_milestone_with_an_open_task_cannot_be_declared_met() -> None:
    b = board()
    t = task(b)
    with pytest.raises(InvalidTransition, match="unfinished tasks: 走访企业"):
        b.declare_met("m1", {"title": "报告"}, "2026-03-30", [t], SECRETARY, None)
    t.complete("", MEMBER, None)
    b.declare_met("m1", {"title": "报告"}, "2026-03-30", [t], SECRETARY, None)
    assert b.met["m1"]["met_on"] == "2026-03-30"
    with pytest.raises(InvalidTransition, match="already met"):
        b.declare_met("m1", {"title": "报告"}, "2026-03-30", [t], SECRETARY, None)


def test_a_cancelled_task_does_not_hold_a_milestone_back() -> None:
    b = board()
    t = task(b)
    t.cancel("不再需要", SECRETARY, None)
    b.declare_met("m1", {"title": "报告"}, "2026-03-30", [t], SECRETARY, None)
    assert "m1" in b.met


def test_progress_is_reported_on_open_tasks_only_and_rolls_up_per_milestone() -> None:
    b = board()
    first, second = task(b), task(b, title="整理台账")
    first.report_progress(40, "过半", [], MEMBER, None)
    second.complete("", MEMBER, None)
    with pytest.raises(InvalidTransition, match="open task only"):
        second.report_progress(50, "", [], MEMBER, None)
    with pytest.raises(InvalidInput, match="percent must be 0–100"):
        first.report_progress(101, "", [], MEMBER, None)
    m1, m2 = rollup(b, [first, second])
    assert (m1["tasks"], m1["done"], m1["percent"]) == (2, 1, 70)
    assert (m2["tasks"], m2["percent"]) == (0, 0)


def test_a_completed_task_can_be_reopened_and_a_cancelled_one_cannot_be_cancelled_again() -> None:
    t = task(board())
    with pytest.raises(InvalidTransition, match="only a completed task can be reopened"):
        t.reopen("返工", SECRETARY, None)
    t.complete("", MEMBER, None)
    t.reopen("返工", SECRETARY, None)
    assert t.state == "open"
    t.cancel("取消", SECRETARY, None)
    with pytest.raises(InvalidTransition, match="already cancelled"):
        t.cancel("再取消", SECRETARY, None)


def test_a_roster_enrols_a_member_once_even_when_the_event_is_redelivered() -> None:
    roster = Roster.start("fgw", SECRETARY, None)
    roster.enrol("fgw-b1", "m-001", "李扬", SECRETARY, "evt-9")
    roster.enrol("fgw-b1", "m-001", "李扬", SECRETARY, "evt-9")
    assert len(roster.collect_events()) == 2  # Started, MemberEnrolled
    assert roster.member_name("fgw-b1", "m-001") == "李扬"
    assert roster.member_name("fgw-b2", "m-001") is None


def test_replaying_a_tasks_events_rebuilds_the_same_task() -> None:
    t = task(board())
    t.report_progress(30, "开始", [{"kind": "link", "url": "https://example.org"}], MEMBER, "r1")
    t.complete("完成", MEMBER, "r2")
    replayed = None
    for event in t.collect_events():
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert (replayed.state, replayed.percent, replayed.reports) == (t.state, t.percent, t.reports)
    assert replayed.answered("r2")


def test_a_milestone_is_not_met_on_a_day_still_to_come_by_the_programmes_clock() -> None:
    b = board()
    t = task(b)
    t.complete("", MEMBER, None)
    with pytest.raises(InvalidInput, match=r"met_on 2027-02-09 is after the programme's today \(2026-12-02\)"):
        b.declare_met("m1", {"title": "报告"}, "2027-02-09", [t], SECRETARY, None, dt.date(2026, 12, 2))
    b.declare_met("m1", {"title": "报告"}, "2026-12-02", [t], SECRETARY, None, dt.date(2026, 12, 2))
    assert b.met["m1"]["met_on"] == "2026-12-02"
