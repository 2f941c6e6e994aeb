"""节点督查 as pure domain rules: the warning colours and their history, idempotent raises,
replanning, rectification orders, pending deadlines, replay. No clock, no authorisation."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.inspection.domain import Supervision, deliverable_of, supervision_id
from services.inspection.ladder import assess, pending_deadlines
from shared.errors import InvalidInput, InvalidTransition, NotFound, VanguardError

TZ = ZoneInfo("Asia/Shanghai")
COMMITTEE = {"id": "committee@fgw/-", "role": "committee", "department": "fgw"}
TASKING = {"id": "m-001", "role": "member", "department": "fgw", "branch": "fgw-b1"}
INSPECTOR = {"id": "inspector@-/-", "role": "inspector"}
SECRETARY = {"id": "secretary@fgw/fgw-b1", "role": "secretary", "department": "fgw", "branch": "fgw-b1"}
SCHEDULER = {"id": "inspection-scheduler", "role": "system"}


def on(day: str, hour: int = 9) -> dt.datetime:
    """A moment of that calendar day in the programme's timezone."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


def plan(*dues: str, ids: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    ids = ids or tuple(f"m{n}" for n in range(1, len(dues) + 1))
    return [
        {"id": mid, "title": f"节点{mid}", "due": due, "deliverable": f"成果{mid}"}
        for mid, due in zip(ids, dues, strict=True)
    ]


def scheduled(*dues: str) -> Supervision:
    return Supervision.schedule(
        "fgw",
        "fgw-b1",
        str(uuid.uuid4()),
        "fgw-2026-0001",
        "船员注册不见面审批",
        plan(*(dues or ("2026-06-30", "2026-09-30"))),
        on("2026-03-01"),
        COMMITTEE,
        "evt-1",
    )


def colours(s: Supervision) -> list[str]:
    return [h["colour"] for h in s.colour_history]


def names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def inspect(
    s: Supervision,
    rating: str = "on_track",
    rectification: dict[str, Any] | None = None,
    milestone: str = "m1",
    when: str = "2026-06-01",
    request_id: str | None = None,
) -> tuple[str, str | None]:
    return s.record_inspection(
        milestone, rating, "资料齐全,进度符合计划", rectification, on(when), INSPECTOR, request_id or uuid.uuid4().hex
    )


def order(s: Supervision, deadline: str = "2026-06-15", when: str = "2026-06-01") -> str:
    _, order_id = inspect(s, rectification={"items": ["补充台账", "完善制度"], "deadline": deadline}, when=when)
    assert order_id is not None
    return order_id


def replay(events: list[Any]) -> Supervision:
    aggregate = None
    for domain_event in events:
        aggregate = domain_event.mutate(aggregate)
    assert isinstance(aggregate, Supervision)
    return aggregate


# -- scheduling ------------------------------------------------------------------------------


def test_an_approved_project_gets_a_checkpoint_per_milestone_and_starts_green() -> None:
    s = scheduled("2026-06-30", "2026-09-30")
    assert s.id == supervision_id(s.project_id)
    assert list(s.checkpoints) == ["m1", "m2"]
    assert s.checkpoints["m1"]["due"] == "2026-06-30" and s.checkpoints["m1"]["met_on"] is None
    assert s.colour == "green" and colours(s) == ["green"]
    assert s.colour_history[0]["reasons"] == ["各节点正常推进 / every milestone on track"]
    assert s.answered("evt-1")


def test_a_plan_with_a_bad_date_is_refused() -> None:
    with pytest.raises(InvalidInput, match="milestone 1: due must be a date like 2026-06-30"):
        Supervision.schedule(
            "fgw", "fgw-b1", "p", "r", "t", [{"id": "m1", "due": "June"}], on("2026-03-01"), COMMITTEE, "e"
        )


# -- 三色预警: the colours and their history ---------------------------------------------------


def test_the_light_goes_blue_then_red_and_back_to_green_when_the_late_milestone_is_met() -> None:
    s = scheduled("2026-06-30", "2026-09-30")
    s.collect_events()
    assert s.raise_due_soon("m1", 7, on("2026-06-23", 0), SCHEDULER, "d1")
    assert s.colour == "blue"
    assert s.colour_history[-1]["reasons"] == [
        "节点「节点m1」临近到期(2026-06-30) / milestone '节点m1' due soon (2026-06-30)"
    ]
    assert s.raise_milestone_overdue("m1", on("2026-07-01", 0), SCHEDULER, "d2")
    assert s.colour == "red" and "overdue (due 2026-06-30)" in s.colour_history[-1]["reasons"][0]
    assert s.milestone_met("m1", "2026-07-05", "台账", on("2026-07-05"), TASKING, "evt-met")
    assert colours(s) == ["green", "blue", "red", "green"]
    assert [(h["previous"], h["colour"]) for h in s.colour_history[1:]] == [
        ("green", "blue"),
        ("blue", "red"),
        ("red", "green"),
    ]
    assert [h["at"] for h in s.colour_history[1:]] == [
        "2026-06-23T00:00:00+08:00",
        "2026-07-01T00:00:00+08:00",
        "2026-07-05T09:00:00+08:00",
    ]
    events = s.collect_events()
    assert names(events) == [
        "DueSoon",
        "ColourChanged",
        "MilestoneOverdue",
        "ColourChanged",
        "MilestoneMet",
        "ColourChanged",
    ]
    assert events[4].late is True and events[4].met_on == "2026-07-05"


def test_an_open_rectification_turns_the_light_yellow_until_it_is_verified() -> None:
    s = scheduled()
    order_id = order(s)
    assert order_id == "r1" and s.colour == "yellow"
    assert s.colour_history[-1]["reasons"] == ["整改单r1尚未核验销号 / rectification r1 not yet verified"]
    s.answer_rectification(order_id, "已补充台账并完善制度", on("2026-06-10"), SECRETARY, "a1")
    assert s.colour == "yellow" and s.rectifications["r1"]["state"] == "answered"
    s.verify_rectification(order_id, on("2026-06-12"), INSPECTOR, "v1")
    assert s.rectifications["r1"]["state"] == "verified"
    assert colours(s) == ["green", "yellow", "green"]


def test_a_rejected_answer_keeps_the_order_open_for_another_answer() -> None:
    s = scheduled()
    order_id = order(s)
    s.answer_rectification(order_id, "已整改", on("2026-06-10"), SECRETARY, "a1")
    s.reject_rectification(order_id, "台账不完整", on("2026-06-11"), INSPECTOR, "j1")
    assert s.rectifications[order_id]["state"] == "rejected" and s.colour == "yellow"
    s.answer_rectification(order_id, "已补齐台账", on("2026-06-12"), SECRETARY, "a2")
    assert [a["answer"] for a in s.rectifications[order_id]["answers"]] == ["已整改", "已补齐台账"]
    assert s.rectifications[order_id]["rejections"][0]["reason"] == "台账不完整"


def test_a_lagging_rating_turns_the_light_yellow_and_an_on_track_one_turns_it_back() -> None:
    s = scheduled()
    inspect(s, "lagging")
    assert s.colour == "yellow"
    assert s.colour_history[-1]["reasons"] == ["节点「节点m1」督查评定为进度滞后 / milestone '节点m1' rated lagging"]
    inspect(s, "on_track", when="2026-06-10")
    assert colours(s) == ["green", "yellow", "green"]
    assert [i["inspection_id"] for i in s.inspections] == ["i1", "i2"]


def test_an_at_risk_rating_of_a_met_milestone_does_not_warn() -> None:
    s = scheduled()
    s.milestone_met("m1", "2026-06-20", "台账", on("2026-06-20"), TASKING, "met")
    inspect(s, "at_risk", when="2026-06-21")
    assert s.colour == "green"


def test_red_outranks_yellow_and_yellow_outranks_blue() -> None:
    s = scheduled("2026-06-30", "2026-07-03")
    s.raise_due_soon("m2", 7, on("2026-06-26"), SCHEDULER, "d1")
    assert s.colour == "blue"
    inspect(s, "at_risk", milestone="m2", when="2026-06-27")
    assert s.colour == "yellow"
    s.raise_milestone_overdue("m1", on("2026-07-01"), SCHEDULER, "d2")
    assert s.colour == "red"
    s.milestone_met("m1", "2026-07-02", "x", on("2026-07-02"), TASKING, "met")
    assert colours(s) == ["green", "blue", "yellow", "red", "yellow"]


def test_an_overdue_rectification_stays_red_until_verified_even_once_answered() -> None:
    s = scheduled()
    order_id = order(s, deadline="2026-06-15")
    assert not s.raise_rectification_overdue(order_id, on("2026-06-15", 23), SCHEDULER, "d1")
    assert s.raise_rectification_overdue(order_id, on("2026-06-16", 0), SCHEDULER, "d1")
    assert s.colour == "red"
    s.answer_rectification(order_id, "已整改", on("2026-06-17"), SECRETARY, "a1")
    assert s.rectifications[order_id]["answers"][0]["late"] is True and s.colour == "red"
    s.verify_rectification(order_id, on("2026-06-18"), INSPECTOR, "v1")
    assert colours(s) == ["green", "yellow", "red", "green"]


def test_an_answer_awaiting_verification_when_the_deadline_passes_is_not_overdue() -> None:
    s = scheduled()
    order_id = order(s, deadline="2026-06-15")
    s.answer_rectification(order_id, "已整改", on("2026-06-14"), SECRETARY, "a1")
    assert not s.raise_rectification_overdue(order_id, on("2026-06-20"), SCHEDULER, "d1")
    assert s.colour == "yellow"


def test_the_colour_is_only_ever_what_the_state_calls_for() -> None:
    s = scheduled()
    inspect(s, "lagging")
    assert assess(s) == (s.colour, s.colour_history[-1]["reasons"])


# -- idempotent raises -------------------------------------------------------------------------


def test_raising_the_same_warning_twice_records_it_once() -> None:
    s = scheduled()
    order_id = order(s, deadline="2026-06-15")
    s.collect_events()
    assert s.raise_due_soon("m1", 7, on("2026-06-25"), SCHEDULER, "a")
    assert not s.raise_due_soon("m1", 7, on("2026-06-26"), SCHEDULER, "b")
    assert s.raise_milestone_overdue("m1", on("2026-07-01"), SCHEDULER, "c")
    assert not s.raise_milestone_overdue("m1", on("2026-07-02"), SCHEDULER, "d")
    assert s.raise_rectification_overdue(order_id, on("2026-07-01"), SCHEDULER, "e")
    assert not s.raise_rectification_overdue(order_id, on("2026-07-02"), SCHEDULER, "f")
    assert names(s.collect_events()).count("MilestoneOverdue") == 1


def test_a_warning_that_no_longer_applies_is_not_raised() -> None:
    s = scheduled("2026-06-30", "2026-09-30")
    assert not s.raise_milestone_overdue("m1", on("2026-06-30", 23), SCHEDULER, "early")
    assert not s.raise_due_soon("m1", 7, on("2026-06-22", 23), SCHEDULER, "too-early")
    assert not s.raise_due_soon("m1", 7, on("2026-07-01"), SCHEDULER, "already-late")
    assert not s.raise_milestone_overdue("nope", on("2026-12-01"), SCHEDULER, "unknown")
    s.milestone_met("m1", "2026-06-29", "x", on("2026-06-29"), TASKING, "met")
    assert not s.raise_milestone_overdue("m1", on("2026-07-01"), SCHEDULER, "met-already")
    s.close("支部调整", COMMITTEE, "withdrawn")
    assert not s.raise_milestone_overdue("m2", on("2026-10-01"), SCHEDULER, "closed")
    assert s.colour == "green"


def test_a_milestone_met_twice_or_unknown_records_nothing() -> None:
    s = scheduled()
    assert s.milestone_met("m1", "2026-06-01", "x", on("2026-06-01"), TASKING, "a")
    assert not s.milestone_met("m1", "2026-06-02", "y", on("2026-06-02"), TASKING, "b")
    assert not s.milestone_met("m9", "2026-06-02", "y", on("2026-06-02"), TASKING, "c")
    assert s.checkpoints["m1"]["met_on"] == "2026-06-01"


def test_progress_is_kept_per_task() -> None:
    s = scheduled()
    assert s.progress_reported("m1", "t1", 40, "完成调研", on("2026-05-01"), TASKING, "p1")
    assert s.progress_reported("m1", "t1", 70, "完成初稿", on("2026-05-10"), TASKING, "p2")
    assert s.progress_reported("m1", "t2", 100, "done", on("2026-05-10"), TASKING, "p3")
    assert s.checkpoints["m1"]["progress"] == {"t1": 70, "t2": 100}
    with pytest.raises(InvalidInput, match="percent must be 0–100"):
        s.progress_reported("m1", "t1", 140, "", on("2026-05-10"), TASKING, "p4")


# -- replanning --------------------------------------------------------------------------------


def test_a_replan_keeps_met_checkpoints_adds_new_ones_and_drops_removed_unmet_ones() -> None:
    s = scheduled("2026-04-30", "2026-06-30", "2026-09-30")
    s.milestone_met("m1", "2026-04-28", "x", on("2026-04-28"), TASKING, "met")
    s.progress_reported("m2", "t1", 50, "", on("2026-05-01"), TASKING, "p")
    s.collect_events()
    assert s.replan(plan("2026-07-15", "2026-11-30", ids=("m2", "m4")), on("2026-05-02"), COMMITTEE, "change")
    assert list(s.checkpoints) == ["m1", "m2", "m4"]
    assert s.checkpoints["m1"]["met_on"] == "2026-04-28"
    assert s.checkpoints["m2"]["due"] == "2026-07-15" and s.checkpoints["m2"]["progress"] == {"t1": 50}
    (replanned,) = s.collect_events()
    assert replanned.dropped == ["m3"] and replanned.cleared == []
    assert s.known_milestones == {"m1", "m2", "m3", "m4"}


def test_a_due_date_moved_into_the_future_clears_its_warnings_and_the_light_steps_down() -> None:
    s = scheduled("2026-06-30", "2026-09-30")
    s.raise_due_soon("m1", 7, on("2026-06-24"), SCHEDULER, "d1")
    s.raise_milestone_overdue("m1", on("2026-07-01"), SCHEDULER, "d2")
    s.replan(plan("2026-07-31", "2026-09-30"), on("2026-07-03"), COMMITTEE, "change")
    assert s.checkpoints["m1"]["due_soon"] is False and s.checkpoints["m1"]["overdue"] is False
    assert colours(s) == ["green", "blue", "red", "green"]
    due_at = {(kind, ref): when for kind, ref, when in pending_deadlines(s, 7, TZ)}
    assert due_at[("milestone_overdue", "m1")] == dt.datetime(2026, 8, 1, tzinfo=TZ)


def test_a_due_date_moved_but_still_past_stays_overdue() -> None:
    s = scheduled("2026-06-30", "2026-09-30")
    s.raise_milestone_overdue("m1", on("2026-07-10"), SCHEDULER, "d")
    s.replan(plan("2026-07-05", "2026-09-30"), on("2026-07-10"), COMMITTEE, "change")
    assert s.checkpoints["m1"]["overdue"] is True and s.colour == "red"


def test_a_closed_supervision_ignores_replans_and_refuses_inspections() -> None:
    s = scheduled()
    assert s.close("项目撤回", COMMITTEE, "w")
    assert not s.close("again", COMMITTEE, "w2")
    assert not s.replan(plan("2026-12-31"), on("2026-07-01"), COMMITTEE, "c")
    with pytest.raises(InvalidTransition, match="supervision is closed"):
        inspect(s)


# -- what inspectors and branches get wrong -----------------------------------------------------


def test_an_inspection_of_an_unknown_milestone_names_the_ones_there_are() -> None:
    with pytest.raises(InvalidInput, match="no milestone 'm7'; it has: m1, m2"):
        inspect(scheduled(), milestone="m7")


def test_an_unknown_rating_is_refused_with_the_codes_and_their_labels() -> None:
    labels = r"use one of: on_track \(正常推进\), lagging \(进度滞后\), at_risk \(存在风险\)"
    with pytest.raises(InvalidInput, match=labels):
        inspect(scheduled(), rating="great")


def test_a_rectification_deadline_in_the_past_or_without_items_is_refused() -> None:
    s = scheduled()
    with pytest.raises(InvalidInput, match="deadline 2026-05-31 has passed; give 2026-06-01 or later"):
        order(s, deadline="2026-05-31", when="2026-06-01")
    with pytest.raises(InvalidInput, match="needs 1–50 items"):
        inspect(s, rectification={"items": [], "deadline": "2026-07-01"})
    assert s.inspections == [] and s.version == 1


def test_orders_move_only_along_their_lifecycle() -> None:
    s = scheduled()
    order_id = order(s)
    with pytest.raises(InvalidTransition, match="r1 is open; only an answered order can be verified"):
        s.verify_rectification(order_id, on("2026-06-02"), INSPECTOR, "v")
    with pytest.raises(InvalidTransition, match="only an answered order can be rejected"):
        s.reject_rectification(order_id, "no", on("2026-06-02"), INSPECTOR, "j")
    s.answer_rectification(order_id, "done", on("2026-06-03"), SECRETARY, "a")
    with pytest.raises(InvalidTransition, match="r1 is answered; only an open or rejected order can be answered"):
        s.answer_rectification(order_id, "again", on("2026-06-03"), SECRETARY, "a2")
    with pytest.raises(NotFound, match="no rectification order 'r9'"):
        s.verify_rectification("r9", on("2026-06-03"), INSPECTOR, "v")
    with pytest.raises(InvalidInput, match="reason must not be empty"):
        s.reject_rectification(order_id, " ", on("2026-06-03"), INSPECTOR, "j")


# -- pending deadlines ---------------------------------------------------------------------------


def test_pending_deadlines_fall_at_midnight_in_the_programmes_timezone() -> None:
    s = scheduled("2026-06-30")
    assert pending_deadlines(s, 7, TZ) == [
        ("due_soon", "m1", dt.datetime(2026, 6, 23, tzinfo=TZ)),
        ("milestone_overdue", "m1", dt.datetime(2026, 7, 1, tzinfo=TZ)),
    ]
    # Midnight in Shanghai is 16:00 UTC the day before.
    assert pending_deadlines(s, 7, TZ)[1][2] == dt.datetime(2026, 6, 30, 16, tzinfo=dt.UTC)
    assert pending_deadlines(s, 3, dt.UTC)[0][2] == dt.datetime(2026, 6, 27, tzinfo=dt.UTC)


def test_pending_deadlines_shrink_as_warnings_are_raised_and_work_is_done() -> None:
    s = scheduled("2026-06-30", "2026-09-30")
    order_id = order(s, deadline="2026-06-15")
    kinds = lambda: sorted((k, r) for k, r, _ in pending_deadlines(s, 7, TZ))  # noqa: E731
    assert kinds() == [
        ("due_soon", "m1"),
        ("due_soon", "m2"),
        ("milestone_overdue", "m1"),
        ("milestone_overdue", "m2"),
        ("rectification_overdue", "r1"),
    ]
    s.raise_due_soon("m1", 7, on("2026-06-25"), SCHEDULER, "d")
    s.answer_rectification(order_id, "done", on("2026-06-10"), SECRETARY, "a")
    assert kinds() == [("due_soon", "m2"), ("milestone_overdue", "m1"), ("milestone_overdue", "m2")]
    s.reject_rectification(order_id, "不到位", on("2026-06-11"), INSPECTOR, "j")
    assert ("rectification_overdue", "r1") in kinds()
    s.milestone_met("m1", "2026-06-28", "x", on("2026-06-28"), TASKING, "met")
    s.raise_milestone_overdue("m2", on("2026-10-01"), SCHEDULER, "o")
    assert kinds() == [("rectification_overdue", "r1")]
    s.close("撤回", COMMITTEE, "w")
    assert pending_deadlines(s, 7, TZ) == []


# -- events, request ids and replay -----------------------------------------------------------------


def test_every_event_names_its_project_and_replays_to_the_same_state() -> None:
    s = scheduled("2026-06-30", "2026-09-30")
    order_id = order(s)
    s.progress_reported("m1", "t1", 60, "", on("2026-06-02"), TASKING, "p")
    s.answer_rectification(order_id, "done", on("2026-06-03"), SECRETARY, "a")
    s.reject_rectification(order_id, "不到位", on("2026-06-04"), INSPECTOR, "j")
    s.raise_rectification_overdue(order_id, on("2026-06-16"), SCHEDULER, "o1")
    s.raise_due_soon("m1", 7, on("2026-06-25"), SCHEDULER, "d")
    s.raise_milestone_overdue("m1", on("2026-07-01"), SCHEDULER, "o2")
    s.replan(plan("2026-07-20", "2026-09-30"), on("2026-07-02"), COMMITTEE, "c")
    s.milestone_met("m1", "2026-07-10", "x", on("2026-07-10"), TASKING, "met")
    s.answer_rectification(order_id, "补齐", on("2026-07-11"), SECRETARY, "a2")
    s.verify_rectification(order_id, on("2026-07-12"), INSPECTOR, "v")
    s.close("撤回", COMMITTEE, "w")
    events = s.collect_events()
    assert {e.project_id for e in events} == {s.project_id}
    assert {
        "Scheduled",
        "InspectionRecorded",
        "RectificationOrdered",
        "ProgressReported",
        "RectificationAnswered",
        "RectificationRejected",
        "RectificationOverdue",
        "DueSoon",
        "MilestoneOverdue",
        "Replanned",
        "MilestoneMet",
        "RectificationVerified",
        "ColourChanged",
        "Closed",
    } == set(names(events))
    assert vars(replay(events)) == vars(s)
    assert vars(replay(events[:3])) != vars(s)
    assert s.answered("a2") and s.answered("o2")


ACTIONS = {
    "inspect_lagging": lambda s, d: inspect(s, "lagging", when=d),
    "inspect_on_track": lambda s, d: inspect(s, "on_track", when=d),
    "order": lambda s, d: order(s, deadline=d, when=d),
    "answer": lambda s, d: s.answer_rectification(f"r{len(s.rectifications)}", "done", on(d), SECRETARY, "x"),
    "verify": lambda s, d: s.verify_rectification(f"r{len(s.rectifications)}", on(d), INSPECTOR, "x"),
    "reject": lambda s, d: s.reject_rectification(f"r{len(s.rectifications)}", "no", on(d), INSPECTOR, "x"),
    "due_soon": lambda s, d: s.raise_due_soon("m1", 7, on(d), SCHEDULER, "x"),
    "overdue": lambda s, d: s.raise_milestone_overdue("m1", on(d), SCHEDULER, "x"),
    "order_overdue": lambda s, d: s.raise_rectification_overdue(f"r{len(s.rectifications)}", on(d), SCHEDULER, "x"),
    "met": lambda s, d: s.milestone_met("m1", d, "x", on(d), TASKING, "x"),
    "replan": lambda s, d: s.replan(plan(d, "2026-12-31"), on(d), COMMITTEE, "x"),
}


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(ACTIONS)), st.dates(dt.date(2026, 5, 1), dt.date(2026, 8, 31))), max_size=15
    )
)
def test_any_sequence_of_commands_keeps_the_colour_true_to_the_state_and_replays(
    steps: list[tuple[str, dt.date]],
) -> None:
    s = scheduled("2026-06-30", "2026-12-31")
    for name, day in steps:
        with contextlib.suppress(VanguardError):  # a refused command changes nothing
            ACTIONS[name](s, day.isoformat())
        assert assess(s)[0] == s.colour == s.colour_history[-1]["colour"]
    history = colours(s)
    assert all(a != b for a, b in itertools.pairwise(history))
    assert vars(replay(s.collect_events())) == vars(s)


def test_a_met_milestones_deliverable_is_kept_as_the_object_tasking_sent() -> None:
    s = scheduled("2026-06-30")
    deliverable = {"title": "调研报告", "link": "https://example.org/m1"}
    assert s.milestone_met("m1", "2026-06-20", deliverable, on("2026-06-20"), TASKING, "met")
    assert s.checkpoints["m1"]["met_deliverable"] == deliverable


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        (
            "{'title': '调研报告', 'link': 'https://example.org/m1'}",
            {"title": "调研报告", "link": "https://example.org/m1"},
        ),
        ("台账", {"title": "台账", "link": ""}),
        ("{not python", {"title": "{not python", "link": ""}),
    ],
)
def test_a_deliverable_recorded_as_text_before_is_read_back_as_the_object(recorded: str, shown: dict[str, str]) -> None:
    assert deliverable_of(recorded) == shown
