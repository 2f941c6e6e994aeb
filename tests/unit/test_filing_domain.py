"""党委出题、支部立项 as pure domain rules: topics, the project lifecycle, milestone plans, replay."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.filing.domain import MAX_ITEMS, MAX_TEXT, MAX_TITLE, Project, Topic, milestone_plan
from services.filing.vocabulary import Direction, ProjectState, TopicState
from shared.domain import VanguardAggregate
from shared.errors import InvalidInput, InvalidTransition, VanguardError

COMMITTEE = {"id": "committee@fgw/-", "role": "committee", "department": "fgw"}
SECRETARY = {"id": "secretary@fgw/fgw-b1", "role": "secretary", "department": "fgw", "branch": "fgw-b1"}

# Printable text that str.strip() leaves as it is (no whitespace, no control characters).
SOLID_TEXT = st.characters(blacklist_categories=("Z", "C"))


def plan(*dues: str, ids: tuple[str | None, ...] | None = None) -> list[dict[str, Any]]:
    items = [{"title": f"节点{n}", "due": due, "deliverable": f"成果{n}"} for n, due in enumerate(dues, start=1)]
    for item, mid in zip(items, ids or (), strict=False):
        if mid is not None:
            item["id"] = mid
    return items


def pose(**overrides: Any) -> Topic:
    args: dict[str, Any] = {
        "department": "fgw",
        "year": 2026,
        "direction": "business_environment",
        "title": "优化审批服务",
        "description": "放管服改革",
        "actor": COMMITTEE,
        "request_id": "pose-1",
        "topic_id": uuid.uuid4(),
    }
    args.update(overrides)
    return Topic.pose(**args)


def draft(topic: Topic | None = None, **overrides: Any) -> Project:
    args: dict[str, Any] = {
        "topic": topic or pose(),
        "branch": "fgw-b1",
        "title": "船员注册不见面审批",
        "goal": "网上申报、线上审批、快递送达",
        "targets": ["办理时限压缩至1个工作日", "群众满意率≥95%"],
        "milestones": plan("2026-03-31", "2026-06-30"),
        "responsible": {"id": "m-001", "name": "李扬"},
        "actor": SECRETARY,
        "request_id": "draft-1",
        "project_id": uuid.uuid4(),
    }
    args.update(overrides)
    return Project.draft(**args)


def approved() -> Project:
    project = draft()
    project.submit(SECRETARY, "submit-1")
    project.approve(COMMITTEE, "approve-1")
    return project


def in_state(state: ProjectState) -> Project:
    """A project brought to `state` through the commands a user would send."""
    if state == ProjectState.DRAFT:
        return draft()
    if state == ProjectState.WITHDRAWN:
        project = draft()
        project.withdraw("支部调整", SECRETARY, "withdraw-1")
        return project
    if state == ProjectState.APPROVED:
        return approved()
    if state == ProjectState.CHANGE_REQUESTED:
        project = approved()
        project.request_milestone_change(
            plan("2026-03-31", "2026-07-31", ids=("m1", "m2")), "汛期推迟", SECRETARY, "change-1"
        )
        return project
    project = draft()
    project.submit(SECRETARY, "submit-1")
    if state == ProjectState.RETURNED:
        project.return_for_revision(["目标需量化"], COMMITTEE, "return-1")
    return project


def replay(events: list[Any]) -> VanguardAggregate:
    aggregate = None
    for domain_event in events:
        aggregate = domain_event.mutate(aggregate)
    assert aggregate is not None
    return aggregate


# -- 党委出题: topics -------------------------------------------------------------------------


def test_a_posed_topic_is_open_and_keeps_what_the_committee_wrote() -> None:
    topic = pose(title="  优化审批服务  ")
    assert topic.state == TopicState.OPEN
    assert (topic.department, topic.year, topic.direction) == ("fgw", 2026, "business_environment")
    assert topic.title == "优化审批服务"  # surrounding blanks are dropped
    assert topic.branch is None and topic.version == 1


def test_a_topic_under_an_unknown_direction_is_refused_with_the_valid_codes() -> None:
    with pytest.raises(InvalidInput) as caught:
        pose(direction="economy")
    message = str(caught.value)
    assert "unknown direction 'economy'" in message
    assert all(d.value in message for d in Direction)


@pytest.mark.parametrize("year", [1999, 2101])
def test_a_topic_for_a_year_out_of_range_is_refused(year: int) -> None:
    with pytest.raises(InvalidInput, match=f"year {year} is out of range"):
        pose(year=year)


@pytest.mark.parametrize("title", ["", "   "])
def test_a_topic_without_a_title_is_refused(title: str) -> None:
    with pytest.raises(InvalidInput, match="title must not be empty"):
        pose(title=title)


def test_a_topic_title_of_exactly_the_limit_is_accepted_and_one_more_character_is_refused() -> None:
    assert len(pose(title="题" * MAX_TITLE).title) == MAX_TITLE
    with pytest.raises(InvalidInput, match=f"title is {MAX_TITLE + 1} characters long; at most {MAX_TITLE}"):
        pose(title="题" * (MAX_TITLE + 1))


def test_a_topic_may_have_no_description_but_not_an_overlong_one() -> None:
    assert pose(description="").description == ""
    with pytest.raises(InvalidInput, match=f"description is {MAX_TEXT + 1} characters long"):
        pose(description="x" * (MAX_TEXT + 1))


def test_revising_a_topic_changes_only_what_is_given() -> None:
    topic = pose()
    topic.revise(COMMITTEE, "revise-1", title="优化审批服务(修订)")
    assert topic.title == "优化审批服务(修订)"
    assert topic.description == "放管服改革" and topic.direction == "business_environment"
    topic.revise(COMMITTEE, "revise-2", direction="work_upgrade")
    assert topic.direction == "work_upgrade" and topic.title == "优化审批服务(修订)"
    assert topic.version == 3


def test_revising_a_topic_checks_the_new_values() -> None:
    topic = pose()
    with pytest.raises(InvalidInput, match="unknown direction"):
        topic.revise(COMMITTEE, "revise-1", direction="nowhere")
    with pytest.raises(InvalidInput, match="title must not be empty"):
        topic.revise(COMMITTEE, "revise-2", title=" ")
    assert topic.version == 1 and topic.direction == "business_environment"


def test_revising_a_topic_with_nothing_to_change_is_refused() -> None:
    topic = pose()
    with pytest.raises(InvalidInput, match="nothing to revise"):
        topic.revise(COMMITTEE, "revise-1")
    assert topic.version == 1


def test_a_withdrawn_topic_cannot_be_revised_or_withdrawn_again() -> None:
    topic = pose()
    topic.withdraw("方向调整", COMMITTEE, "withdraw-1")
    assert topic.state == TopicState.WITHDRAWN
    with pytest.raises(InvalidTransition, match="a withdrawn topic cannot be revised"):
        topic.revise(COMMITTEE, "revise-1", title="新题目")
    with pytest.raises(InvalidTransition, match="the topic is already withdrawn"):
        topic.withdraw("再次撤回", COMMITTEE, "withdraw-2")
    assert topic.version == 2


def test_withdrawing_a_topic_needs_a_reason() -> None:
    topic = pose()
    with pytest.raises(InvalidInput, match="reason must not be empty"):
        topic.withdraw("  ", COMMITTEE, "withdraw-1")
    assert topic.state == TopicState.OPEN


def test_no_project_can_be_drafted_under_a_withdrawn_topic() -> None:
    topic = pose()
    topic.withdraw("方向调整", COMMITTEE, "withdraw-1")
    with pytest.raises(InvalidTransition, match="the topic has been withdrawn"):
        draft(topic)


# -- 支部立项: the project lifecycle -----------------------------------------------------------


def test_a_drafted_project_takes_its_department_year_and_direction_from_the_topic() -> None:
    topic = pose(department="fgw", year=2027, direction="party_building")
    project = draft(topic)
    assert project.state == ProjectState.DRAFT
    assert (project.department, project.branch, project.year) == ("fgw", "fgw-b1", 2027)
    assert project.direction == "party_building" and project.topic_id == str(topic.id)
    assert [m["id"] for m in project.milestones] == ["m1", "m2"]
    assert project.record_no is None and project.return_reasons == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "title must not be empty"),
        ("title", "项" * (MAX_TITLE + 1), f"title is {MAX_TITLE + 1} characters long"),
        ("goal", "", "goal must not be empty"),
        ("goal", "目" * (MAX_TEXT + 1), f"goal is {MAX_TEXT + 1} characters long"),
        ("targets", [], f"a project needs 1–{MAX_ITEMS} measurable targets"),
        ("targets", ["ok"] * (MAX_ITEMS + 1), f"a project needs 1–{MAX_ITEMS} measurable targets"),
        ("targets", ["ok", " "], "target 2 must not be empty"),
        ("responsible", {"id": "m-001"}, "responsible person's name must not be empty"),
        ("responsible", {"name": "李扬"}, "responsible person's id must not be empty"),
        ("milestones", [], f"a project needs 1–{MAX_ITEMS} milestones"),
    ],
)
def test_a_project_with_bad_content_is_refused_with_what_is_wrong(field: str, value: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        draft(**{field: value})
    assert message in str(caught.value)


def test_a_project_goes_from_draft_through_return_and_revision_to_approval() -> None:
    project = draft()
    project.submit(SECRETARY, "submit-1")
    assert project.state == ProjectState.SUBMITTED
    project.return_for_revision(["目标需量化", "节点过粗"], COMMITTEE, "return-1")
    assert project.state == ProjectState.RETURNED
    assert project.return_reasons == ["目标需量化", "节点过粗"]
    project.revise(SECRETARY, "revise-1", targets=["办理时限压缩至1个工作日", "年服务船员≥2000人次"])
    assert project.targets[1] == "年服务船员≥2000人次" and project.state == ProjectState.RETURNED
    project.submit(SECRETARY, "submit-2")
    project.approve(COMMITTEE, "approve-1")
    assert project.state == ProjectState.APPROVED
    assert project.record_no == f"fgw-2026-{str(project.id)[:8]}"
    assert project.return_reasons == []
    assert project.version == 6


def test_revising_a_draft_changes_only_the_given_fields() -> None:
    project = draft()
    project.revise(SECRETARY, "revise-1", title="新标题", goal=None)
    assert project.title == "新标题" and project.goal == "网上申报、线上审批、快递送达"


def test_revising_with_nothing_to_change_is_refused() -> None:
    project = draft()
    with pytest.raises(InvalidInput, match="nothing to revise"):
        project.revise(SECRETARY, "revise-1")
    assert project.version == 1


def test_returning_a_project_needs_at_least_one_non_empty_reason() -> None:
    project = in_state(ProjectState.SUBMITTED)
    with pytest.raises(InvalidInput, match="give at least one reason"):
        project.return_for_revision([], COMMITTEE, "return-1")
    with pytest.raises(InvalidInput, match="reason 1 must not be empty"):
        project.return_for_revision([" "], COMMITTEE, "return-1")
    assert project.state == ProjectState.SUBMITTED


def test_withdrawing_a_project_needs_a_reason() -> None:
    project = draft()
    with pytest.raises(InvalidInput, match="reason must not be empty"):
        project.withdraw("", SECRETARY, "withdraw-1")
    assert project.state == ProjectState.DRAFT


CHANGE = plan("2026-03-31", "2026-08-31", ids=("m1", "m2"))

COMMANDS: dict[str, Callable[[Project], None]] = {
    "revise": lambda p: p.revise(SECRETARY, "x-revise", title="新标题"),
    "submit": lambda p: p.submit(SECRETARY, "x-submit"),
    "return": lambda p: p.return_for_revision(["需修改"], COMMITTEE, "x-return"),
    "approve": lambda p: p.approve(COMMITTEE, "x-approve"),
    "change": lambda p: p.request_milestone_change(CHANGE, "推迟", SECRETARY, "x-change"),
    "withdraw": lambda p: p.withdraw("撤回", SECRETARY, "x-withdraw"),
}

MESSAGES = {
    "revise": "only a draft or returned project can be revised; this one is {state}",
    "submit": "only a draft or returned project can be submitted; this one is {state}",
    "return": "only a submitted project can be returned; this one is {state}",
    "approve": "only a submitted project can be approved; this one is {state}",
    "change": "only an approved project's milestones can be changed; this one is {state}",
    "withdraw": "the project is already withdrawn",
}

ALLOWED = {
    "revise": {ProjectState.DRAFT, ProjectState.RETURNED},
    "submit": {ProjectState.DRAFT, ProjectState.RETURNED},
    "return": {ProjectState.SUBMITTED, ProjectState.CHANGE_REQUESTED},
    "approve": {ProjectState.SUBMITTED, ProjectState.CHANGE_REQUESTED},
    "change": {ProjectState.APPROVED},
    "withdraw": set(ProjectState) - {ProjectState.WITHDRAWN},
}

INVALID = [(command, state) for command in COMMANDS for state in ProjectState if state not in ALLOWED[command]]
VALID = [(command, state) for command in COMMANDS for state in ProjectState if state in ALLOWED[command]]


@pytest.mark.parametrize(("command", "state"), INVALID, ids=[f"{c}-{s}" for c, s in INVALID])
def test_a_command_not_allowed_in_a_state_is_refused_naming_the_state_and_records_nothing(
    command: str, state: ProjectState
) -> None:
    project = in_state(state)
    version = project.version
    with pytest.raises(InvalidTransition) as caught:
        COMMANDS[command](project)
    assert MESSAGES[command].format(state=state.value) in str(caught.value)
    assert caught.value.status == 409 and caught.value.code == "invalid_transition"
    assert project.version == version and project.state == state
    assert not project.answered(f"x-{command}")


@pytest.mark.parametrize(("command", "state"), VALID, ids=[f"{c}-{s}" for c, s in VALID])
def test_a_command_allowed_in_a_state_is_recorded(command: str, state: ProjectState) -> None:
    project = in_state(state)
    version = project.version
    COMMANDS[command](project)
    assert project.version == version + 1
    assert project.answered(f"x-{command}")


def test_approving_a_draft_names_the_draft_state() -> None:
    with pytest.raises(InvalidTransition, match="only a submitted project can be approved; this one is draft"):
        draft().approve(COMMITTEE, "approve-1")


# -- milestone plans (节点计划) -------------------------------------------------------------


def test_a_plan_gives_new_milestones_ids_in_order() -> None:
    result = milestone_plan(plan("2026-03-31", "2026-06-30", "2026-09-30"))
    assert [m["id"] for m in result] == ["m1", "m2", "m3"]
    assert [m["due"] for m in result] == ["2026-03-31", "2026-06-30", "2026-09-30"]
    assert result[0] == {"id": "m1", "title": "节点1", "due": "2026-03-31", "deliverable": "成果1"}


def test_a_plan_accepts_dates_as_date_objects_and_two_milestones_on_one_day() -> None:
    result = milestone_plan(
        [*plan("2026-03-31", "2026-03-31"), {"title": "节点3", "due": dt.date(2026, 4, 1), "deliverable": "成果3"}]
    )
    assert [m["due"] for m in result] == ["2026-03-31", "2026-03-31", "2026-04-01"]


def test_an_empty_plan_and_an_oversized_plan_are_refused() -> None:
    with pytest.raises(InvalidInput, match=f"a project needs 1–{MAX_ITEMS} milestones"):
        milestone_plan([])
    with pytest.raises(InvalidInput, match=f"a project needs 1–{MAX_ITEMS} milestones"):
        milestone_plan(plan(*["2026-03-31"] * (MAX_ITEMS + 1)))


@pytest.mark.parametrize("due", ["2026-02-30", "30/06/2026", "", "soon", None])
def test_a_milestone_with_a_bad_date_is_refused_naming_the_milestone(due: Any) -> None:
    milestones = plan("2026-03-31", "2026-06-30")
    milestones[1]["due"] = due
    with pytest.raises(InvalidInput, match="milestone 2: due must be a date like 2026-06-30"):
        milestone_plan(milestones)


def test_a_milestone_without_a_date_is_refused() -> None:
    milestones = plan("2026-03-31")
    del milestones[0]["due"]
    with pytest.raises(InvalidInput, match="milestone 1: due must be a date"):
        milestone_plan(milestones)


def test_milestones_out_of_date_order_are_refused() -> None:
    with pytest.raises(InvalidInput, match="milestones must be in order of their due dates"):
        milestone_plan(plan("2026-06-30", "2026-03-31"))


def test_a_milestone_id_used_twice_is_refused() -> None:
    with pytest.raises(InvalidInput, match="milestone 2: id 'm1' is used twice"):
        milestone_plan(plan("2026-03-31", "2026-06-30", ids=("m1", "m1")))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "milestone 1: title must not be empty"),
        ("deliverable", "", "milestone 1: deliverable must not be empty"),
        ("title", "节" * (MAX_TITLE + 1), f"milestone 1: title is {MAX_TITLE + 1} characters long"),
    ],
)
def test_a_milestone_without_a_title_or_deliverable_or_with_too_long_a_one_is_refused(
    field: str, value: str, message: str
) -> None:
    milestones = plan("2026-03-31")
    milestones[0][field] = value
    with pytest.raises(InvalidInput, match=message):
        milestone_plan(milestones)


def test_milestone_ids_are_kept_and_a_removed_id_is_not_given_to_a_new_milestone() -> None:
    previous = milestone_plan(plan("2026-03-31", "2026-06-30"))
    # m2 is removed, a new milestone is added: it gets m3, not m2.
    result = milestone_plan(plan("2026-03-31", "2026-09-30", ids=("m1", None)), {m["id"] for m in previous})
    assert [m["id"] for m in result] == ["m1", "m3"]


def test_a_milestone_change_on_an_approved_project_needs_reapproval_and_approval_applies_it() -> None:
    project = approved()
    old = project.milestones
    assert [m["id"] for m in old] == ["m1", "m2"]
    # keep m1, drop m2, add a new one
    project.request_milestone_change(
        plan("2026-04-30", "2026-10-31", ids=("m1", None)), "汛期推迟", SECRETARY, "change-1"
    )
    assert project.state == ProjectState.CHANGE_REQUESTED
    assert project.milestones == old  # the approved plan still holds until the committee decides
    assert [m["id"] for m in project.proposed_milestones] == ["m1", "m3"]
    assert project.change_reason == "汛期推迟"
    project.approve(COMMITTEE, "approve-2")
    assert project.state == ProjectState.APPROVED
    assert [(m["id"], m["due"]) for m in project.milestones] == [("m1", "2026-04-30"), ("m3", "2026-10-31")]
    assert project.proposed_milestones is None
    assert project.record_no == f"fgw-2026-{str(project.id)[:8]}"


def test_a_returned_milestone_change_keeps_the_old_plan() -> None:
    project = in_state(ProjectState.CHANGE_REQUESTED)
    old = [dict(m) for m in approved().milestones]
    project.return_for_revision(["理由不充分"], COMMITTEE, "return-2")
    assert project.state == ProjectState.APPROVED
    assert [(m["id"], m["due"]) for m in project.milestones] == [(m["id"], m["due"]) for m in old]
    assert project.proposed_milestones is None
    assert project.return_reasons == ["理由不充分"]


def test_a_milestone_change_that_changes_nothing_is_refused() -> None:
    project = approved()
    same = [{k: m[k] for k in ("id", "title", "due", "deliverable")} for m in project.milestones]
    with pytest.raises(InvalidInput, match="the proposed plan is the same as the approved one"):
        project.request_milestone_change(same, "无变化", SECRETARY, "change-1")
    assert project.state == ProjectState.APPROVED


def test_a_milestone_change_is_validated_like_any_plan() -> None:
    project = approved()
    with pytest.raises(InvalidInput, match="milestones must be in order"):
        project.request_milestone_change(plan("2026-09-30", "2026-01-31"), "调整", SECRETARY, "change-1")
    with pytest.raises(InvalidInput, match="reason must not be empty"):
        project.request_milestone_change(plan("2026-09-30"), "", SECRETARY, "change-1")
    assert project.state == ProjectState.APPROVED


def test_a_milestone_id_removed_by_an_earlier_change_is_never_reused_by_a_later_one() -> None:
    project = draft(milestones=plan("2026-03-31", "2026-06-30", "2026-09-30"))
    project.revise(SECRETARY, "revise-1", milestones=plan("2026-03-31", "2026-09-30", ids=("m1", "m3")))
    project.revise(
        SECRETARY, "revise-2", milestones=plan("2026-03-31", "2026-09-30", "2026-12-31", ids=("m1", "m3", None))
    )
    assert [m["id"] for m in project.milestones] == ["m1", "m3", "m4"]


# -- request ids and replay -----------------------------------------------------------------


def test_every_command_remembers_its_request_id() -> None:
    topic = pose(request_id="pose-1")
    topic.revise(COMMITTEE, "revise-1", title="新")
    assert topic.answered("pose-1") and topic.answered("revise-1")
    project = draft(topic, request_id="draft-1")
    project.submit(SECRETARY, "submit-1")
    assert project.answered("draft-1") and project.answered("submit-1")
    assert not project.answered("approve-1")
    assert not project.answered(None)
    assert not project.answered("pose-1")  # request ids belong to the aggregate they changed


def test_a_command_without_a_request_id_is_recorded_but_nothing_is_remembered() -> None:
    project = draft(request_id=None)
    project.submit(SECRETARY, None)
    assert project.version == 2 and project.request_ids == set()


def test_replaying_a_projects_events_into_a_fresh_aggregate_reproduces_its_state() -> None:
    project = approved()
    project.request_milestone_change(plan("2026-04-30", "2026-10-31", ids=("m1", None)), "推迟", SECRETARY, "change-1")
    project.return_for_revision(["理由不充分"], COMMITTEE, "return-2")
    project.request_milestone_change(plan("2026-05-31", ids=("m2",)), "合并节点", SECRETARY, "change-2")
    project.approve(COMMITTEE, "approve-2")
    project.withdraw("支部撤并", SECRETARY, "withdraw-1")
    events = project.collect_events()
    assert len(events) == project.version == 8
    rebuilt = replay(events)
    assert isinstance(rebuilt, Project) and rebuilt is not project
    assert vars(rebuilt) == vars(project)
    assert rebuilt.state == ProjectState.WITHDRAWN
    assert [m["id"] for m in rebuilt.milestones] == ["m2"]
    assert rebuilt.request_ids == {
        "draft-1",
        "submit-1",
        "approve-1",
        "change-1",
        "return-2",
        "change-2",
        "approve-2",
        "withdraw-1",
    }


def test_replaying_a_topics_events_reproduces_its_state() -> None:
    topic = pose()
    topic.revise(COMMITTEE, "revise-1", description="新的说明", direction="party_building")
    topic.withdraw("方向调整", COMMITTEE, "withdraw-1")
    rebuilt = replay(topic.collect_events())
    assert vars(rebuilt) == vars(topic)
    assert rebuilt.state == TopicState.WITHDRAWN and rebuilt.direction == "party_building"


def test_replaying_a_prefix_of_the_events_gives_the_project_as_it_stood_then() -> None:
    project = in_state(ProjectState.RETURNED)
    project.revise(SECRETARY, "revise-1", title="新标题")
    events = project.collect_events()
    then = replay(events[:3])
    assert then.state == ProjectState.RETURNED and then.title == "船员注册不见面审批"
    assert then.version == 3 and not then.answered("revise-1")


# -- properties -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)), min_size=1, max_size=MAX_ITEMS)
)
def test_any_valid_list_of_dates_in_order_gives_a_plan_with_ids_m1_to_mn_in_order(dates: list[dt.date]) -> None:
    dates.sort()
    result = milestone_plan(plan(*(d.isoformat() for d in dates)))
    assert [m["id"] for m in result] == [f"m{n}" for n in range(1, len(dates) + 1)]
    assert [m["due"] for m in result] == [d.isoformat() for d in dates]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dates(), min_size=2, max_size=10, unique=True))
def test_any_list_of_dates_out_of_order_is_refused(dates: list[dt.date]) -> None:
    dates.sort(reverse=True)
    with pytest.raises(InvalidInput, match="in order of their due dates"):
        milestone_plan(plan(*(d.isoformat() for d in dates)))


@settings(max_examples=40, deadline=None)
@given(st.text(SOLID_TEXT, min_size=MAX_TITLE + 1, max_size=MAX_TITLE * 2))
def test_any_title_longer_than_the_limit_is_refused(title: str) -> None:
    with pytest.raises(InvalidInput, match=f"at most {MAX_TITLE} allowed"):
        pose(title=title)
    with pytest.raises(InvalidInput, match=f"at most {MAX_TITLE} allowed"):
        draft(title=title)


@settings(max_examples=40, deadline=None)
@given(st.text(SOLID_TEXT, min_size=1, max_size=MAX_TITLE))
def test_any_title_within_the_limit_round_trips_unchanged(title: str) -> None:
    assert pose(title=title).title == title


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(sorted(COMMANDS)), max_size=12))
def test_any_sequence_of_commands_keeps_the_lifecycle_and_replays_to_the_same_state(commands: list[str]) -> None:
    project = draft()
    for n, name in enumerate(commands):
        before = (project.state, project.version)
        try:
            COMMANDS[name](project)
        except VanguardError:
            assert (project.state, project.version) == before
        else:
            assert ProjectState(before[0]) in ALLOWED[name], f"{name} was allowed from {before[0]} at step {n}"
            assert project.version == before[1] + 1
    assert vars(replay(project.collect_events())) == vars(project)
