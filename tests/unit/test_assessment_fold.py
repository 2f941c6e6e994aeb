"""The fold from events to facts: the rules the scheme's lines rely on, one at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt

from services.projection.assessment.fold import BranchEntry, Event, fold
from shared.contracts import Envelope
from shared.vocabulary import Colour
from tests.assessment_city import TZ, City, at, plan

ROSTER = [
    BranchEntry("fgw", "fgw-b1", "第一支部", "s-1", "王强"),
    BranchEntry("fgw", "fgw-b2", "第二支部", "s-2", "刘莉"),
]


def events(city: City) -> list[Event]:
    def moment(e: Envelope) -> dt.datetime:
        return dt.datetime.fromisoformat(e.payload.get("at") or e.occurred_at).astimezone(TZ)

    return [
        Event(
            e.event_id,
            e.type,
            moment(e),
            e.service,
            e.department,
            e.branch,
            e.aggregate_id,
            e.aggregate_id if e.aggregate_type == "Project" else e.payload.get("project_id"),
            e.payload,
            e.actor,
        )
        for e in city.envelopes
    ]


def approved_project(c: City, branch: str = "fgw-b1", secretary: str = "s-1"):
    topic = c.topic("fgw", at("2026-02-01"))
    p = c.project("fgw", branch, secretary, topic, plan("2026-05-31", "2026-09-30"))
    c.submitted(p, at("2026-02-10"))
    c.approved(p, at("2026-02-12"))
    return p


def test_a_colour_counts_when_it_rises_to_yellow_or_red_never_when_it_falls() -> None:
    c = City()
    p = approved_project(c)
    for colour, previous, day in (
        ("blue", "green", "2026-05-25"),
        ("yellow", "blue", "2026-05-28"),
        ("red", "yellow", "2026-06-01"),
        ("yellow", "red", "2026-06-05"),
        ("green", "yellow", "2026-06-10"),
        ("red", "green", "2026-07-01"),
    ):
        c.colour(p, colour, previous, at(day))
    branch = fold(2026, events(c), ROSTER).branches[0]
    assert [(change.colour, change.at.date().isoformat()) for change in branch.colour_changes] == [
        (Colour.YELLOW, "2026-05-28"),
        (Colour.RED, "2026-06-01"),
        (Colour.RED, "2026-07-01"),
    ]


def test_a_rejected_answer_is_no_answer_and_the_dates_are_the_last_ones() -> None:
    c = City()
    p = approved_project(c)
    c.ordered(p, "r1", "m1", "2026-06-20", at("2026-06-01"))
    c.answered(p, "r1", at("2026-06-10"))
    c._inspection(
        p, "RectificationRejected", {"order_id": "r1", "reason": "不到位", "at": at("2026-06-12").isoformat()}, {}
    )
    (rectification,) = fold(2026, events(c), ROSTER).branches[0].rectifications
    assert (rectification.answered_on, rectification.verified_on) == (None, None)
    c.answered(p, "r1", at("2026-06-18"))
    c.verified(p, "r1", at("2026-06-19"))
    (rectification,) = fold(2026, events(c), ROSTER).branches[0].rectifications
    assert (rectification.answered_on, rectification.verified_on) == (dt.date(2026, 6, 18), dt.date(2026, 6, 19))
    assert len(rectification.event_ids) == 5


def test_a_withdrawn_project_or_another_years_leaves_the_branch_unfiled() -> None:
    c = City()
    p = approved_project(c)
    c._filing(p, "Withdrawn", {"reason": "合并"}, p.secretary)
    last_year = City(2025)
    approved_project(last_year, "fgw-b2", "s-2")
    facts = fold(2026, events(c) + events(last_year), ROSTER)
    assert [(b.branch_id, b.project) for b in facts.branches] == [("fgw-b1", None), ("fgw-b2", None)]
    assert [s.secretary_id for s, _ in facts.secretaries] == ["s-1", "s-2"]
    assert fold(2025, events(last_year), ROSTER).branches[1].project is not None


def test_returns_and_resubmissions_pair_up_as_revisions_and_reviews() -> None:
    c = City()
    topic = c.topic("fgw", at("2026-02-01"))
    p = c.project("fgw", "fgw-b1", "s-1", topic, plan("2026-05-31"))
    c.submitted(p, at("2026-02-10"))
    c.returned(p, at("2026-02-12"))
    c.submitted(p, at("2026-02-20"))
    c.returned(p, at("2026-02-21"))
    c.submitted(p, at("2026-03-15"))
    c.approved(p, at("2026-03-16"))
    facts = fold(2026, events(c), ROSTER)
    secretary, _ = facts.secretaries[0]
    assert [(r.returned_on.day, r.revised_on and r.revised_on.day) for r in secretary.revisions] == [(12, 20), (21, 15)]
    (department,) = facts.departments
    assert [(r.submitted_on.isoformat(), r.answered_on and r.answered_on.isoformat()) for r in department.reviews] == [
        ("2026-02-10", "2026-02-12"),
        ("2026-02-20", "2026-02-21"),
        ("2026-03-15", "2026-03-16"),
    ]
    assert facts.branches[0].project is not None and facts.branches[0].project.approved_on == dt.date(2026, 3, 16)
    assert [t.posed_on for t in department.topics] == [dt.date(2026, 2, 1)]


def test_every_cited_event_is_kept_for_the_explanation_and_unregistered_branches_still_count() -> None:
    c = City()
    approved_project(c, "fgw-b9", "s-9")
    facts = fold(2026, events(c), ROSTER, {"fgw": "市发改委"})
    assert [b.branch_id for b in facts.branches] == ["fgw-b1", "fgw-b2", "fgw-b9"]
    assert facts.names[("department", "fgw", "fgw")] == "市发改委" and facts.names[("branch", "fgw", "fgw-b9")] == ""
    cited = {i for b in facts.branches for i in (b.project.event_ids if b.project else ())}
    assert cited <= set(facts.events) and all(facts.events[i].type == "filing.Project.Approved" for i in cited)
    assert [s.secretary_id for s, _ in facts.secretaries] == ["s-1", "s-2", "s-9"]  # s-9 from who submitted


def test_a_milestone_declared_after_its_due_date_is_late_whatever_date_it_gives() -> None:
    c = City()
    p = approved_project(c)  # m1 due 05-31, m2 due 09-30
    board = c.milestone_met(p, "m1", "2026-05-30")  # declared on time (no `at`: judged on met_on)
    late = c.milestone_met(p, "m2", "2026-09-29")
    c.envelopes[-1] = dataclasses.replace(late, payload={**late.payload, "at": at("2026-10-08").isoformat()})
    milestones = fold(2026, events(c), ROSTER).branches[0].milestones
    assert [(m.milestone_id, m.met_on) for m in milestones] == [
        ("m1", dt.date(2026, 5, 30)),
        ("m2", dt.date(2026, 10, 8)),  # back-dated to 09-29 on 10-08: late
    ]
    assert board.event_id in milestones[0].event_ids


def test_a_submission_withdrawn_before_the_committee_answered_owes_no_review() -> None:
    c = City()
    topic = c.topic("fgw", at("2026-02-01"))
    p = c.project("fgw", "fgw-b1", "s-1", topic, plan("2026-05-31"))
    c.submitted(p, at("2026-02-10"))
    c._filing(p, "Withdrawn", {"reason": "合并", "at": at("2026-02-11").isoformat()}, p.secretary)
    (department,) = fold(2026, events(c), ROSTER).departments
    assert department.reviews == ()


def test_a_secretary_answers_for_the_project_their_branch_is_scored_on() -> None:
    c = City()
    topic = c.topic("fgw", at("2026-02-01"))
    first = c.project("fgw", "fgw-b1", "s-1", topic, plan("2026-05-31"))  # drafted first, approved later
    second = c.project("fgw", "fgw-b1", "s-1", topic, plan("2026-06-30"))
    c.submitted(second, at("2026-02-10"))
    c.approved(second, at("2026-02-12"))
    c.submitted(first, at("2026-02-11"))
    c.approved(first, at("2026-02-20"))
    c.ordered(first, "r1", "m1", "2026-04-01", at("2026-03-01"))  # never answered: not the scored project's
    facts = fold(2026, events(c), ROSTER)
    assert facts.branches[0].project is not None and facts.branches[0].project.project_id == second.id
    assert facts.branches[0].rectifications == () and facts.secretaries[0][0].rectifications == ()


def test_a_withdrawal_after_the_period_changes_nothing_of_it() -> None:
    c = City()
    p = approved_project(c)
    c._filing(p, "Withdrawn", {"reason": "调整", "at": at("2027-01-05").isoformat()}, p.secretary)
    assert fold(2026, events(c), ROSTER).branches[0].project is not None


def test_branches_with_one_code_in_two_departments_are_two_subjects() -> None:
    c = City()
    roster = [BranchEntry("fgw", "b1", "发改一支部", "s-1"), BranchEntry("jw", "b1", "教育一支部", "s-9")]
    approved_project(c, "b1", "s-1")
    facts = fold(2026, events(c), roster)
    assert [(b.department, b.branch_id, b.project is not None) for b in facts.branches] == [
        ("fgw", "b1", True),
        ("jw", "b1", False),
    ]
    assert facts.names[("branch", "jw", "b1")] == "教育一支部"
